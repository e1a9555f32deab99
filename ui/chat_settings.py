"""A chat's own settings, edited from the chat page in a dialog (the settings page's form).

The same form and rules as the settings page (:mod:`ui.settings_scope`), with the scope fixed to
this chat: what it shows is what the chat's next request carries, and saving gives the chat
settings of its own (or, with "Follow the defaults again", makes it follow the defaults).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.errors import CharlaError
from core.i18n import t
from core.services import server
from core.services.server import ModelInfo
from ui.settings_scope import chat_scope, editor


def _models(lang: str) -> list[ModelInfo]:
    try:
        return server.list_models()
    except CharlaError:
        st.warning(t("settings.no_model_list", lang))  # the sidebar's badge already says why
        return []


def open_chat_settings(chat_id: int, lang: str, *, on_close: Callable[[], None]) -> None:
    """Draw the dialog; ``on_close`` runs when it is saved or dismissed."""

    def body() -> None:
        editor(
            chat_scope(chat_id, lang), _models(lang), lang, prefix="chatset", after_save=on_close
        )

    st.dialog(t("chat.settings_title", lang), width="large", on_dismiss=on_close)(body)()
