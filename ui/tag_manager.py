"""History's tag manager: rename a tag on every chat that carries it (into an existing tag of that
name, the two merge) or take it off every chat. The chats themselves are never touched; taking a
tag away asks first, naming how many chats carry it.

Both actions run in button callbacks, before the next run draws anything, and flash what they
did (or why not: an empty or too long name, a tag already gone in another tab).
"""

from __future__ import annotations

import streamlit as st

from core.i18n import t
from core.services import organise
from ui import state
from ui.history_filters import forget_lists
from ui.tag_form import Button, apply_name, buttons, name_box
from ui.widgets import confirm_delete

PICK = "hist.tags.pick"
NEW_NAME = "hist.tags.new"
_CONFIRM = "hist.tags.confirm"  # the tag a "Remove from every chat" asked about


def _rename(old: str, lang: str) -> None:
    stored = apply_name(NEW_NAME, lambda new: organise.rename_tag(old, new), lang, unchanged=old)
    if stored is not None:
        st.session_state[PICK] = stored
        state.flash(t("organise.tag_renamed", lang, old=old, tag=stored))


def _delete(name: str, lang: str) -> None:
    st.session_state.pop(_CONFIRM, None)
    if state.attempted(lambda: organise.delete_tag(name), lang):
        st.session_state.pop(PICK, None)
        forget_lists()
        state.flash(t("organise.tag_deleted", lang, tag=name))


def tag_manager(lang: str) -> None:
    """The "Manage tags" box (nothing when no chat has a tag)."""
    counts = dict(organise.tags())
    if not counts:
        return
    with st.expander(t("organise.manage_tags", lang), icon=":material/sell:"):
        if st.session_state.get(PICK) not in counts:
            st.session_state.pop(PICK, None)
        name = st.selectbox(
            t("organise.tag_filter", lang),
            list(counts),
            key=PICK,
            format_func=lambda tag: t("organise.tag_count", lang, tag=tag, count=counts[tag]),
        )
        if name is None:
            return
        name_box(NEW_NAME, t("organise.new_name", lang))
        with st.container(horizontal=True):
            buttons(
                [
                    Button(
                        "hist.tags.rename",
                        t("organise.rename_tag", lang),
                        ":material/edit:",
                        _rename,
                        (name, lang),
                    ),
                    Button(
                        "hist.tags.delete",
                        t("organise.delete_tag", lang),
                        ":material/label_off:",
                        lambda: st.session_state.update({_CONFIRM: name}),
                    ),
                ]
            )
        if st.session_state.get(_CONFIRM) == name:
            confirm_delete(
                "hist-tag-confirmation",
                t("organise.delete_tag_confirm", lang, tag=name, count=counts[name]),
                lang,
                on_yes=lambda: _delete(name, lang),
                on_no=lambda: st.session_state.pop(_CONFIRM, None),
            )
