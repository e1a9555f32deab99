"""History page: search every message, find chats, read one, open it, organise, export, import.

A short script over :mod:`ui.history_filters` (the search box, searching as you type, and the
filters), :mod:`ui.search_view` (the messages matching the search: snippets with the words
highlighted, each opening its chat at the message), :mod:`ui.history` (the chats table, one
page at a time, pinned first; reading one chat) and :mod:`ui.history_bulk` (pin, archive,
tag or delete the selected chats), :mod:`ui.tag_manager` (rename or remove a tag everywhere).
A chat is chosen by selecting its row (or in the "Read a chat"
box) and drawn read-only with the chat page's own rendering (:mod:`ui.render`).
Exports (:mod:`ui.history_export`: CSV, Charla JSON or Markdown) are streamed from the database
when a download button is clicked; imports (:mod:`ui.history_import`) take other apps' exports.
"""

from __future__ import annotations

import streamlit as st

from core.i18n import t
from core.services.export import ExportScope
from core.services.history import count_chats
from ui import frame, history_bulk, search_view, state
from ui import history as view
from ui.history_export import export_section
from ui.history_filters import filters, message_filters
from ui.history_import import import_section
from ui.tag_manager import tag_manager

lang = frame.page_setup()  # start-up and access checks, also when this page runs on its own
state.show_flash()
st.title(t("history.title", lang))

flt = filters(lang)
if flt.query.searchable:
    st.subheader(t("history.messages_found", lang), anchor=False)
    search_view.results(flt.text or "", message_filters(flt), lang)
    st.subheader(t("history.chats_found", lang), anchor=False)
elif flt.text:
    st.caption(t("search.nothing_to_search", lang))

chats, page, pages, matching = view.load_page(flt)
selected: list[int] = []  # the chats selected in the table
everything = matching if flt.is_empty else count_chats()

if not everything:
    st.info(t("history.no_chats", lang), icon=":material/history:")
elif not chats:
    st.info(t("history.no_match", lang), icon=":material/filter_alt_off:")
else:
    key = f"{view.table_key(flt, page)}.{history_bulk.round_key()}"
    ids = [chat.id for chat in chats]
    rows = view.table(chats, key, lang)
    selected = view.follow_table(ids, rows, key)
    if pages > 1:
        view.pager(page, pages, matching, lang)
history_bulk.bulk_actions(selected, lang)
tag_manager(lang)  # rename a tag everywhere, or take it off every chat

current = view.picked_chat()
if chats or current is not None:
    view.picker(chats, current, lang)
if not selected and current is not None:  # read through the select box, or off this page
    selected = [current.id]
export_section(
    selected, ExportScope.matching(flt) if matching else None, matching, everything, lang
)
import_section(lang)
if current is not None:
    st.divider()
    view.show_chat(current, lang)
