"""Model settings page: the server, its models (load/unload), the generation settings (defaults or
one chat's), presets, the language.

A short script over :mod:`ui.settings_form` and :mod:`ui.settings_scope`. At the top the person
picks what the form edits — the defaults every chat follows, or one chat's own settings — and the
page says which in plain words. The form shows exactly what the next request carries; a value the
page refuses is explained and nothing is stored. The API key is never shown, only whether it is
set.
"""

from __future__ import annotations

import streamlit as st

from core.errors import CharlaError
from core.i18n import LANGUAGES, error_text, t
from core.services import model_control, server
from ui import frame, state
from ui.model_controls import model_controls
from ui.presets_editor import presets_section
from ui.settings_scope import editor, pick_scope
from ui.sidebar import forget_connection_status

lang = frame.page_setup()
state.show_flash()
st.title(t("settings.title", lang))

# --- server ---------------------------------------------------------------------------------------
info = server.server_info()
st.subheader(t("settings.server", lang), anchor=False)
st.markdown(f"{t('settings.server_url', lang)}: `{info.url}`")
st.markdown(t("settings.api_key_set" if info.has_api_key else "settings.api_key_unset", lang))
st.caption(t("settings.server_help", lang))
if st.button(t("settings.test", lang), key="test-connection", icon=":material/network_check:"):
    forget_connection_status()
    status = server.check(state.chat_service().effective_settings(None).model)
    if status.ok:
        st.success(t("settings.test_ok", lang, count=len(status.models), model=status.model))
    else:
        st.error(error_text(status.error, lang) if status.error else status.url)

try:
    models = server.list_models()
except CharlaError:
    models = []
    st.warning(t("settings.no_model_list", lang))  # the sidebar's badge already says why

# --- models (LM Studio 0.4+: nothing shown on servers that cannot load on request) -----------------
with st.container(key="models-section"):
    if models and model_control.can_load():
        st.subheader(t("models.title", lang), anchor=False)
        st.caption(t("models.help", lang))
        model_controls(models, lang, prefix="models")

# --- generation -----------------------------------------------------------------------------------
with st.container(key="generation-section"):  # (the presets below have a form of their own)
    st.subheader(t("settings.generation", lang), anchor=False)
    scope = pick_scope(lang)
    editor(scope, models, lang, prefix="set")

# --- presets --------------------------------------------------------------------------------------
st.subheader(t("presets.title", lang), anchor=False)
presets_section(models, lang)

# --- interface ------------------------------------------------------------------------------------
st.subheader(t("settings.interface", lang), anchor=False)
st.session_state["set.language"] = lang  # follow a change made in another tab
st.radio(
    t("settings.language", lang),
    list(LANGUAGES),
    format_func=LANGUAGES.__getitem__,
    horizontal=True,
    key="set.language",
    on_change=lambda: state.set_lang(st.session_state["set.language"]),
)
