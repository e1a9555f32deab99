"""History's actions on several chats at once: the rows selected in the table.

A bar under the table says how many chats are selected and offers Pin / Unpin, Archive /
Unarchive, Add tag and Delete. Delete asks first, naming how many chats go ("Delete 3 chats and
all their messages?"). Every action runs in a button callback, before the next run draws
anything, and acts on the ids captured when the bar was drawn — never on whatever happens to be
selected when the callback runs — then clears the selection (the table's key changes with
:data:`_ROUND`) so the next table starts with nothing selected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from core.errors import CharlaError
from core.i18n import t
from core.services import chats as chat_service
from core.services import organise
from ui import state
from ui.tag_form import Button, apply_name, buttons, name_box
from ui.widgets import confirm_delete

_CONFIRM = "hist.bulk_confirm"  # the ids a "Delete" asked about
_ROUND = "hist.bulk_round"  # bumped after an action: the table starts unselected
TAG = "hist.bulk_tag"


def round_key() -> int:
    """Part of the table's key: changes after every bulk action."""
    return int(st.session_state.get(_ROUND, 0))


def _done(text: str) -> None:
    st.session_state[_ROUND] = round_key() + 1
    state.flash(text)


def _act(action: Callable[[], object], lang: str, done: str) -> None:
    if state.attempted(action, lang):  # refused: a chat deleted in another tab meanwhile
        _done(done)


def _pin(ids: list[int], pinned: bool, lang: str) -> None:
    _act(lambda: organise.set_pinned(ids, pinned), lang, t("organise.done", lang))


def _archive(ids: list[int], archived: bool, lang: str) -> None:
    _act(lambda: organise.set_archived(ids, archived), lang, t("organise.done", lang))


def _tag(ids: list[int], lang: str) -> None:
    stored = apply_name(TAG, lambda name: organise.add_tag(ids, name), lang)
    if stored is not None:
        _done(t("organise.tagged", lang, tag=stored))


def _ask_delete(ids: list[int]) -> None:
    st.session_state[_CONFIRM] = tuple(ids)


def _cancel() -> None:
    st.session_state.pop(_CONFIRM, None)


def _delete(ids: tuple[int, ...], lang: str) -> None:
    st.session_state.pop(_CONFIRM, None)
    deleted = 0
    for chat_id in ids:
        try:
            chat_service.delete_chat(chat_id)
        except CharlaError:  # already gone (another tab): nothing left to delete
            continue
        deleted += 1
    _done(t("organise.deleted", lang, count=deleted))


def bulk_actions(ids: Sequence[int], lang: str) -> None:
    """The bar of actions for the selected chats (nothing when none is selected)."""
    chosen = list(ids)
    asked = st.session_state.get(_CONFIRM)
    if asked:
        confirm_delete(
            "hist-bulk-confirmation",
            t("organise.delete_confirm", lang, count=len(asked)),
            lang,
            on_yes=lambda: _delete(asked, lang),
            on_no=_cancel,
        )
    if not chosen:
        return
    with st.container(horizontal=True, vertical_alignment="bottom", key="hist-bulk", border=True):
        st.caption(t("organise.selected", lang, count=len(chosen)))
        buttons(
            [
                Button(f"hist.bulk.{key}", t(label, lang), icon, callback, (chosen, value, lang))
                for key, label, icon, callback, value in (
                    ("pin", "organise.pin", ":material/keep:", _pin, True),
                    ("unpin", "organise.unpin", ":material/keep_off:", _pin, False),
                    ("archive", "organise.archive", ":material/archive:", _archive, True),
                    ("unarchive", "organise.unarchive", ":material/unarchive:", _archive, False),
                )
            ]
        )
        name_box(TAG, t("organise.tag_name", lang), compact=True)
        buttons(
            [
                Button(
                    "hist.bulk.tag",
                    t("organise.add_tag", lang),
                    ":material/sell:",
                    _tag,
                    (chosen, lang),
                ),
                Button(
                    "hist.bulk.delete",
                    t("organise.delete_selected", lang),
                    ":material/delete:",
                    _ask_delete,
                    (chosen,),
                ),
            ]
        )
