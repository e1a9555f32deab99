"""What the person asked the chat page to do, kept across the rerun that carries it out.

Buttons and menus do not act where they are drawn: their callbacks *queue* an action in
``st.session_state``, and :func:`take` hands it to the top of the next run, before anything is
drawn, so the conversation is drawn once, already with the new turn, and never shows a row the
action is about to replace. The actions are small frozen records:

- :class:`Send` — a new message at the end of the selected branch;
- :class:`Regenerate` — a new version of an answer (``None``: the last one; a user message:
  answer it again, "Retry");
- :class:`Edit` — a new version of a user message, answered;
- :class:`Waiting` — a message sent while its chat was still answering: shown as the next message
  and sent when the answer ends (cancelling it turns it into a draft: typed text is never lost).

A message being edited and text the core refused (kept as a draft to fix, never lost) live here
too.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

Upload = tuple[str, bytes, str | None]  # a file from the chat input: (name, bytes, MIME type)


@dataclass(frozen=True)
class Send:
    text: str
    files: tuple[Upload, ...] = ()


@dataclass(frozen=True)
class Regenerate:
    message_id: int | None = None


@dataclass(frozen=True)
class Edit:
    message_id: int
    text: str


@dataclass(frozen=True)
class Waiting:
    """A message sent while its chat was still answering: sent when the answer ends."""

    chat_id: int
    text: str
    files: tuple[Upload, ...] = ()


Action = Send | Regenerate | Edit | Waiting

_PENDING = "pending_action"
_WAITING = "waiting_message"
_EDITING = "editing_message"  # id of the user message shown as an edit box
_DRAFT = "draft"  # the refused action, kept for the person to fix and send again


def queue(action: Action) -> None:
    st.session_state[_PENDING] = action
    st.session_state.pop(_EDITING, None)


def take() -> Action | None:
    """The queued action, once."""
    action = st.session_state.pop(_PENDING, None)
    return action if isinstance(action, Send | Regenerate | Edit) else None


# --- a message waiting for the answer to end --------------------------------------------------------
def wait_for_answer(waiting: Waiting) -> None:
    st.session_state[_WAITING] = waiting


def waiting(chat_id: int | None) -> Waiting | None:
    value = st.session_state.get(_WAITING)
    return value if isinstance(value, Waiting) and value.chat_id == chat_id else None


def take_waiting(chat_id: int | None) -> Waiting | None:
    """The message waiting in this chat, once (``wait_for_answer`` puts it back if still busy)."""
    found = waiting(chat_id)
    if found is not None:
        st.session_state.pop(_WAITING, None)
    return found


def cancel_waiting(text: str) -> None:
    """Do not send the waiting message after all: it becomes a draft to edit (never lost)."""
    st.session_state.pop(_WAITING, None)
    keep_draft(Send(text))


# --- editing a message ------------------------------------------------------------------------------
def start_editing(message_id: int) -> None:
    st.session_state[_EDITING] = message_id


def stop_editing() -> None:
    st.session_state.pop(_EDITING, None)


def editing() -> int | None:
    value = st.session_state.get(_EDITING)
    return value if isinstance(value, int) else None


def send_edit(message_id: int, text_key: str) -> None:
    """The edit box's "Send" callback: queue the edited text as a new version."""
    queue(Edit(message_id, str(st.session_state.get(text_key, ""))))


# --- refused text ---------------------------------------------------------------------------------
def keep_draft(action: Action) -> None:
    """Keep refused text so the person can fix it (actions without text need no draft)."""
    if isinstance(action, Waiting):
        action = Send(action.text, action.files)
    if isinstance(action, Send | Edit) and action.text.strip():
        st.session_state[_DRAFT] = action


def draft() -> Send | Edit | None:
    value = st.session_state.get(_DRAFT)
    return value if isinstance(value, Send | Edit) else None


def send_draft(text_key: str) -> None:
    """The draft box's "Send" callback: the fixed text, as the same kind of action."""
    kept = st.session_state.pop(_DRAFT, None)
    text = str(st.session_state.get(text_key, ""))
    queue(Edit(kept.message_id, text) if isinstance(kept, Edit) else Send(text))


def discard_draft() -> None:
    st.session_state.pop(_DRAFT, None)
