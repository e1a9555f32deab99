"""The generation settings form of the settings page: load, read, check, save.

The widgets are keyed (``set.*``) and filled from the database *once per target* — the open chat's
effective settings (its own over the app defaults) or the app defaults when no chat is open — and
filled again after a save or when the target changes. Streamlit forgets widget state when the user
visits another page, which also triggers a fresh load on return, so the form always starts from
what is stored.

Reading the widgets gives a :class:`~core.schemas.ChatSettings`; :func:`check` validates every field
with the same rules the repositories apply (:func:`core.repositories.validation.check_setting`) plus
the combinations only the page can see (stop strings, ``max_tokens`` beyond the model's context).
Anything invalid raises :class:`~core.errors.InputError` and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core.conf.db import session_scope
from core.errors import InputError
from core.i18n import t
from core.providers.llm_studio_api import ModelInfo
from core.repositories.app_settings import AppSettingsRepository
from core.repositories.chats import ChatRepository
from core.repositories.validation import MAX_STOP_STRINGS, RANGES, check_setting
from core.schemas import ChatSettings

DEFAULT_TEMPERATURE = 0.7  # shown when nothing is stored (the seed's default)
DEFAULT_MAX_TOKENS = 1024  # shown in the box when "no limit" is ticked
_SOURCE = "set.source"
_RELOAD = "set.reload"


def request_reload() -> None:
    """Fill the form from the database at the next run (after a save or reset)."""
    st.session_state[_RELOAD] = True


def load(settings: ChatSettings, source: str) -> None:
    """Put ``settings`` into the widgets if the target changed, a reload was asked, or the widgets
    were forgotten (another page was shown)."""
    if (
        st.session_state.get(_SOURCE) == source
        and not st.session_state.get(_RELOAD)
        and "set.temperature" in st.session_state
    ):
        return
    values = {
        "set.model": settings.model or "",
        "set.system_prompt": settings.system_prompt or "",
        "set.temperature": DEFAULT_TEMPERATURE
        if settings.temperature is None
        else float(settings.temperature),
        "set.no_limit": settings.max_tokens is None,
        "set.max_tokens": settings.max_tokens or DEFAULT_MAX_TOKENS,
        "set.top_p": settings.top_p,
        "set.top_k": settings.top_k,
        "set.repeat_penalty": settings.repeat_penalty,
        "set.seed": settings.seed,
        "set.stop": "\n".join(settings.stop or ()),
    }
    st.session_state.update(values)
    st.session_state[_SOURCE] = source
    st.session_state[_RELOAD] = False


def model_label(model: ModelInfo, lang: str) -> str:
    """``qwen3-8b · not loaded · 32,768 tokens of context``."""
    parts = [model.id]
    if model.loaded is True:
        parts.append(t("settings.loaded", lang))
    elif model.loaded is False:
        parts.append(t("settings.not_loaded", lang))
    if model.context_length:
        parts.append(t("settings.context", lang, tokens=model.context_length))
    return " · ".join(parts)


def widgets(models: Sequence[ModelInfo], lang: str) -> None:
    """Draw the generation widgets (their values live in ``st.session_state``)."""
    chat_models = {m.id: m for m in models if m.is_chat_model}
    options = ["", *chat_models]
    current = st.session_state.get("set.model", "")
    if current and current not in chat_models:
        options.append(current)  # keep a stored choice the server does not offer (now)

    def label(model_id: str) -> str:
        if not model_id:
            return t("settings.model_auto", lang)
        info = chat_models.get(model_id)
        return model_label(info, lang) if info else t("settings.model_missing", lang, id=model_id)

    st.selectbox(t("settings.model", lang), options, format_func=label, key="set.model")
    st.slider(
        t("settings.temperature", lang),
        min_value=0.0,
        max_value=2.0,
        step=0.05,
        key="set.temperature",
        help=t("settings.temperature_help", lang),
    )
    limit, box = st.columns([1, 2], vertical_alignment="bottom")
    limit.checkbox(t("settings.no_limit", lang), key="set.no_limit")
    box.number_input(
        t("settings.max_tokens", lang),
        min_value=1,
        max_value=int(RANGES["max_tokens"][1]),
        step=64,
        key="set.max_tokens",
        disabled=bool(st.session_state.get("set.no_limit")),
        help=t("settings.max_tokens_help", lang),
    )
    top_p, top_k = st.columns(2)
    top_p.number_input(
        "top_p", min_value=0.0, max_value=1.0, step=0.05, key="set.top_p",
        placeholder=t("settings.server_default", lang), help=t("settings.top_p_help", lang),
    )  # fmt: skip
    top_k.number_input(
        "top_k", min_value=0, max_value=int(RANGES["top_k"][1]), step=1, key="set.top_k",
        placeholder=t("settings.server_default", lang), help=t("settings.top_k_help", lang),
    )  # fmt: skip
    penalty, seed = st.columns(2)
    penalty.number_input(
        t("settings.repeat_penalty", lang), min_value=0.0, max_value=10.0, step=0.05,
        key="set.repeat_penalty", placeholder=t("settings.server_default", lang),
    )  # fmt: skip
    seed.number_input(
        t("settings.seed", lang), min_value=int(RANGES["seed"][0]), max_value=int(RANGES["seed"][1]),
        step=1, key="set.seed", placeholder=t("settings.seed_random", lang),
    )  # fmt: skip
    st.text_area(
        t("settings.stop", lang), key="set.stop", height=90, help=t("settings.stop_help", lang)
    )
    st.text_area(t("settings.system_prompt", lang), key="set.system_prompt", height=140)


def read() -> ChatSettings:
    """The settings the widgets show (unchecked)."""
    get = st.session_state.get
    stop = [line.rstrip("\r") for line in str(get("set.stop") or "").split("\n")]
    stop = [line for line in stop if line.strip()]
    return ChatSettings(
        model=get("set.model") or None,
        system_prompt=get("set.system_prompt") or None,
        temperature=get("set.temperature"),
        max_tokens=None if get("set.no_limit") else get("set.max_tokens"),
        top_p=get("set.top_p"),
        top_k=get("set.top_k"),
        repeat_penalty=get("set.repeat_penalty"),
        seed=get("set.seed"),
        stop=tuple(stop) or None,
    )


def check(settings: ChatSettings, models: Sequence[ModelInfo]) -> ChatSettings:
    """``settings`` validated and normalised; raises :class:`InputError` explaining the problem."""
    if settings.stop and len(settings.stop) > MAX_STOP_STRINGS:
        raise InputError(
            "settings.too_many_stops", count=len(settings.stop), limit=MAX_STOP_STRINGS
        )
    values = {
        name: check_setting(name, getattr(settings, name))
        for name in ChatSettings.__dataclass_fields__
    }
    checked = ChatSettings(**values)
    info = next((m for m in models if m.id == checked.model), None)
    if (
        info
        and info.context_length
        and checked.max_tokens
        and checked.max_tokens >= info.context_length
    ):
        raise InputError(
            "settings.max_tokens_over_context",
            max_tokens=checked.max_tokens,
            model=info.id,
            context=info.context_length,
        )
    return checked


def save_defaults(settings: ChatSettings) -> None:
    with session_scope(write=True) as db:
        AppSettingsRepository(db).set_generation_defaults(settings)


def save_for_chat(chat_id: int, settings: ChatSettings) -> None:
    with session_scope(write=True) as db:
        ChatRepository(db).update_settings(chat_id, settings)
