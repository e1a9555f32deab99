"""What a server offers: its models, which one would answer, and how long a context each one has.

Three wire shapes describe models, and a client must read all of them (``lmstudio-api.md``):

- ``GET /api/v1/models`` (LM Studio 0.4+): ``{"models": [{"key", "loaded_instances", …}]}``;
- ``GET /api/v0/models`` (LM Studio 0.3.6+): ``{"data": [{"id", "state", "max_context_length", …}]}``;
- ``GET /v1/models`` (everyone): ``{"data": [{"id"}]}``, plus ``max_model_len`` (vLLM) or ``meta``
  (llama-server) where the server adds them.

:func:`parse_models` turns each into :class:`ModelInfo` records, and says nothing the server did not
say (``None``). :class:`Catalog` finds the richest endpoint a server has once, remembers it, and
reuses a model list for :data:`MODEL_LIST_TTL` seconds: the page asks on every run, the server
should not have to answer every time.

Context length (:meth:`Catalog.context_length`): a served context from the model list wins (LM
Studio's loaded instance, vLLM's ``max_model_len``). When the list only knows the model's *maximum*,
llama.cpp's ``GET /props`` is asked for the context it actually runs with (``n_ctx``, at the top
level or under ``default_generation_settings`` depending on the build); a server without
``/props`` (LM Studio, Ollama, vLLM, llama-cpp-python) is remembered as such and not asked again.
Answers are cached per model; ``None`` means nobody says.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

import httpx

from core import errors
from core.providers.http import SyncHTTP

MODEL_LIST_TTL: Final = 10.0  # seconds a model list (and a context length) is reused
MODEL_ENDPOINTS: Final = ("/api/v1/models", "/api/v0/models", "/v1/models")
PROPS_PATH: Final = "/props"  # llama.cpp's server: its configured context, n_ctx
_EMBEDDING_TYPES: Final = frozenset({"embeddings", "embedding"})


@dataclass(frozen=True)
class ModelInfo:
    """A model as the server describes it; fields it does not say are ``None``."""

    id: str
    type: str = "llm"  # llm, vlm, embeddings
    loaded: bool | None = None
    context_length: int | None = None  # the loaded context if known, else the model's maximum
    max_context_length: int | None = None
    quantization: str | None = None
    publisher: str | None = None
    arch: str | None = None
    # Sees images: LM Studio says (type "vlm", capabilities.vision); None where the server does not.
    vision: bool | None = None

    @property
    def is_chat_model(self) -> bool:
        return self.type not in _EMBEDDING_TYPES

    @property
    def context_is_maximum(self) -> bool:
        """Whether ``context_length`` is only the model's maximum, not the context it runs with."""
        return self.context_length is not None and self.context_length == self.max_context_length

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ConnectionStatus:
    """What the sidebar badge shows: reachable or why not, and which model answers."""

    ok: bool
    url: str
    model: str | None = None
    loaded: bool | None = None
    models: tuple[ModelInfo, ...] = ()
    error: errors.ProviderError | None = None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _guess_type(model_id: str) -> str:
    return "embeddings" if "embed" in model_id.lower() else "llm"


def _lmstudio_v1(item: dict[str, Any]) -> ModelInfo:
    instances = item.get("loaded_instances") or []
    first = _dict(instances[0]) if isinstance(instances, list) and instances else {}
    loaded_ctx = _int(_dict(first.get("config")).get("context_length"))
    quant = item.get("quantization")
    kind = item.get("type") or "llm"
    vision = _dict(item.get("capabilities")).get("vision")
    return ModelInfo(
        id=str(item.get("key") or item.get("id")),
        type="embeddings" if kind in _EMBEDDING_TYPES else kind,
        loaded=bool(instances),
        context_length=loaded_ctx or _int(item.get("max_context_length")),
        max_context_length=_int(item.get("max_context_length")),
        quantization=quant.get("name") if isinstance(quant, dict) else quant,
        publisher=item.get("publisher"),
        arch=item.get("architecture") or item.get("arch"),
        vision=vision if isinstance(vision, bool) else kind == "vlm",
    )


def _lmstudio_v0(item: dict[str, Any]) -> ModelInfo:
    return ModelInfo(
        id=str(item["id"]),
        type=item.get("type") or "llm",
        loaded=item.get("state") == "loaded" if "state" in item else None,
        context_length=_int(item.get("loaded_context_length"))
        or _int(item.get("max_context_length")),
        max_context_length=_int(item.get("max_context_length")),
        quantization=item.get("quantization"),
        publisher=item.get("publisher"),
        arch=item.get("arch"),
        vision=(item.get("type") or "llm") == "vlm",
    )


def _openai(item: dict[str, Any]) -> ModelInfo:
    meta = _dict(item.get("meta"))
    trained = _int(meta.get("n_ctx_train"))  # llama-server: what the model was trained for
    return ModelInfo(
        id=str(item["id"]),
        type=_guess_type(str(item["id"])),
        context_length=_int(item.get("max_model_len")) or _int(meta.get("n_ctx")) or trained,
        max_context_length=trained,
    )


