"""Charla's entry file (``streamlit run streamlit_app.py``): the frame around every page.

Order matters, because each step may stop the run with a message instead of a traceback:

1. page config;
2. :func:`ui.frame.navigate` — validate ``.env`` and migrate the database (once per process; a
   wrong configuration key is shown as one sentence and nothing else runs), the access check (the
   password prompt, or the refusal to serve a network address without one), then ``st.navigation``
   over the pages (:func:`ui.frame.app_pages`), hidden while the user may not see them;
3. the connection badge in the sidebar;
4. the selected page runs, inside :func:`ui.frame.framed` so it knows the checks already ran.

The pages are plain scripts in ``pages/``; with ``st.navigation`` Streamlit no longer discovers that
folder by itself, so :mod:`ui.frame` owns their titles, icons and URL paths (and explains why
``st.navigation`` runs even on the screens that show no page).
"""

from __future__ import annotations

import streamlit as st

from ui import frame
from ui.sidebar import connection_badge

st.set_page_config(page_title="Charla", page_icon=":material/forum:", layout="centered")

page, lang = frame.navigate()
connection_badge(lang)
with frame.framed():
    page.run()
