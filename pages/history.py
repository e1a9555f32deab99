"""History page: find chats, read one, open it in the chat page, delete it, export, import.

A short script over :mod:`ui.history`: filters (text in titles and messages, last-activity days,
model) select one page of the table at a time; a chat is chosen by selecting its row (or in the
"Read a chat" box) and drawn read-only with the chat page's own rendering (:mod:`ui.render`).
Exports (:mod:`ui.history_export`: CSV, Charla JSON or Markdown) are streamed from the database
when a download button is clicked; imports (:mod:`ui.history_import`) take other apps' exports.
"""

from __future__ import annotations

import streamlit as st

from core.i18n import t
from core.services.export import ExportScope
from core.services.history import count_chats
from ui import frame, state
from ui import history as view
from ui.history_export import export_section
from ui.history_import import import_section

lang = frame.page_setup()  # start-up and access checks, also when this page runs on its own
state.show_flash()
st.title(t("history.title", lang))

flt = view.filters(lang)
chats, page, pages, matching = view.load_page(flt)
selected: list[int] = []  # the chats selected in the table
everything = matching if flt.is_empty else count_chats()

if not everything:
    st.info(t("history.no_chats", lang), icon=":material/history:")
elif not chats:
    st.info(t("history.no_match", lang), icon=":material/filter_alt_off:")
else:
    key = view.table_key(flt, page)
    rows = view.table(chats, key, lang)
    selected = view.follow_table([chat.id for chat in chats], rows, key)
    if pages > 1:
        view.pager(page, pages, matching, lang)

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
