"""Each message's controls on the chat page: its versions ("‹ 2 / 3 ›") and its "⋯" menu.

- Versions: a message with siblings shows which one it is and arrows to the others. Switching
  stores the choice (:func:`core.services.chats.select_version`), so it survives a reload and
  every tab shows the same branch; the page reruns and draws the branch below the new version.
- The menu (``st.menu_button``: one widget per message, and it closes as soon as an item is
  picked): *Edit* on a user message (a new version of it, answered; the old one stays),
  *Regenerate* on an answer (a new version of it), *Delete this version* where there are others.
  Deleting asks first, below the message, naming how much goes with it.

Actions that start an answer are queued for the top of the next run (:mod:`ui.actions`), so the
conversation is drawn once, already with the new turn. Every callback here runs before that run.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.errors import CharlaError
from core.i18n import t
from core.schemas import MessageRecord
from core.services import chats
from core.services.chats import ChatView
from core.vocab import Sender
from ui import actions, state
from ui.render import Footer
from ui.widgets import confirm_delete

EDIT, REGENERATE, DELETE = "edit", "regenerate", "delete"
_CONFIRM = "confirm_delete_version"  # message id whose version deletion awaits a "yes"
_ICONS = {EDIT: ":material/edit:", REGENERATE: ":material/refresh:", DELETE: ":material/delete:"}


def _switch(message_id: int, lang: str) -> None:
    state.attempted(lambda: chats.select_version(message_id), lang)  # gone in another tab?


def _chosen(message_id: int, key: str) -> None:
    choice = st.session_state.get(key)
    if choice == EDIT:
        actions.start_editing(message_id)
    elif choice == REGENERATE:
        actions.queue(actions.Regenerate(message_id))
    elif choice == DELETE:
        st.session_state[_CONFIRM] = message_id


def _delete(message_id: int, lang: str) -> None:
    st.session_state.pop(_CONFIRM, None)
    if state.attempted(lambda: chats.delete_version(message_id), lang):
        state.flash(t("msg.version_deleted", lang))


def _cancel_delete() -> None:
    st.session_state.pop(_CONFIRM, None)


def _versions(message: MessageRecord, view: ChatView, lang: str) -> None:
    versions = view.versions.get(message.id)
    if versions is None:
        return
    st.button(
        "‹",
        key=f"ver-prev-{message.id}",
        type="tertiary",
        help=t("msg.previous_version", lang),
        disabled=versions.previous_id is None,
        on_click=_switch,
        args=(versions.previous_id, lang),
    )
    st.caption(t("msg.version", lang, index=versions.index, count=versions.count), width="content")
    st.button(
        "›",
        key=f"ver-next-{message.id}",
        type="tertiary",
        help=t("msg.next_version", lang),
        disabled=versions.next_id is None,
        on_click=_switch,
        args=(versions.next_id, lang),
    )


def _menu(message: MessageRecord, view: ChatView, lang: str, busy: bool) -> None:
    options = [EDIT] if message.sender == Sender.USER else [REGENERATE]
    if message.id in view.versions:
        options.append(DELETE)
    key = f"msg-menu-{message.id}"
    st.menu_button(
        "⋯",
        options,
        key=key,
        type="tertiary",
        help=t("msg.menu", lang),
        disabled=busy,
        format_func=lambda option: t(f"msg.action_{option}", lang),
        on_click=_chosen,
        args=(message.id, key),
    )


def _confirm_delete(message: MessageRecord, lang: str) -> None:
    try:
        doomed = chats.version_size(message.id)
    except CharlaError:
        st.session_state.pop(_CONFIRM, None)
        return
    confirm_delete(
        f"delete-version-{message.id}",
        t("msg.delete_version_confirm", lang, count=doomed - 1),
        lang,
        on_yes=lambda: _delete(message.id, lang),
        on_no=_cancel_delete,
    )


def footer(view: ChatView, lang: str, *, busy: bool = False) -> Footer:
    """The controls drawn at the bottom of each message bubble of ``view``."""

    def draw(message: MessageRecord, bar: Any) -> None:
        with bar:
            _versions(message, view, lang)
            _menu(message, view, lang, busy)
        if st.session_state.get(_CONFIRM) == message.id:
            _confirm_delete(message, lang)

    return draw
