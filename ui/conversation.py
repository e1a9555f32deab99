"""The chat page's conversation: a window of stored messages, one live answer, and the actions.

One turn of the page, top to bottom:

1. :func:`start_turn` looks at what the user asked for in this run — a new message from the chat
   input, or an action queued by a button callback (regenerate/retry, edit and resend, send a kept
   draft) — and starts it through :class:`~core.services.chat.ChatService`. The service commits
   the user's message and an empty answer row *before* the model is called, so nothing typed is
   lost if the server is down. Input the core refuses (:class:`~core.errors.InputError`) is kept as
   a draft in ``st.session_state`` and offered back for editing.
2. :func:`show_window` draws the latest :data:`WINDOW` stored messages (plus "Show older"), leaving
   out the two rows of the turn being streamed.
3. :func:`stream_answer` draws the live answer: reasoning into a collapsed "Thinking" expander,
   text with ``st.write_stream``. The reply is a context manager, so a Stop click or a rerun closes
   the HTTP stream (the server stops generating) and the core stores the partial answer as
   ``stopped``. Then the page reruns and the stored rendering (:mod:`ui.render`) replaces the live one.
4. :func:`answer_actions` under the last answer: the error with Retry, Regenerate, Edit.

Buttons queue their action in ``st.session_state`` from ``on_click`` callbacks instead of acting
where they are drawn, so the action runs at the top of the next run, before the window is drawn,
and the conversation never shows a row that the action is about to replace.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from core.conf.db import session_scope
from core.errors import CharlaError, InputError
from core.i18n import error_text, t
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository
from core.schemas import ChatSummary, MessageRecord
from core.services.chat import ChatReply, ChatService, new_chat
from core.text import check_user_message
from ui import state
from ui.render import render_message, render_messages

WINDOW = 50  # messages drawn at first, and added by each "Show older"

_PENDING = "pending_action"  # ("send", text) | ("regenerate",) | ("edit", text)
_DRAFT = "draft"  # (kind, text) the core refused, kept for the user to fix and send again
_EDITING = "editing_chat"  # chat id whose last message is being edited
_ERRORS = "answer_errors"  # answer id -> the error in the user's language (the DB keeps English)


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


# --- queued actions (button callbacks) -----------------------------------------------------------
def _queue(*action: str) -> None:
    st.session_state[_PENDING] = action
    st.session_state.pop(_EDITING, None)


def _queue_edit(key: str) -> None:
    _queue("edit", st.session_state.get(key, ""))


def _queue_draft(key: str) -> None:
    kind, _ = st.session_state.pop(_DRAFT, ("send", ""))
    _queue(kind, st.session_state.get(key, ""))


def _start_editing(chat_id: int) -> None:
    st.session_state[_EDITING] = chat_id


def _stop_editing() -> None:
    st.session_state.pop(_EDITING, None)


def _discard_draft() -> None:
    st.session_state.pop(_DRAFT, None)


def _grow_window(chat_id: int) -> None:
    key = f"window-{chat_id}"
    st.session_state[key] = st.session_state.get(key, WINDOW) + WINDOW


# --- 1. start the turn --------------------------------------------------------------------------
def start_turn(
    service: ChatService, chat_id: int | None, prompt: str | None, box: ThinkingBox, lang: str
) -> Turn:
    """Start what the user asked for in this run; refused input becomes a draft with a warning."""
    action = st.session_state.pop(_PENDING, None)
    if prompt is not None:
        action = ("send", prompt)
    if not action:
        return Turn(chat_id)
    kind, text = action[0], (action[1] if len(action) > 1 else "")
    try:
        if kind == "send":
            text = check_user_message(text)  # before creating a chat for it
            if chat_id is None:
                chat_id = new_chat()
                state.select_chat(chat_id)
            return Turn(chat_id, service.send(chat_id, text, on_reasoning=box))
        if chat_id is None:
            return Turn(chat_id)
        if kind == "edit":
            return Turn(chat_id, service.edit_and_resend(chat_id, text, on_reasoning=box))
        return Turn(chat_id, service.regenerate(chat_id, on_reasoning=box))
    except InputError as exc:
        _keep_draft(kind, text)
        st.warning(error_text(exc, lang), icon=":material/edit_note:")
    except CharlaError as exc:  # e.g. the chat was deleted in another tab
        _keep_draft(kind, text)
        st.error(error_text(exc, lang))
    return Turn(chat_id)


def _keep_draft(kind: str, text: str) -> None:
    if kind in ("send", "edit") and text.strip():
        st.session_state[_DRAFT] = (kind, text)


def draft_editor(lang: str) -> None:
    """The text the core refused, editable, with "Send" and "Discard": typed text is never lost."""
    if _DRAFT not in st.session_state:
        return
    _, draft = st.session_state[_DRAFT]
    _message_box(
        "draft",
        t("chat.draft_label", lang),
        draft,
        send=(t("chat.send_draft", lang), _queue_draft),
        cancel=(t("chat.discard_draft", lang), _discard_draft),
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
def load_chat(chat_id: int, size: int) -> tuple[ChatSummary, list[MessageRecord]]:
    """The chat and its newest ``size`` messages (oldest first), in one read."""
    with session_scope() as db:
        summary = ChatRepository(db).get(chat_id)
        messages = MessageRepository(db).list_for_chat(chat_id, limit=size)
    return summary, messages


def window_size(chat_id: int) -> int:
    return int(st.session_state.get(f"window-{chat_id}", WINDOW))


def show_window(
    summary: ChatSummary, messages: Sequence[MessageRecord], lang: str, hide: Sequence[int] = ()
) -> None:
    """Draw the stored messages (minus ``hide``) with a "Show older" button when some are left out."""
    hidden = summary.message_count - len(messages)
    if hidden > 0:
        st.button(
            t("chat.show_older", lang, count=min(hidden, WINDOW), total=hidden),
            key=f"older-{summary.id}",
            icon=":material/expand_less:",
            type="tertiary",
            on_click=_grow_window,
            args=(summary.id,),
        )
    render_messages((m for m in messages if m.id not in hide), lang)


# --- 3. the live answer -------------------------------------------------------------------------
def stream_answer(reply: ChatReply, box: ThinkingBox, lang: str) -> None:
    """Draw the user's message and the answer as it streams, then rerun to show it as stored."""
    with reply:
        render_message(reply.user_message, lang)
        with st.chat_message("assistant"):
            box.attach(st.container())
            st.write_stream(reply)
    if reply.error is not None:
        st.session_state.setdefault(_ERRORS, {})[reply.answer_id] = error_text(reply.error, lang)
    st.rerun()


