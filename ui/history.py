"""The History page's pieces: the paged table of chats, reading one chat, delete (the search box
and filters are :mod:`ui.history_filters`, the message hits :mod:`ui.search_view`, the actions on
several selected chats :mod:`ui.history_bulk`, exports :mod:`ui.history_export`).

How the page stays fast with 10,000 chats: the table shows one page of :data:`PAGE` chats, asked from
the database with ``LIMIT``/``OFFSET`` (:func:`core.services.history.search_chats`), plus the counts
the pager and the download labels need (:func:`load_page` skips the filtered count when the first
page already holds every match). Pinned chats come first; dates are the browser's time zone's.

Which chat is being read: ``st.session_state["hist.pick"]``, the key of the "Read a chat" select box
(a keyboard-friendly fallback to clicking a row, and what tests drive). The table selects several
rows (what the bulk actions act on, and the chats an export of "the selected chats" holds:
:mod:`ui.history_export`); selecting a row makes it the chat being read, but only when the table's
selection *changed* (:func:`follow_table`), so the select box can still choose another chat while
rows stay highlighted. The table's key includes
the filter and the page, so a new view starts without a stale highlighted row, and without
forgetting the chat being read.

Delete asks for confirmation; "Yes" runs in a button callback, before the next run draws anything,
so the select box can be cleared safely.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import datetime

import pandas as pd
import streamlit as st

from core.errors import CharlaError, ChatNotFound
from core.i18n import error_text, t
from core.schemas import ChatSummary
from core.services import chats as chat_service
from core.services.history import (
    PAGE_SIZE,
    HistoryFilter,
    count_chats,
    latest_models,
    search_chats,
)
from ui import dates, state
from ui.chat_list import browser_zone
from ui.render import render_messages
from ui.widgets import confirm_delete, show_older

PAGE = PAGE_SIZE  # chats per page of the table
WINDOW = 50  # messages of the chat being read drawn at first, and added by "Show older"

PICK = "hist.pick"  # the chat being read (the select box's key)
_PAGE = "hist.page"
_VIEW = "hist.view"  # the filter the page number belongs to
_SEEN = "hist.table_seen"  # (table key, selected rows) at the last run
_CONFIRM = "hist.confirm_delete"
_ERROR = "hist.error"
_WINDOW = "hist.window"  # + chat id: how many messages of that chat are drawn


# --- the table ------------------------------------------------------------------------------------
def load_page(flt: HistoryFilter) -> tuple[list[ChatSummary], int, int, int]:
    """(the chats of the current page, page, pages, chats matching): back to the first page
    whenever the filter changes, and to the last one if the current page no longer exists.

    A filtered count costs a scan of the messages; when the first page is not full it *is* the
    count, so the common "few matches" search reads the messages once, not twice.
    """
    if st.session_state.get(_VIEW) != flt:
        st.session_state[_VIEW] = flt
        st.session_state[_PAGE] = 0
    page = max(0, int(st.session_state.get(_PAGE, 0)))
    chats = search_chats(None, flt, PAGE, page * PAGE)
    matching = len(chats) if page == 0 and len(chats) < PAGE else count_chats(flt)
    pages = max(1, math.ceil(matching / PAGE))
    if page >= pages:  # deleted chats, or a change in another tab, shortened the list
        page = pages - 1
        chats = search_chats(None, flt, PAGE, page * PAGE)
    st.session_state[_PAGE] = page
    return chats, page, pages, matching


def _step(delta: int) -> None:
    st.session_state[_PAGE] = int(st.session_state.get(_PAGE, 0)) + delta


def pager(page: int, pages: int, total: int, lang: str) -> None:
    with st.container(horizontal=True, vertical_alignment="center", key="hist-pager"):
        st.button(
            t("history.previous", lang),
            key="hist.prev",
            icon=":material/chevron_left:",
            disabled=page == 0,
            on_click=_step,
            args=(-1,),
        )
        st.caption(t("history.page", lang, page=page + 1, pages=pages, total=f"{total:,}"))
        st.button(
            t("history.next", lang),
            key="hist.next",
            icon=":material/chevron_right:",
            icon_position="right",
            disabled=page >= pages - 1,
            on_click=_step,
            args=(1,),
        )


def table_key(flt: HistoryFilter, page: int) -> str:
    digest = hashlib.sha1(repr(flt).encode("utf-8"), usedforsecurity=False).hexdigest()[:12]
    return f"hist.table.{digest}.{page}"


def _title(summary: ChatSummary, lang: str) -> str:
    return summary.title or t("chat.untitled", lang)


def table(chats: Sequence[ChatSummary], key: str, lang: str) -> list[int]:
    """Draw the page of chats (dates in the browser's time zone); return the selected rows.

    Widths are chosen so every column fits a laptop screen: the title takes what is left, the
    others are sized for their content (a long model id is cut, its full name on hover)."""
    models = latest_models([chat.id for chat in chats])
    zone = browser_zone()
    frame = pd.DataFrame(
        {
            "pinned": ["📌" if chat.pinned else "" for chat in chats],
            "title": [_title(chat, lang) for chat in chats],
            "last": pd.to_datetime([chat.last_activity for chat in chats], utc=True).tz_convert(
                zone
            ),
            "created": pd.to_datetime([chat.created_at for chat in chats], utc=True).tz_convert(
                zone
            ),
            "messages": [chat.message_count for chat in chats],
            "model": [models.get(chat.id, "") for chat in chats],
            "tags": [", ".join(chat.tags) for chat in chats],
        }
    )
    event = st.dataframe(
        frame,
        key=key,
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row",
        width="stretch",
        column_config={
            "pinned": st.column_config.TextColumn(
                "📌", width=36, help=t("organise.col_pinned", lang)
            ),
            "title": st.column_config.TextColumn(t("history.col_title", lang)),
            "last": st.column_config.DatetimeColumn(
                t("history.col_last", lang), format="YYYY-MM-DD HH:mm", width=140
            ),
            "created": st.column_config.DatetimeColumn(
                t("history.col_created", lang), format="YYYY-MM-DD HH:mm", width=140
            ),
            "messages": st.column_config.NumberColumn(t("history.col_messages", lang), width=90),
            "model": st.column_config.TextColumn(t("history.col_model", lang), width=160),
            "tags": st.column_config.TextColumn(t("organise.col_tags", lang), width=120),
        },
    )
    return list(event.selection.rows)


def follow_table(ids: Sequence[int], rows: Sequence[int], key: str) -> list[int]:
    """Make the row the user just selected the chat being read (unselecting it reads the last row
    still selected, or none); return the ids of the selected rows."""
    chosen = [ids[row] for row in rows if row < len(ids)]
    seen = st.session_state.get(_SEEN)
    now = (key, tuple(rows))
    if seen == now:
        return chosen
    st.session_state[_SEEN] = now
    same_table = seen is not None and seen[0] == key
    before = set(seen[1]) if seen is not None and same_table else set()
    added = [ids[row] for row in rows if row not in before and row < len(ids)]
    if added:
        st.session_state[PICK] = added[-1]
    elif same_table and st.session_state.get(PICK) not in chosen:
        # Rows were unselected (a new table with nothing selected keeps the chat being read).
        st.session_state[PICK] = chosen[-1] if chosen else None
    return chosen


# --- the chat being read --------------------------------------------------------------------------
def picked_chat() -> ChatSummary | None:
    """The chat being read, if it still exists (it may have been deleted in another tab)."""
    chat_id = st.session_state.get(PICK)
    if chat_id is None:
        return None
    try:
        return chat_service.get_chat(int(chat_id))
    except ChatNotFound:
        st.session_state[PICK] = None
        return None


def picker(chats: Sequence[ChatSummary], current: ChatSummary | None, lang: str) -> None:
    """The "Read a chat" select box: this page's chats (and the current one, from elsewhere)."""
    titles = {chat.id: _title(chat, lang) for chat in chats}
    if current is not None:
        titles.setdefault(current.id, _title(current, lang))
    st.selectbox(
        t("history.pick", lang),
        list(titles),
        index=None,
        key=PICK,
        format_func=lambda chat_id: f"{titles.get(chat_id, chat_id)} · #{chat_id}",
        placeholder=t("history.pick_placeholder", lang),
    )


def _when(moment: datetime) -> str:
    return dates.in_zone(moment, browser_zone()).strftime("%Y-%m-%d %H:%M")


def _ask_delete(chat_id: int) -> None:
    st.session_state[_CONFIRM] = chat_id


def _cancel_delete() -> None:
    st.session_state.pop(_CONFIRM, None)


def _delete(chat_id: int, lang: str) -> None:
    st.session_state.pop(_CONFIRM, None)
    try:
        chat_service.delete_chat(chat_id)
    except CharlaError as exc:
        st.session_state[_ERROR] = error_text(exc, lang)
        return
    st.session_state[PICK] = None
    state.flash(t("chat.deleted", lang))


def show_chat(summary: ChatSummary, lang: str) -> None:
    """The chat being read: title, dates, Open in chat, Delete (confirmed), its messages."""
    window_key = f"{_WINDOW}.{summary.id}"
    view = chat_service.open_chat(summary.id, st.session_state.get(window_key, WINDOW))
    st.subheader(_title(summary, lang), anchor=False)
    # The count is the conversation shown (the selected versions); the others are said apart.
    meta = t(
        "history.meta",
        lang,
        created=_when(summary.created_at),
        last=_when(summary.last_activity),
        count=view.branch_length,
    )
    if (others := summary.message_count - view.branch_length) > 0:
        meta += t("history.meta_versions", lang, count=others)
    st.caption(meta)
    with st.container(horizontal=True, key="hist-chat-actions"):
        if st.button(
            t("history.open_in_chat", lang),
            key="hist.open",
            type="primary",
            icon=":material/chat:",
        ):
            st.switch_page("pages/chat.py", query_params={state.CHAT_PARAM: str(summary.id)})
        st.button(
            t("history.delete", lang),
            key="hist.delete",
            icon=":material/delete:",
            on_click=_ask_delete,
            args=(summary.id,),
        )
    error = st.session_state.pop(_ERROR, None)
    if error:
        st.error(error)
    if st.session_state.get(_CONFIRM) == summary.id:
        confirm_delete(
            "hist-delete-confirmation",
            t("chat.delete_confirm", lang, title=_title(summary, lang)),
            lang,
            on_yes=lambda: _delete(summary.id, lang),
            on_no=_cancel_delete,
        )

    show_older(window_key, view.hidden, WINDOW, lang)
    if not view.messages:
        st.caption(t("history.empty_chat", lang))
    render_messages(view.messages, lang)
