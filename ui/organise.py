"""Organising the open chat from its menu: pin / unpin, archive / unarchive, and its tags.

Pin and archive act at once, in the menu's callback (:func:`apply`), and say so with a toast;
an archived chat leaves the sidebar but stays open here, in History and in search. Tags are
edited in a dialog (:func:`tags_dialog`): a multi-select of every tag known, where typing a new
name and pressing Enter adds it; Save adds and removes the difference in one go each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from core.i18n import t
from core.schemas import ChatSummary
from core.services import organise
from ui import state
from ui.widgets import submit_in_dialog

PIN, UNPIN, ARCHIVE, UNARCHIVE, TAGS = "pin", "unpin", "archive", "unarchive", "tags"
_DONE = {
    PIN: "organise.pinned_done",
    UNPIN: "organise.unpinned_done",
    ARCHIVE: "organise.archived_done",
    UNARCHIVE: "organise.unarchived_done",
}


def menu_items(summary: ChatSummary) -> list[str]:
    """The organising items of this chat's menu, as its state allows."""
    return [UNPIN if summary.pinned else PIN, UNARCHIVE if summary.archived else ARCHIVE, TAGS]


def label(item: str, lang: str) -> str:
    return t(f"organise.{item}", lang) + ("…" if item == TAGS else "")


def apply(item: str, chat_id: int, lang: str) -> None:
    """Pin, unpin, archive or unarchive (from the menu's callback)."""
    if item in (PIN, UNPIN):
        done = state.attempted(lambda: organise.set_pinned([chat_id], item == PIN), lang)
    else:
        done = state.attempted(lambda: organise.set_archived([chat_id], item == ARCHIVE), lang)
    if done:
        state.flash(t(_DONE[item], lang))


def _save_tags(chat_id: int, before: Sequence[str], after: Sequence[str]) -> None:
    for name in after:
        if name not in before:
            organise.add_tag([chat_id], name)
    for name in before:
        if name not in after:
            organise.remove_tag([chat_id], name)


def tags_dialog(summary: ChatSummary, lang: str, on_close: Callable[[], None]) -> None:
    """The dialog that edits the chat's tags."""

    def body() -> None:
        known = [name for name, _count in organise.tags()]
        options = list(dict.fromkeys([*summary.tags, *known]))
        with st.form(f"tags-{summary.id}", border=False):
            chosen = st.multiselect(
                t("organise.tags_label", lang),
                options,
                default=list(summary.tags),
                accept_new_options=True,
                help=t("organise.tags_help", lang),
            )
            if st.form_submit_button(t("organise.save", lang), icon=":material/sell:"):
                submit_in_dialog(
                    lambda: _save_tags(summary.id, summary.tags, [str(name) for name in chosen]),
                    lang,
                    close=on_close,
                    done=t("organise.tags_done", lang),
                )

    st.dialog(t("organise.tags_title", lang), on_dismiss=on_close)(body)()
