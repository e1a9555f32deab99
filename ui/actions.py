"""What the person asked the chat page to do, kept across the rerun that carries it out.

Buttons and menus do not act where they are drawn: their callbacks *queue* an action in
``st.session_state``, and :func:`take` hands it to the top of the next run, before anything is
drawn, so the conversation is drawn once, already with the new turn, and never shows a row the
action is about to replace. The actions are small frozen records:

- :class:`Send` — a new message at the end of the selected branch;
- :class:`Regenerate` — a new version of an answer (``None``: the last one; a user message:
  answer it again, "Retry");
- :class:`Edit` — a new version of a user message, answered.

A message being edited and text the core refused (kept as a draft to fix, never lost) live here
too.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class Send:
    text: str


@dataclass(frozen=True)
class Regenerate:
    message_id: int | None = None


@dataclass(frozen=True)
class Edit:
    message_id: int
    text: str


Action = Send | Regenerate | Edit

_PENDING = "pending_action"
_EDITING = "editing_message"  # id of the user message shown as an edit box
_DRAFT = "draft"  # the refused action, kept for the person to fix and send again


def queue(action: Action) -> None:
    st.session_state[_PENDING] = action
    st.session_state.pop(_EDITING, None)


def take() -> Action | None:
    """The queued action, once."""
    action = st.session_state.pop(_PENDING, None)
    return action if isinstance(action, Send | Regenerate | Edit) else None


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
