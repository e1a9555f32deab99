"""The chat page's conversation: a window of the selected branch, the live answer, the actions.

One run of the page, top to bottom:

1. :func:`start_turn` looks at what the person asked for in this run — a new message from the chat
   input, or an action a callback queued (:mod:`ui.actions`: regenerate, edit, send a kept draft)
   — and starts it: :class:`~core.services.chat.ChatService` commits the user's message and an
   empty answer row *before* the model is called (nothing typed is lost if the server is down),
   and a worker of the app process generates the answer (:mod:`core.services.workers`), apart
   from this browser session. Input the core refuses (:class:`~core.errors.InputError`: empty, too
   long for the model, the chat still answering) is kept as a draft and offered back for editing.
2. :func:`show_window` draws the newest :data:`WINDOW` messages of the selected branch (plus "Show
   older"), each with its versions and menu (:mod:`ui.message_actions`); messages the model is no
   longer sent (outside its context) are dimmed with a note. A user message being edited is drawn
   as an edit box. An answer still being written is followed live (:mod:`ui.live_view`), whoever
   started it.
3. :func:`last_answer_actions` under the branch: Retry after a failure (or for an unanswered
   message), Regenerate otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from core.errors import CharlaError, InputError
from core.i18n import error_text, t
from core.services import chats, workers
from core.services.attachments import prepare_all
from core.services.chat import ChatService
from core.services.chats import ChatView
from core.services.context_view import ContextFit
from core.text import check_text, check_user_message
from core.vocab import Sender, Status
from ui import actions, message_actions, state
from ui.live_view import follow_answer
from ui.render import literal_html, render_message
from ui.widgets import dim_style, show_older

WINDOW = 50  # messages drawn at first, and added by each "Show older"


# --- 1. start the turn --------------------------------------------------------------------------
def _start(service: ChatService, chat_id: int | None, action: actions.Action) -> int | None:
    if isinstance(action, actions.Send | actions.Waiting):
        # Files are read and checked, and the text too, before creating a chat for them.
        files = prepare_all(action.files)
        text = check_text(action.text) if files else check_user_message(action.text)
        if isinstance(action, actions.Waiting):
            chat_id = action.chat_id
        if chat_id is None:
            chat_id = chats.new_chat()
            state.select_chat(chat_id)
        reply = service.send(chat_id, text, attachments=files)
    elif chat_id is None:
        return None
    elif isinstance(action, actions.Edit):
        reply = service.edit(chat_id, action.message_id, action.text)
    else:
        reply = service.regenerate(chat_id, action.message_id)
    workers.answer_workers.start(reply, after=service.after_answer)
    return chat_id


def start_turn(
    service: ChatService,
    chat_id: int | None,
    prompt: str | None,
    lang: str,
    files: tuple[actions.Upload, ...] = (),
) -> int | None:
    """Start what the person asked for in this run (refused input becomes a draft with a warning;
    a message sent while the chat still answers waits for the answer to end); returns the chat
    shown (maybe just created)."""
    action = actions.Send(prompt, files) if prompt is not None else actions.take()
    if action is None:
        action = actions.take_waiting(chat_id)
        if action is None or workers.chat_is_answering(action.chat_id):
            if action is not None:
                actions.wait_for_answer(action)  # still answering: keep waiting
            return chat_id
    try:
        return _start(service, chat_id, action)
    except InputError as exc:
        if exc.reason == "input.chat_busy" and isinstance(action, actions.Send) and chat_id:
            actions.wait_for_answer(actions.Waiting(chat_id, action.text, action.files))
            return chat_id
        actions.keep_draft(action)
        st.warning(error_text(exc, lang), icon=":material/edit_note:")
    except CharlaError as exc:  # e.g. the chat or message was deleted in another tab
        actions.keep_draft(action)
        st.error(error_text(exc, lang))
    return chat_id


def draft_editor(lang: str) -> None:
    """The text the core refused, editable, with "Send" and "Discard": typed text is never lost."""
    kept = actions.draft()
    if kept is None:
        return
    _message_box(
        "draft",
        t("chat.draft_label", lang),
        kept.text,
        send=(t("chat.send_draft", lang), actions.send_draft),
        cancel=(t("chat.discard_draft", lang), actions.discard_draft),
        note=t("chat.draft_kept", lang)
        + (f" {t('attachments.files_lost', lang)}" if getattr(kept, "files", ()) else ""),
    )


def _message_box(
    name: str,
    label: str,
    text: str,
    *,
    send: tuple[str, Callable[[str], None]],
    cancel: tuple[str, Callable[[], None]],
    note: str | None = None,
) -> None:
    """An editable message with a send and a cancel button (keys ``{name}-text/-send/-cancel``);
    ``send``'s callback gets the text area's key."""
    with st.container(border=True, key=name):
        if note:
            st.caption(note)
        st.text_area(label, value=text, key=f"{name}-text", height=120)
        with st.container(horizontal=True):
            st.button(
                send[0],
                key=f"{name}-send",
                type="primary",
                icon=":material/send:",
                on_click=send[1],
                args=(f"{name}-text",),
            )
            st.button(cancel[0], key=f"{name}-cancel", on_click=cancel[1])


# --- 2. the stored conversation -----------------------------------------------------------------
def window_size(chat_id: int) -> int:
    return int(st.session_state.get(f"window-{chat_id}", WINDOW))


def load_chat(chat_id: int) -> ChatView:
    """The chat and the newest messages of its selected branch, with their versions."""
    return chats.open_chat(chat_id, window_size(chat_id))


def _edit_box(message: Any, lang: str) -> None:
    def send(key: str) -> None:
        actions.send_edit(message.id, key)

    with st.chat_message("user"):
        _message_box(
            f"edit-{message.id}",
            t("chat.edit_label", lang),
            message.content,
            send=(t("chat.resend", lang), send),
            cancel=(t("chat.cancel", lang), actions.stop_editing),
            note=t("chat.edit_note", lang)
            + (f" {t('attachments.kept_on_edit', lang)}" if message.attachments else ""),
        )


def show_window(view: ChatView, fit: ContextFit | None, lang: str) -> None:
    """Draw the branch's window with "Show older" when some are left out; an answer still being
    written is followed live (it is always the last message)."""
    show_older(f"window-{view.summary.id}", view.hidden, WINDOW, lang)
    busy = any(m.status == Status.STREAMING for m in view.messages)
    footer = message_actions.footer(view, lang, busy=busy)
    editing = actions.editing()
    unsent = fit.unsent_ids(view.messages) if fit is not None else set()
    if unsent:
        dim_style()
    for message in view.messages:
        if message.status == Status.STREAMING:
            live, after = st.container(), st.container()
            with after:  # below the live answer: what waits for it (and nothing stale)
                waiting_message(view.summary.id, lang)
            follow_answer(message, lang, live)  # reruns when the answer ends
        elif message.id == editing and message.sender == Sender.USER:
            _edit_box(message, lang)
        elif message.id in unsent:
            with st.container(key=f"unsent-{message.id}"):
                render_message(message, lang, footer)
                st.caption(t("chat.not_sent", lang))
        else:
            render_message(message, lang, footer)


def waiting_message(chat_id: int, lang: str) -> None:
    """A message sent while the chat answers: shown as the next one, sent when the answer ends."""
    waiting = actions.waiting(chat_id)
    if waiting is None:
        return
    with st.chat_message("user"):
        st.html(literal_html(waiting.text))
        if waiting.files:
            st.caption(" · ".join(name for name, _, _ in waiting.files))
        with st.container(horizontal=True, vertical_alignment="center"):
            st.caption(t("chat.waiting", lang))
            st.button(
                t("chat.cancel", lang),
                key="waiting-cancel",
                type="tertiary",
                on_click=actions.cancel_waiting,
                args=(waiting.text,),
            )


# --- 4. under the branch --------------------------------------------------------------------------
def last_answer_actions(messages: Sequence[Any], lang: str) -> None:
    """Retry after a failure (or for a message left unanswered), else Regenerate."""
    if not messages:
        return
    last = messages[-1]
    retry = last.sender == Sender.USER or last.status == Status.ERROR
    with st.container(horizontal=True, key="answer-actions"):
        st.button(
            t("chat.retry" if retry else "chat.regenerate", lang),
            key="retry" if retry else "regenerate",
            icon=":material/refresh:",
            type="primary" if retry else "secondary",
            on_click=actions.queue,
            args=(actions.Regenerate(last.id),),
        )
