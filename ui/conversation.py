"""The chat page's conversation: a window of the selected branch, one live answer, the actions.

One turn of the page, top to bottom:

1. :func:`start_turn` looks at what the person asked for in this run — a new message from the chat
   input, or an action a callback queued (:mod:`ui.actions`: regenerate, edit, send a kept draft)
   — and starts it through :class:`~core.services.chat.ChatService`. The service commits the user's
   message and an empty answer row *before* the model is called, so nothing typed is lost if the
   server is down. Input the core refuses (:class:`~core.errors.InputError`) is kept as a draft and
   offered back for editing.
2. :func:`show_window` draws the newest :data:`WINDOW` messages of the selected branch (plus "Show
   older"), each with its versions and menu (:mod:`ui.message_actions`), leaving out the two rows of
   the turn being streamed. A user message being edited is drawn as an edit box instead.
3. :func:`stream_answer` draws the live answer: reasoning into a collapsed "Thinking" expander,
   text with ``st.write_stream``. The reply is a context manager, so a Stop click or a rerun closes
   the HTTP stream (the server stops generating) and the core stores the partial answer as
   ``stopped``. Then the page reruns and the stored rendering (:mod:`ui.render`) replaces it.
4. :func:`last_answer_actions` under the branch: Retry after a failure (or for an unanswered
   message), Regenerate otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from core.errors import CharlaError, InputError
from core.i18n import error_text, t
from core.services import chats
from core.services.chat import ChatReply, ChatService
from core.services.chats import ChatView
from core.text import check_user_message
from core.vocab import Sender, Status
from ui import actions, message_actions, state
from ui.render import render_message
from ui.widgets import show_older

WINDOW = 50  # messages drawn at first, and added by each "Show older"


@dataclass
class Turn:
    """What :func:`start_turn` started: the chat (maybe just created) and the reply, if any.

    Use it as a context manager around the rest of the page: if the run ends (Stop, an error)
    before the answer's stream even started, leaving the block closes the reply, and the core
    finishes its empty answer row as ``stopped`` instead of leaving it ``streaming``.
    """

    chat_id: int | None
    reply: ChatReply | None = None

    def __enter__(self) -> Turn:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.reply is not None:
            self.reply.close()


class ThinkingBox:
    """``on_reasoning`` callback: draws the reasoning so far in a collapsed "Thinking" expander.

    The reply is created before its bubble is drawn, so the box is attached to a container later;
    the expander itself appears only if reasoning arrives.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._container: Any = None
        self._body: Any = None

    def attach(self, container: Any) -> None:
        self._container = container

    def __call__(self, reasoning: str) -> None:
        if self._container is None:
            return
        if self._body is None:
            expander = self._container.expander(
                t("msg.thinking", self.lang), expanded=False, icon=":material/psychology:"
            )
            self._body = expander.empty()
        self._body.markdown(reasoning)


# --- 1. start the turn --------------------------------------------------------------------------
def _start(
    service: ChatService, chat_id: int | None, action: actions.Action, box: ThinkingBox
) -> Turn:
    if isinstance(action, actions.Send):
        text = check_user_message(action.text)  # before creating a chat for it
        if chat_id is None:
            chat_id = chats.new_chat()
            state.select_chat(chat_id)
        return Turn(chat_id, service.send(chat_id, text, on_reasoning=box))
    if chat_id is None:
        return Turn(chat_id)
    if isinstance(action, actions.Edit):
        return Turn(
            chat_id, service.edit(chat_id, action.message_id, action.text, on_reasoning=box)
        )
    return Turn(chat_id, service.regenerate(chat_id, action.message_id, on_reasoning=box))


def start_turn(
    service: ChatService, chat_id: int | None, prompt: str | None, box: ThinkingBox, lang: str
) -> Turn:
    """Start what the person asked for in this run; refused input becomes a draft with a warning."""
    action = actions.Send(prompt) if prompt is not None else actions.take()
    if action is None:
        return Turn(chat_id)
    try:
        return _start(service, chat_id, action, box)
    except InputError as exc:
        actions.keep_draft(action)
        st.warning(error_text(exc, lang), icon=":material/edit_note:")
    except CharlaError as exc:  # e.g. the chat or message was deleted in another tab
        actions.keep_draft(action)
        st.error(error_text(exc, lang))
    return Turn(chat_id)


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
        note=t("chat.draft_kept", lang),
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
            note=t("chat.edit_note", lang),
        )


def show_window(view: ChatView, lang: str, hide: Sequence[int] = (), *, busy: bool = False) -> None:
    """Draw the branch's window (minus ``hide``) with "Show older" when some are left out."""
    show_older(f"window-{view.summary.id}", view.hidden, WINDOW, lang)
    footer = message_actions.footer(view, lang, busy=busy)
    editing = actions.editing()
    for message in view.messages:
        if message.id in hide:
            continue
        if message.id == editing and message.sender == Sender.USER:
            _edit_box(message, lang)
        else:
            render_message(message, lang, footer)


# --- 3. the live answer -------------------------------------------------------------------------
def stream_answer(reply: ChatReply, box: ThinkingBox, lang: str) -> None:
    """Draw the user's message and the answer as it streams, then rerun to show it as stored."""
    with reply:
        render_message(reply.user_message, lang)
        with st.chat_message("assistant"):
            box.attach(st.container())
            st.write_stream(reply)
    st.rerun()


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
