"""The connection badge shown in the sidebar of every page.

It answers "can I chat right now?": the server is reachable, which model will answer and whether it
is loaded, or one line saying what is wrong and what to do (start LM Studio's server, load a model,
check the URL or the API key — the advice comes from the error texts in ``core/locales/errors.py``;
under ``make demo`` a stopped engine says to restart it, see :class:`core.errors.ServerUnreachable`).

Checking means an HTTP request to the server, so the result is cached for a few seconds
(:data:`CHECK_TTL`) and keyed by server URL and model: clicking around the app reuses it, a changed
model or URL checks again, and "Check again" clears it. ``st.cache_resource`` rather than
``st.cache_data`` because the status holds an exception object, which need not be pickled.
"""

from __future__ import annotations

import streamlit as st

from core import errors
from core.i18n import error_text, t
from core.services import server
from core.services.server import ConnectionStatus
from ui.render import model_label
from ui.state import chat_service, selected_chat_id

CHECK_TTL = 5  # seconds a connection check is reused


@st.cache_resource(ttl=CHECK_TTL, show_spinner=False, max_entries=32)
def _check(base_url: str, model: str | None) -> ConnectionStatus:
    # base_url is part of the cache key only: the provider knows its own URL.
    return server.check(model)


def connection_status(model: str | None) -> ConnectionStatus:
    """The (briefly cached) result of checking the server and ``model``."""
    return _check(server.server_info().url, model)


def current_connection_status() -> ConnectionStatus:
    """The cached check for the model the next message would use: what the badge shows (the
    empty chat page's notice reads the same entry, so it costs no request of its own)."""
    return connection_status(_model_in_use())


def forget_connection_status() -> None:
    """Drop cached checks (after "Test connection" or a settings change)."""
    _check.clear()


def _model_in_use() -> str | None:
    """The model the next message would use: this chat's, else the defaults', else the server's."""
    try:
        return chat_service().effective_settings(selected_chat_id()).model
    except errors.ChatNotFound:
        return chat_service().effective_settings(None).model


def _loaded_text(status: ConnectionStatus, lang: str) -> str:
    if status.loaded is True:
        return t("app.model_loaded", lang)
    if status.loaded is False:
        return t("app.model_not_loaded", lang)
    return ""


def connection_badge(lang: str) -> None:
    """Draw the badge in the sidebar."""
    status = current_connection_status()
    with st.sidebar.container(key="connection-badge"):
        if status.ok:
            st.markdown(f":green[:material/check_circle:] **{t('app.connected', lang)}**")
            model = model_label(status.model)
            loaded = _loaded_text(status, lang)
            full = status.model if status.model != model else None  # a path: show it on hover
            st.caption(f"`{model}`" + (f" · {loaded}" if loaded else ""), help=full)
        else:
            st.markdown(f":red[:material/error:] **{t('app.not_connected', lang)}**")
            reason = error_text(status.error, lang) if status.error else status.url
            st.caption(reason.replace("_", r"\_"))
        if st.button(
            t("app.check_again", lang),
            key="badge-recheck",
            icon=":material/refresh:",
            type="tertiary",
        ):
            forget_connection_status()
            st.rerun()
