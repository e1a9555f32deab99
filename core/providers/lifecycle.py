"""Loading and unloading models on LM Studio 0.4+ (``POST /api/v1/models/load`` and ``/unload``).

Only servers that answer ``GET /api/v1/models`` have these endpoints
(:attr:`core.providers.catalog.Catalog.can_load`); on the others (llama.cpp, Ollama, vLLM, older
LM Studio) Charla shows no load controls at all and leaves loading to the server (JIT).

A load is one request that returns when the model is in memory: ``{"instance_id",
"load_time_seconds", "status": "loaded"}``. It can take minutes for a large model, so it gets the
long read timeout of an answer and no retry (a load that timed out may still finish). Its
failures are translated like any other (:mod:`core.providers.translate`): an unknown model is
``ModelNotFound``, a model that does not fit ``NotEnoughMemory``, a missing key
``AuthenticationFailed``. The catalog's cached model list is dropped after each call, so the next
look shows the new state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

import httpx

from core.providers import translate
from core.providers.catalog import Catalog
from core.providers.http import SyncHTTP

LOAD_PATH: Final = "/api/v1/models/load"
UNLOAD_PATH: Final = "/api/v1/models/unload"


@dataclass(frozen=True)
class LoadResult:
    """What the server said about a load."""

    model: str
    instance_id: str
    load_time_seconds: float | None
    context_length: int | None  # what was asked (the server's default when None)


def _post(http: SyncHTTP, path: str, model: str, payload: dict[str, Any]) -> dict[str, Any]:
    where = http.where(model)
    response = http.open("POST", path, where, payload, retries=0)
    try:
        body = json.loads(response.read() or b"{}")
    except (ValueError, httpx.HTTPError) as exc:
        raise translate.not_an_answer(f"{path} did not answer JSON", where) from exc
    finally:
        response.close()
    if translate.is_error_body(body):
        raise translate.from_stream_frame(body, where)
    return body if isinstance(body, dict) else {}


def load(
    http: SyncHTTP, catalog: Catalog, model: str, context_length: int | None = None
) -> LoadResult:
    """Load ``model`` (with ``context_length`` tokens of context, else the server's default)."""
    payload: dict[str, Any] = {"model": model}
    if context_length:
        payload["context_length"] = context_length
    try:
        body = _post(http, LOAD_PATH, model, payload)
    finally:
        catalog.forget_models()
    seconds = body.get("load_time_seconds")
    return LoadResult(
        model=model,
        instance_id=str(body.get("instance_id") or model),
        load_time_seconds=float(seconds) if isinstance(seconds, (int, float)) else None,
        context_length=context_length,
    )


def unload(http: SyncHTTP, catalog: Catalog, instance_id: str) -> None:
    """Unload one loaded instance (its id is in :attr:`ModelInfo.instances`)."""
    try:
        _post(http, UNLOAD_PATH, instance_id, {"instance_id": instance_id})
    finally:
        catalog.forget_models()
