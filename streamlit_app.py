"""Charla's entry file (``streamlit run streamlit_app.py``): the frame around every page.

Order matters, because each step may stop the run with a message instead of a traceback:

1. page config;
2. :func:`ui.frame.start` — validate ``.env`` and migrate the database (once per process; a wrong
   configuration key is shown as one sentence and nothing else runs), then the access check: the
   password prompt, or the refusal to serve a network address without one;
3. ``st.navigation`` over the three pages, and the connection badge in the sidebar;
4. the selected page runs, inside :func:`ui.frame.framed` so it knows the checks already ran.

The pages are plain scripts in ``pages/``; with ``st.navigation`` Streamlit no longer discovers that
folder by itself, so this file owns their titles, icons and URL paths.
"""

from __future__ import annotations

import streamlit as st

from core.i18n import t
from ui import frame
from ui.sidebar import connection_badge

st.set_page_config(page_title="Charla", page_icon=":material/forum:", layout="centered")

settings, lang = frame.start()

page = st.navigation(
    [
        st.Page(
            "pages/chat.py",
            title=t("app.page_chat", lang),
            icon=":material/chat:",
            url_path="chat",
            default=True,
        ),
        st.Page(
            "pages/history.py",
            title=t("app.page_history", lang),
            icon=":material/history:",
            url_path="history",
        ),
        st.Page(
            "pages/settings.py",
            title=t("app.page_settings", lang),
            icon=":material/tune:",
            url_path="settings",
        ),
    ]
)
connection_badge(lang)
with frame.framed():
    page.run()
