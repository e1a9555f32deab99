"""Small controls the pages share, written once: "Show older", a delete confirmation, and what a
dialog's form does once submitted."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.errors import CharlaError
from core.i18n import error_text, t
from ui import state


def _grow(key: str, step: int) -> None:
    st.session_state[key] = int(st.session_state.get(key, step)) + step


def show_older(key: str, hidden: int, step: int, lang: str) -> None:
    """A "Show N older messages" button that grows the window kept in ``st.session_state[key]``."""
    if hidden <= 0:
        return
    st.button(
        t("chat.show_older", lang, count=min(hidden, step), total=hidden),
        key=f"{key}-older",
        icon=":material/expand_less:",
        type="tertiary",
        on_click=_grow,
        args=(key, step),
    )


def confirm_delete(
    key: str,
    question: str,
    lang: str,
    *,
    on_yes: Callable[[], None],
    on_no: Callable[[], None],
) -> None:
    """A bordered "really delete?" box with Yes / Cancel (keys ``{key}``, ``{key}-yes/-no``).

    Both buttons act in callbacks, before the next run draws anything."""
    with st.container(border=True, key=key):
        st.warning(question)
        with st.container(horizontal=True):
            st.button(
                t("chat.delete_yes", lang),
                key=f"{key}-yes",
                type="primary",
                icon=":material/delete_forever:",
                on_click=on_yes,
            )
            st.button(t("chat.cancel", lang), key=f"{key}-no", on_click=on_no)


def submit_in_dialog(
    action: Callable[[], object], lang: str, *, close: Callable[[], None], done: str
) -> None:
    """A dialog's form was submitted: run ``action``. Refused, its sentence shows in the dialog,
    which stays open with what was typed; done, the dialog closes and ``done`` is flashed."""
    try:
        action()
    except CharlaError as exc:
        st.warning(error_text(exc, lang))
    else:
        close()
        state.flash(done)
        st.rerun()


def dim_style() -> None:
    """Dim the messages the model is no longer sent (containers keyed ``unsent-…``)."""
    st.html("<style>[class*='st-key-unsent-'] { opacity: 0.55; }</style>")