# --- 4. under the last answer -------------------------------------------------------------------
def answer_actions(chat_id: int, messages: Sequence[MessageRecord], lang: str) -> None:
    """Retry (with the error) or Regenerate, and Edit the last message; the edit box when open."""
    if not messages:
        return
    last = messages[-1]
    last_user = next((m for m in reversed(messages) if m.sender == "user"), None)
    failed = last.sender == "llm" and last.status == "error"
    if failed:
        known = st.session_state.get(_ERRORS, {}).get(last.id)
        st.error(known or t("chat.answer_failed", lang, detail=last.error or ""))
    if st.session_state.get(_EDITING) == chat_id and last_user is not None:
        _edit_box(chat_id, last_user, lang)
        return
    with st.container(horizontal=True, key="answer-actions"):
        if failed or last.sender == "user":
            st.button(
                t("chat.retry", lang),
                key="retry",
                icon=":material/refresh:",
                type="primary" if failed else "secondary",
                on_click=_queue,
                args=("regenerate",),
            )
        else:
            st.button(
                t("chat.regenerate", lang),
                key="regenerate",
                icon=":material/refresh:",
                on_click=_queue,
                args=("regenerate",),
            )
        if last_user is not None:
            st.button(
                t("chat.edit", lang),
                key="edit",
                icon=":material/edit:",
                on_click=_start_editing,
                args=(chat_id,),
            )


def _edit_box(chat_id: int, last_user: MessageRecord, lang: str) -> None:
    _message_box(
        f"edit-{chat_id}-{last_user.id}",  # a new box (and text) when the message changes
        t("chat.edit_label", lang),
        last_user.content,
        send=(t("chat.resend", lang), _queue_edit),
        cancel=(t("chat.cancel", lang), _stop_editing),
    )
