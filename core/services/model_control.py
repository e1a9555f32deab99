"""Models under control: load one with the context length you want, unload it, and say when the
next answer will have to load it first.

Over the provider's LM Studio 0.4 calls (:mod:`core.providers.lifecycle`). Pages ask
:func:`can_load` before drawing any control: a server without the endpoints (llama.cpp, Ollama,
vLLM, LM Studio before 0.4) gets none, and loading stays the server's business (JIT).

Before an answer (:func:`prepare_model`, called by :class:`core.services.reply.ChatReply`): when
the chosen model is known not to be loaded and the server loads on request, it is loaded first,
explicitly, so the time the server reports (``load_time_seconds``) is stored with the answer
apart from its time to first token. On other servers the first answer simply waits while the
server loads it, and the chat says "loading model…" meanwhile (:func:`needs_loading`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.providers.catalog import ModelInfo
from core.providers.lifecycle import LoadResult
from core.providers.llm_studio_api import LMStudioAPIProvider, get_provider

__all__ = ["LoadResult", "can_load", "load_model", "needs_loading", "prepare_model", "unload_model"]

log = logging.getLogger("charla.models")


def can_load() -> bool:
    """Whether this server loads and unloads models on request (else: no controls)."""
    return get_provider().can_load_models


def load_model(model: str, context_length: int | None = None) -> LoadResult:
    """Load ``model`` with ``context_length`` tokens of context (the server's default if None);
    returns when it is loaded. Raises ``ProviderError`` (model not found, not enough memory…)."""
    return get_provider().load_model(model, context_length)


def unload_model(model: ModelInfo) -> int:
    """Unload every loaded instance of ``model``; returns how many were unloaded."""
    provider = get_provider()
    for instance in model.instances:
        provider.unload_model(instance.id)
    return len(model.instances)


def needs_loading(model: str | None, provider: LMStudioAPIProvider | None = None) -> bool:
    """Whether the server says ``model`` is not loaded (so the next answer loads it first)."""
    info = (provider or get_provider()).model_info(model)
    return info is not None and info.loaded is False


def prepare_model(
    provider: LMStudioAPIProvider, model: str | None, on_load: Callable[[], None] | None = None
) -> float | None:
    """Before an answer: load ``model`` if it is not loaded and the server loads on request
    (``on_load`` runs first). Returns the load time the server reported, else None (nothing
    loaded, or left to the server's JIT loading)."""
    if not model or not needs_loading(model, provider) or not provider.can_load_models:
        return None
    if on_load is not None:
        on_load()
    result = provider.load_model(model)
    log.info("loaded %s in %s s before answering", model, result.load_time_seconds)
    return result.load_time_seconds
