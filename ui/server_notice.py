"""The empty chat page's word about the model server: said only when no server answers.

A new user's first screen is the empty chat page. If nothing answers at ``LM_STUDIO_URL``, the
first message would fail; the notice says so before anything is typed, next to the chat input
(the chat page calls :func:`server_notice` right before ``st.chat_input``), and how to fix it:
start LM Studio's server, or ``make demo`` for a bundled model. Under ``make demo`` itself
(``CHARLA_DEMO``) it says instead that the demo's engine stopped and to restart ``make demo``:
the error carries that (:attr:`core.errors.ServerUnreachable.demo`), so the notice, the badge and
the chat's errors never disagree.

It reads the sidebar's cached connection check (:func:`ui.sidebar.current_connection_status`, the
same cache entry the badge drew from in this run), so it makes no request of its own. Only "nothing
answers" is said here; the other problems (wrong URL, API key, no model) are the badge's to explain,
and a server that answers gets no notice at all.
"""

from __future__ import annotations

import streamlit as st

from core import errors
from core.i18n import t
from ui.sidebar import current_connection_status

NOTICE_KEY = "server-notice"


def notice_text(status_error: BaseException | None, url: str, lang: str) -> str | None:
    """The notice for a failed check's error, or ``None`` when it is not "nothing answers"."""
    if not isinstance(status_error, errors.ServerUnreachable):
        return None
    key = "app.demo_engine_stopped" if status_error.demo else "app.no_server"
    return t(key, lang, url=url)


def server_notice(lang: str) -> None:
    """Draw the notice if no model server answers; draw nothing if one does."""
    status = current_connection_status()
    if status.ok:
        return
    text = notice_text(status.error, status.url, lang)
    if text is None:
        return
    with st.container(key=NOTICE_KEY):
        st.info(text, icon=":material/power_off:")
