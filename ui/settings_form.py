"""The generation settings form: what a request carries, shown exactly, edited, checked, saved.

Used twice: on the settings page (for the defaults or for one chat, the person picks) and in a
chat's own settings dialog. What the form shows is what the next request carries:

- a number where a value is sent; **"server default"** (a ticked box, no number) where Charla
  sends nothing and the server decides — temperature, top_p, top_k, repeat penalty, seed;
- ``max_tokens`` is a slider with sensible steps up to the model's context length (when known, else
  32,768) and a first stop, *No limit*, which sends nothing;
- an empty system prompt sends none; the model "Automatic" is the configured model, else the one
  the server has loaded.

The widgets live under a key ``prefix`` and are filled from ``settings`` once per ``source`` (the
defaults, or a chat): again after a save, or when Streamlit forgot them (another page was shown).
:func:`read` gives back a :class:`~core.schemas.ChatSettings`; the caller checks it with
:func:`core.services.settings.check`, which refuses a bad value with its reason: nothing is stored
and nothing is reported as saved. Number boxes have no limits of their own, so whatever is typed
reaches that check instead of being silently clamped by the browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from core.i18n import number, t
from core.schemas import ChatSettings
from core.services.server import ModelInfo
from core.vocab import MAX_TOKENS_SCALE

NO_LIMIT = 0  # the max_tokens slider's first stop: nothing sent
_STEPS = (16, 32, 64, 128, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288,
          16384, 24576, 32768, 49152, 65536, 98304, 131072, 196608, 262144)  # fmt: skip
# Shown when "server default" is unticked for a field that had no value: a common starting point.
_STARTS: dict[str, float | int] = {
    "temperature": 0.7,
    "top_p": 0.95,
    "top_k": 40,
    "repeat_penalty": 1.1,
    "seed": 42,
}
_SLIDERS = {"temperature": (0.0, 2.0, 0.05), "top_p": (0.0, 1.0, 0.01)}
_FLOATS = ("temperature", "top_p", "repeat_penalty")


@dataclass(frozen=True)
class Form:
    """One instance of the form: its widget keys start with ``prefix``."""

    prefix: str

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}"

    def server_key(self, name: str) -> str:
        return f"{self.prefix}.{name}.server"


def max_tokens_steps(context_length: int | None, current: int | None) -> list[int]:
    """The slider's stops: No limit, then powers-of-two-ish steps below the context length."""
    top = context_length or MAX_TOKENS_SCALE
    steps = [step for step in _STEPS if step < top] or [top // 2]
    if current and current not in steps:
        steps = sorted({*steps, current})
    return [NO_LIMIT, *steps]


def load(form: Form, settings: ChatSettings, source: str, *, force: bool = False) -> None:
    """Put ``settings`` into the widgets if the source changed, ``force``, or they were forgotten."""
    state = st.session_state
    marker = form.key("source")
    if not force and state.get(marker) == source and form.key("max_tokens") in state:
        return
    values: dict[str, Any] = {
        form.key("model"): settings.model or "",
        form.key("system_prompt"): settings.system_prompt or "",
        form.key("max_tokens"): settings.max_tokens or NO_LIMIT,
        form.key("stop"): "\n".join(settings.stop or ()),
    }
    for name, start in _STARTS.items():
        value = getattr(settings, name)
        values[form.server_key(name)] = value is None
        values[form.key(name)] = start if value is None else value
    state.update(values)
    state[marker] = source


def _model_label(model: ModelInfo, lang: str) -> str:
    """``qwen3-8b · not loaded · 32,768 tokens of context``."""
    parts = [model.id]
    if model.loaded is True:
        parts.append(t("settings.loaded", lang))
    elif model.loaded is False:
        parts.append(t("settings.not_loaded", lang))
    if model.context_length:
        parts.append(t("settings.context", lang, tokens=model.context_length))
    return " · ".join(parts)


def _model(form: Form, models: Sequence[ModelInfo], configured: str | None, lang: str) -> None:
    chat_models = {m.id: m for m in models if m.is_chat_model}
    options = ["", *chat_models]
    current = st.session_state.get(form.key("model"), "")
    if current and current not in chat_models:
        options.append(current)  # keep a stored choice the server does not offer (now)

    def label(model_id: str) -> str:
        if not model_id:
            if configured:
                return t("settings.model_auto_configured", lang, model=configured)
            return t("settings.model_auto", lang)
        info = chat_models.get(model_id)
        return _model_label(info, lang) if info else t("settings.model_missing", lang, id=model_id)

    st.selectbox(t("settings.model", lang), options, format_func=label, key=form.key("model"))


def _optional_number(form: Form, name: str, lang: str) -> None:
    """A value, or "server default" (ticked: nothing sent, no number shown)."""
    label = t(f"settings.{name}", lang)
    server = st.checkbox(
        t("settings.server_default_for", lang, name=label),
        key=form.server_key(name),
        help=t(f"settings.{name}_help", lang),
    )
    if server:
        return
    if name in _SLIDERS:
        low, high, step = _SLIDERS[name]
        st.slider(label, min_value=low, max_value=high, step=step, key=form.key(name))
    else:
        st.number_input(label, step=0.05 if name in _FLOATS else 1, key=form.key(name))


def widgets(
    form: Form, models: Sequence[ModelInfo], lang: str, *, configured_model: str | None = None
) -> None:
    """Draw the form's widgets (their values live in ``st.session_state``)."""
    _model(form, models, configured_model, lang)
    chosen = st.session_state.get(form.key("model")) or configured_model
    info = next((m for m in models if m.id == chosen), None)
    context = info.context_length if info else None
    steps = max_tokens_steps(context, st.session_state.get(form.key("max_tokens")))
    st.select_slider(
        t("settings.max_tokens", lang),
        options=steps,
        key=form.key("max_tokens"),
        format_func=lambda n: t("settings.no_limit", lang) if n == NO_LIMIT else number(n, lang),
        help=t("settings.max_tokens_help", lang, top=context or MAX_TOKENS_SCALE),
    )
    for name in _STARTS:
        _optional_number(form, name, lang)
    st.text_area(
        t("settings.stop", lang), key=form.key("stop"), height=90,
        help=t("settings.stop_help", lang),
    )  # fmt: skip
    st.text_area(
        t("settings.system_prompt", lang), key=form.key("system_prompt"), height=140,
        help=t("settings.system_prompt_help", lang),
    )  # fmt: skip


def read(form: Form) -> ChatSettings:
    """The settings the widgets show (unchecked): exactly what a request would carry."""
    get = st.session_state.get
    stop = [line.rstrip("\r") for line in str(get(form.key("stop")) or "").split("\n")]
    numbers = {
        name: None if get(form.server_key(name)) else get(form.key(name)) for name in _STARTS
    }
    max_tokens = get(form.key("max_tokens"))
    return ChatSettings(
        model=get(form.key("model")) or None,
        system_prompt=str(get(form.key("system_prompt")) or ""),  # empty: no system prompt
        max_tokens=max_tokens or None,
        stop=tuple(line for line in stop if line.strip()) or None,
        **numbers,
    )
