"""The chat page's sidebar list of chats, and the rename / delete controls of the open chat.

The list shows the chats newest activity first, under day headers — Today, Yesterday, Previous
7 days, Older — counted in calendar days of the *browser's* time zone (``st.context.timezone``,
else ``st.context.timezone_offset``, else UTC; the rules are in :mod:`ui.dates`).

It is deliberately *not* an ``st.fragment``. A fragment's rerun waits until a running full-app run
ends, and while an answer streams the full-app run is that answer: clicking another chat did
nothing until the answer was over. As plain widgets, a click interrupts the running script at
once (the answer is stored as ``stopped`` by its reply, as for any rerun) and the next run opens
the chosen chat. Selecting happens in the buttons' ``on_click`` callbacks, which run before that
run, so the page is drawn once, already with the new chat. Paging ("More chats", :data:`PAGE` more
per click) is a full rerun too, which costs little: the list is one query per run, for the chats
shown plus one row to know whether there is a next page, so 10,000 chats cost the same as 30.

"New chat" only clears the selection: the chat row is created by the first message, so abandoned
empty chats never pile up. Deleting asks for confirmation in the main area (not inside the popover,
which closes on every rerun).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

import streamlit as st

from core.i18n import t
from core.schemas import ChatSummary
from core.services import chats as chat_service
from ui import dates, organise, state
from ui.chat_settings import open_chat_settings
from ui.widgets import confirm_delete, submit_in_dialog

PAGE = 30  # chats listed per page
LABEL_CHARS = 42  # longer titles are cut in the sidebar (the full title is the tooltip)
_LIMIT = "chat_list_limit"
_CONFIRM_DELETE = "confirm_delete"


def _more() -> None:
    st.session_state[_LIMIT] = st.session_state.get(_LIMIT, PAGE) + PAGE


def _label(title: str, lang: str) -> str:
    title = title or t("chat.untitled", lang)
    return title if len(title) <= LABEL_CHARS else title[: LABEL_CHARS - 1].rstrip() + "…"


def browser_zone() -> tzinfo:
    """The reader's time zone as the browser reports it (UTC until it has said)."""
    return dates.zone_from(st.context.timezone, st.context.timezone_offset)


def _chat_button(chat: ChatSummary, current: int | None, lang: str) -> None:
    st.button(
        _label(chat.title, lang),
        key=f"chat-{chat.id}",
        icon=":material/keep:" if chat.pinned else None,
        type="primary" if chat.id == current else "tertiary",
        help=chat.title
        if chat.title and len(chat.title) > LABEL_CHARS
        else None,  # cut: full title
        width="stretch",
        on_click=state.select_chat,
        args=(chat.id,),
    )


def chat_list(current: int | None, lang: str) -> None:
    """New chat, then the chats newest first under day headers, one page at a time."""
    st.button(
        t("chat.new", lang),
        key="chat-new",
        icon=":material/edit_square:",
        width="stretch",
        on_click=state.select_chat,
        args=(None,),
    )
    limit = st.session_state.get(_LIMIT, PAGE)
    chats = chat_service.list_chats(
        limit=limit + 1, include_archived=False, include_comparisons=False
    )
    if not chats:
        st.caption(t("chat.no_chats", lang))
    now = datetime.now(UTC)
    groups = dates.group_by_day(chats[:limit], lambda c: c.last_activity, now, browser_zone())
    for bucket, members in groups:
        st.caption(t(f"chat.group_{bucket}", lang))
        for chat in members:
            _chat_button(chat, current, lang)
    if len(chats) > limit:
        st.button(t("chat.more_chats", lang), key="chat-more", on_click=_more, type="secondary")


_DIALOG = "chat_dialog"  # (what, chat id): a dialog the chat menu asked for
SETTINGS, RENAME, DELETE = "settings", "rename", "delete"


def _menu_chosen(chat_id: int, key: str, lang: str) -> None:
    choice = st.session_state.get(key)
    if choice == DELETE:
        st.session_state[_CONFIRM_DELETE] = chat_id
    elif choice in (SETTINGS, RENAME, organise.TAGS):
        st.session_state[_DIALOG] = (choice, chat_id)
    elif choice is not None:
        organise.apply(choice, chat_id, lang)


def close_dialog() -> None:
    """The chat menu's dialog is done (saved, or dismissed by the person)."""
    st.session_state.pop(_DIALOG, None)


def _rename_dialog(chat_id: int, title: str, lang: str) -> None:
    def body() -> None:
        with st.form(f"rename-{chat_id}", border=False):
            new_title = st.text_input(t("chat.rename_label", lang), value=title, max_chars=200)
            if st.form_submit_button(t("chat.rename", lang), icon=":material/edit:"):
                submit_in_dialog(
                    lambda: chat_service.rename_chat(chat_id, new_title),
                    lang,
                    close=close_dialog,
                    done=t("chat.renamed", lang),
                )

    st.dialog(t("chat.rename_title", lang), on_dismiss=close_dialog)(body)()


def chat_menu(summary: ChatSummary, lang: str) -> None:
    """The chat's menu beside its title: settings, rename, pin, archive, tags (dialogs for
    settings, rename and tags) and delete (asks first, below the title). A menu closes as soon as
    an item is picked, so nothing it opens is covered by it."""
    chat_id = summary.id
    key = f"chat-menu-{chat_id}"
    st.menu_button(
        t("chat.manage", lang),
        [SETTINGS, RENAME, *organise.menu_items(summary), DELETE],
        key=key,
        icon=":material/more_horiz:",
        format_func=lambda item: (
            t(f"chat.menu_{item}", lang)
            if item in (SETTINGS, RENAME, DELETE)
            else organise.label(item, lang)
        ),
        on_click=_menu_chosen,
        args=(chat_id, key, lang),
    )
    # The dialog stays asked for until it is done: every full rerun while it is open draws it.
    what, target = st.session_state.get(_DIALOG, (None, None))
    if target != chat_id:
        return
    if what == SETTINGS:
        open_chat_settings(chat_id, lang, on_close=close_dialog)
    elif what == RENAME:
        _rename_dialog(chat_id, summary.title, lang)
    elif what == organise.TAGS:
        organise.tags_dialog(summary, lang, on_close=close_dialog)


def _delete(chat_id: int, lang: str) -> None:
    st.session_state.pop(_CONFIRM_DELETE, None)
    if state.attempted(lambda: chat_service.delete_chat(chat_id), lang):
        state.select_chat(None)
        state.flash(t("chat.deleted", lang))


def _cancel() -> None:
    st.session_state.pop(_CONFIRM_DELETE, None)


def delete_confirmation(chat_id: int, title: str, lang: str) -> None:
    """If the user asked to delete this chat, ask once more; delete on "Yes"."""
    if st.session_state.get(_CONFIRM_DELETE) != chat_id:
        return
    confirm_delete(
        "delete-confirmation",
        t("chat.delete_confirm", lang, title=title or t("chat.untitled", lang)),
        lang,
        on_yes=lambda: _delete(chat_id, lang),
        on_no=_cancel,
    )
