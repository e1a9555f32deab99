"""Load and unload models (LM Studio 0.4+): on the settings page and in the chat's model menu.

Drawn only when the server loads on request (:func:`core.services.model_control.can_load`); on
other servers (llama.cpp, Ollama, older LM Studio) nothing is drawn and the server loads models
just in time. The person picks a model — each labelled with what the server says of it
(publisher, architecture, quantization, size, maximum context, capabilities, loaded instances) —
and a context length, and presses Load: the page shows a running status while the server loads
(the call returns when the model is in memory) and then the ``load_time_seconds`` it reported.
Unload frees every loaded instance of the model. A failure (unknown model, not enough memory, a
missing API key) is said in one sentence, and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core.errors import CharlaError
from core.i18n import error_text, number, t
from core.services import model_control
from core.services.server import ModelInfo
from ui import state
from ui.sidebar import forget_connection_status

DEFAULT_CONTEXT = 8192  # offered when the model is not loaded (capped at its maximum)
MIN_CONTEXT = 512
GIGABYTE = 1_000_000_000


def describe(model: ModelInfo, lang: str) -> str:
    """``qwen · qwen3 · Q4_K_M · 4.9 GB · up to 32,768 tokens · vision · loaded, 8,192 tokens``."""
    parts = [p for p in (model.publisher, model.arch, model.quantization) if p]
    if model.size_bytes:
        parts.append(t("models.size", lang, size=model.size_bytes / GIGABYTE))
    if model.max_context_length:
        parts.append(t("models.max_context", lang, tokens=model.max_context_length))
    if model.vision:
        parts.append(t("models.vision", lang))
    if model.tool_use:
        parts.append(t("models.tools", lang))
    if model.reasoning is not None:
        parts.append(t("models.reasoning", lang))
    for instance in model.instances:
        tokens = number(instance.context_length, lang) if instance.context_length else "?"
        parts.append(t("models.loaded_instance", lang, tokens=tokens))
    if model.loaded is False:
        parts.append(t("models.not_loaded", lang))
    return " · ".join(parts)


def _load(model: ModelInfo, context_length: int, lang: str) -> None:
    label = t("models.loading", lang, model=model.id, tokens=number(context_length, lang))
    with st.status(label, expanded=False) as status:
        try:
            result = model_control.load_model(model.id, context_length)
        except CharlaError as exc:
            status.update(state="error")
            st.error(error_text(exc, lang), icon=":material/error:")
            return
    seconds = result.load_time_seconds or 0.0
    state.flash(t("models.loaded_in", lang, model=model.id, seconds=seconds))
    forget_connection_status()
    st.rerun()


def _unload(model: ModelInfo, lang: str) -> None:
    try:
        model_control.unload_model(model)
    except CharlaError as exc:
        st.error(error_text(exc, lang), icon=":material/error:")
        return
    state.flash(t("models.unloaded", lang, model=model.id))
    forget_connection_status()
    st.rerun()


def model_controls(models: Sequence[ModelInfo], lang: str, *, prefix: str) -> bool:
    """Draw the load/unload controls under widget keys ``prefix…``; False (nothing drawn) when
    the server has no such endpoints or no chat model."""
    chat_models = {m.id: m for m in models if m.is_chat_model}
    if not chat_models or not model_control.can_load():
        return False
    picked = st.selectbox(
        t("models.pick", lang), list(chat_models), key=f"{prefix}.model",
        format_func=lambda model_id: f"{model_id} · {describe(chat_models[model_id], lang)}",
    )  # fmt: skip
    model = chat_models[picked]
    top = model.max_context_length or None
    loaded = next((i.context_length for i in model.instances if i.context_length), None)
    start = min(loaded or DEFAULT_CONTEXT, top or loaded or DEFAULT_CONTEXT)
    context = st.number_input(
        t("models.context_length", lang), min_value=MIN_CONTEXT, max_value=top,
        value=start, step=1024, key=f"{prefix}.context.{picked}",
    )  # fmt: skip
    with st.container(horizontal=True, key=f"{prefix}-buttons"):
        load = st.button(t("models.load", lang), key=f"{prefix}-load", icon=":material/download:")
        unload = st.button(
            t("models.unload", lang), key=f"{prefix}-unload", icon=":material/eject:",
            disabled=not model.instances,
        )  # fmt: skip
    if load:
        _load(model, int(context), lang)
    elif unload:
        _unload(model, lang)
    return True
