"""Model settings page: the server, the model, the generation parameters, the UI language.

A short script over :mod:`ui.settings_form`. The form shows the open chat's effective settings (its
own over the app defaults) or the app defaults when no chat is open, and offers three ways to store
it: as defaults for every chat, for the open chat only, or to clear the open chat's own settings.
Invalid values are explained and nothing is stored. The API key is never shown, only whether it is set.
"""

from __future__ import annotations

import streamlit as st

from core.errors import CharlaError
from core.i18n import LANGUAGES, error_text, t
from core.providers.llm_studio_api import get_provider
from core.schemas import ChatSettings
from ui import frame, state
from ui import settings_form as form
from ui.sidebar import forget_connection_status

lang = frame.page_setup()
service = state.chat_service()
provider = get_provider()
state.show_flash()
st.title(t("settings.title", lang))

# --- server ---------------------------------------------------------------------------------------
st.subheader(t("settings.server", lang), anchor=False)
st.markdown(f"{t('settings.server_url', lang)}: `{provider.base_url}`")
st.markdown(t("settings.api_key_set" if provider.has_api_key else "settings.api_key_unset", lang))
st.caption(t("settings.server_help", lang))
if st.button(t("settings.test", lang), key="test-connection", icon=":material/network_check:"):
    forget_connection_status()
    status = provider.check_connection(service.effective_settings(None).model)
    if status.ok:
        st.success(t("settings.test_ok", lang, count=len(status.models), model=status.model))
    else:
        st.error(error_text(status.error, lang) if status.error else status.url)

try:
    models = provider.list_models()
except CharlaError as exc:
    models = []
    st.warning(f"{t('settings.no_model_list', lang)} {error_text(exc, lang)}")

# --- generation -----------------------------------------------------------------------------------
st.subheader(t("settings.generation", lang), anchor=False)
chat_id = state.current_chat_id()
if chat_id is None:
    st.caption(t("settings.editing_defaults", lang))
    form.load(service.effective_settings(None), "defaults")
else:
    st.caption(t("settings.editing_chat", lang, chat_id=chat_id))
    form.load(service.effective_settings(chat_id), f"chat-{chat_id}")
form.widgets(models, lang)

with st.container(horizontal=True, key="settings-actions"):
    save_defaults = st.button(
        t("settings.save_defaults", lang), key="save-defaults", type="primary"
    )
    apply_chat = st.button(
        t("settings.apply_chat", lang), key="apply-chat", disabled=chat_id is None
    )
    reset_chat = st.button(
        t("settings.reset_chat", lang), key="reset-chat", disabled=chat_id is None
    )
if save_defaults or apply_chat or reset_chat:
    try:
        if reset_chat and chat_id is not None:
            form.save_for_chat(chat_id, ChatSettings())
            done = "settings.chat_reset"
        else:
            checked = form.check(form.read(), models)
            if apply_chat and chat_id is not None:
                form.save_for_chat(chat_id, checked)
                done = "settings.saved_chat"
            else:
                form.save_defaults(checked)
                done = "settings.saved_defaults"
    except CharlaError as exc:
        st.error(error_text(exc, lang), icon=":material/block:")
    else:
        form.request_reload()
        service.invalidate_defaults()
        forget_connection_status()
        state.flash(t(done, lang))
        st.rerun()

# --- interface --------------------------------------------------------------------------------------
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
