"""The tag name box and the row of buttons beside it, as History's bulk bar (Add tag) and its tag
manager (Rename) both draw and use them: one box, limited to what a tag may hold; buttons drawn from
a list; and :func:`apply_name`, the callback's common part — the name typed, given to a tag action,
its refusal flashed in the person's language, or, once done, the box emptied and the cached chat
lists forgotten (they show tags).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import streamlit as st

from core.errors import CharlaError
from core.i18n import error_text
from core.services.organise import MAX_TAG_CHARS
from ui import state
from ui.history_filters import forget_lists


@dataclass(frozen=True)
class Button:
    key: str
    label: str
    icon: str
    on_click: Callable[..., None]
    args: tuple[object, ...] = ()


def buttons(row: Sequence[Button]) -> None:
    """The buttons of ``row``, in order, in the container being drawn."""
    for button in row:
        st.button(
            button.label,
            key=button.key,
            icon=button.icon,
            on_click=button.on_click,
            args=button.args,
        )


def name_box(key: str, label: str, *, compact: bool = False) -> None:
    """A box for a tag's name; ``compact``: narrow, its label as placeholder (in a bar)."""
    if compact:
        st.text_input(
            label,
            key=key,
            max_chars=MAX_TAG_CHARS,
            width=180,
            placeholder=label,
            label_visibility="collapsed",
        )
    else:
        st.text_input(label, key=key, max_chars=MAX_TAG_CHARS)


def apply_name(
    key: str, action: Callable[[str], str], lang: str, *, unchanged: str | None = None
) -> str | None:
    """Give the name typed in box ``key`` to ``action`` (which returns the tag as stored) and
    return that; None when nothing new was typed (empty, or ``unchanged``) or the action refused
    (its sentence flashed). Once done, the box is emptied and the chat lists read again."""
    name = (st.session_state.get(key) or "").strip()
    if not name or name == unchanged:
        return None
    try:
        stored = action(name)
    except CharlaError as exc:  # a name too long, a chat or tag gone in another tab
        state.flash(error_text(exc, lang), error=True)
        return None
    st.session_state[key] = ""
    forget_lists()
    return stored