def parse_models(path: str, payload: Any) -> list[ModelInfo] | None:
    """Models from one of the three list endpoints' answers; ``None`` if it is not that shape."""
    if not isinstance(payload, dict):
        return None
    if path == "/api/v1/models":
        items = payload.get("models")
        if not isinstance(items, list):
            return None
        return [_lmstudio_v1(item) for item in items if isinstance(item, dict)]
    items = payload.get("data")
    if not isinstance(items, list):
        return None
    parse = _lmstudio_v0 if path == "/api/v0/models" else _openai
    return [parse(item) for item in items if isinstance(item, dict) and "id" in item]


def parse_props(payload: Any) -> int | None:
    """The context llama.cpp's server runs with, from its ``/props`` answer (either layout)."""
    props = _dict(payload)
    return _int(props.get("n_ctx")) or _int(
        _dict(props.get("default_generation_settings")).get("n_ctx")
    )


class Catalog:
    """One server's models, looked up with the app's pooled client. Safe to share between threads:
    every cache is one attribute replaced whole, so a reader sees the old or the new value."""

    def __init__(self, http: SyncHTTP, *, configured_model: str | None = None) -> None:
        self._http = http
        self._configured_model = configured_model or None
        self._endpoint: str | None = None  # the model-list path this server answered
        self._models: tuple[float, list[ModelInfo]] | None = None
        self._has_props: bool | None = None  # None: not asked yet
        self._contexts: dict[str, tuple[float, int | None]] = {}

    def _get_json(self, path: str) -> tuple[int, Any]:
        """(status, JSON) of a GET; "no such endpoint" (404/405) is returned, not raised."""
        try:
            response = self._http.open("GET", path, self._http.where(None), retries=0)
        except errors.WrongURL:
            return 404, None
        except (errors.BadRequest, errors.ModelNotFound) as exc:
            if exc.status in (404, 405):
                return exc.status, None
            raise
        try:
            return response.status_code, json.loads(response.read())
        except (ValueError, httpx.HTTPError):
            return response.status_code, None
        finally:
            response.close()

    def list_models(self, *, refresh: bool = False) -> list[ModelInfo]:
        """Every model the server offers, with type, load state and context where it says them."""
        cached = self._models
        if cached and not refresh and time.monotonic() - cached[0] < MODEL_LIST_TTL:
            return cached[1]
        endpoints = (self._endpoint,) if self._endpoint else MODEL_ENDPOINTS
        for path in endpoints:
            status, payload = self._get_json(path)
            models = parse_models(path, payload) if status == 200 else None
            if models is not None:
                self._endpoint = path
                self._models = (time.monotonic(), models)
                return models
        if self._endpoint:  # the server changed (another app on that port?): rediscover it
            self._endpoint = self._has_props = None
            self._contexts = {}
            return self.list_models(refresh=True)
        raise errors.WrongURL("no model list at /v1/models", url=self._http.base_url, model="")

    def model_info(self, model_id: str | None) -> ModelInfo | None:
        """What the server says about ``model_id`` (cached), or ``None`` if unknown or unreachable."""
        if not model_id:
            return None
        try:
            models = self.list_models()
        except errors.ProviderError:
            return None
        return next((m for m in models if m.id == model_id), None)

    def context_length(self, model_id: str | None) -> int | None:
        """The context ``model_id`` runs with, in tokens: from the model list, else llama.cpp's
        ``/props``, else the model's maximum; ``None`` when nobody says. Never raises."""
        if not model_id:
            return None
        cached = self._contexts.get(model_id)
        if cached is not None and time.monotonic() - cached[0] < MODEL_LIST_TTL:
            return cached[1]
        info = self.model_info(model_id)
        if info is not None and info.context_length and not info.context_is_maximum:
            found: int | None = info.context_length
        else:
            try:
                found = self._props_context()
            except errors.ProviderError:
                return None  # unreachable: say nothing, and ask again next time
            found = found or (info.context_length if info else None)
        self._contexts = {**self._contexts, model_id: (time.monotonic(), found)}
        return found

    def _props_context(self) -> int | None:
        if self._has_props is False:
            return None
        status, payload = self._get_json(PROPS_PATH)
        self._has_props = status == 200
        return parse_props(payload) if status == 200 else None

    def default_model(self, models: Sequence[ModelInfo] | None = None) -> str | None:
        """``LM_STUDIO_MODEL`` if set, else the first loaded chat model, else the first chat model."""
        if self._configured_model:
            return self._configured_model
        models = self.list_models() if models is None else models
        chat = [m for m in models if m.is_chat_model]
        loaded = [m for m in chat if m.loaded]
        return (loaded or chat)[0].id if chat else None

    def check_connection(self, model: str | None = None) -> ConnectionStatus:
        """Reachable? Which model would answer, and is it loaded? Never raises."""
        url = self._http.base_url
        try:
            models = self.list_models(refresh=True)
            chosen = model or self.default_model(models)
            if chosen is None:
                raise errors.NoModelLoaded("", url=url)
            info = next((m for m in models if m.id == chosen), None)
            return ConnectionStatus(True, url, chosen, info.loaded if info else None, tuple(models))
        except errors.ProviderError as exc:
            return ConnectionStatus(False, url, model or self._configured_model, error=exc)
