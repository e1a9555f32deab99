"""``LMStudioAPIProvider``: LM Studio and any OpenAI-compatible server (Ollama, llama-server, vLLM).

Two faces over one protocol implementation:

- the seed's **async** API (``get_available_models``, ``chat_completion``, ``chat_completion_stream``,
  ``simple_completion``), kept exactly as the user's document shows it;
- a **sync** API for the Streamlit app (``list_models``, ``check_connection``, ``stream_reply``),
  because a Streamlit script is synchronous and ``st.write_stream`` consumes a plain iterator.

Both share everything but the socket calls: payload building, SSE decoding, reasoning separation
(:mod:`core.providers.reasoning`) and error translation (:mod:`core.providers.translate`).

Client lifetimes: the sync ``httpx.Client`` is built once and shared (it is thread-safe and keeps
connections alive). An ``httpx.AsyncClient``'s connections belong to the event loop that opened them
and the seed calls ``asyncio.run`` once per example, so each async call opens a short-lived client;
they all share one SSL context, which is what makes building a client cost ~20 ms.

Timeouts: a short connect timeout, and a long read timeout for every wait for the first or next
chunk (LM Studio may be loading the model just in time). httpcore fixes a response body's read
timeout when the body starts, so one value covers both waits; the user can always press Stop.

Retries: at most ``max_retries`` (2), with exponential backoff and jitter, only for connection errors
and 5xx answers, i.e. before any byte of an answer; a stream that has begun is never re-run.
Closing a stream (``close()``, ``break``, garbage collection) closes the HTTP response, which is how
a client tells LM Studio to stop generating.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import ssl
import threading
import time
from collections.abc import AsyncIterator, Generator, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from httpx_sse import EventSource

from core import errors
from core.conf.settings import Settings, get_settings
from core.providers import translate
from core.providers.reasoning import AnswerParts, Event, ThinkSplitter
from core.providers.translate import Where
from core.text import storable
from core.vocab import EventKind

log = logging.getLogger("charla.provider")

DEFAULT_MAX_RETRIES = 2
RETRY_BACKOFF = 0.25  # seconds; doubled per attempt, plus jitter
MODELS_TTL = 10.0  # seconds a model list is reused before asking the server again
_MODEL_ENDPOINTS = ("/api/v1/models", "/api/v0/models", "/v1/models")
_EMBEDDING_TYPES = frozenset({"embeddings", "embedding"})
GENERATION_OPTIONS = ("top_p", "top_k", "repeat_penalty", "seed", "stop")

Message = dict[str, str]

_json_decode = json.JSONDecoder().decode  # json.loads minus its per-call argument checks
_ssl_lock = threading.Lock()
_ssl_context: ssl.SSLContext | None = None


def shared_ssl_context() -> ssl.SSLContext:
    """One SSL context for every client this process builds (building one costs ~20 ms)."""
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context()
        return _ssl_context


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 300.0

    def for_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=30.0, pool=self.connect)


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

    @property
    def is_chat_model(self) -> bool:
        return self.type not in _EMBEDDING_TYPES

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


def _guess_type(model_id: str) -> str:
    return "embeddings" if "embed" in model_id.lower() else "llm"


def parse_models(path: str, payload: Any) -> list[ModelInfo] | None:
    """Models from one of the three list endpoints' answers; ``None`` if it is not that shape."""
    if not isinstance(payload, dict):
        return None
    if path == "/api/v1/models":
        items = payload.get("models")
        if not isinstance(items, list):
            return None
        models = []
        for item in items:
            instances = item.get("loaded_instances") or []
            loaded_ctx = (
                _int(((instances[0] or {}).get("config") or {}).get("context_length"))
                if instances
                else None
            )
            quant = item.get("quantization")
            kind = item.get("type") or "llm"
            models.append(
                ModelInfo(
                    id=str(item.get("key") or item.get("id")),
                    type="embeddings" if kind in _EMBEDDING_TYPES else kind,
                    loaded=bool(instances),
                    context_length=loaded_ctx or _int(item.get("max_context_length")),
                    max_context_length=_int(item.get("max_context_length")),
                    quantization=quant.get("name") if isinstance(quant, dict) else quant,
                    publisher=item.get("publisher"),
                    arch=item.get("architecture") or item.get("arch"),
                )
            )
        return models
    items = payload.get("data")
    if not isinstance(items, list):
        return None
    if path == "/api/v0/models":
        return [
            ModelInfo(
                id=str(item["id"]),
                type=item.get("type") or "llm",
                loaded=item.get("state") == "loaded" if "state" in item else None,
                context_length=_int(item.get("loaded_context_length"))
                or _int(item.get("max_context_length")),
                max_context_length=_int(item.get("max_context_length")),
                quantization=item.get("quantization"),
                publisher=item.get("publisher"),
                arch=item.get("arch"),
            )
            for item in items
            if isinstance(item, dict) and "id" in item
        ]
    models = []
    for item in items:
        if not isinstance(item, dict) or "id" not in item:
            continue
        meta: dict[str, Any] = item["meta"] if isinstance(item.get("meta"), dict) else {}
        context = (
            _int(item.get("max_model_len"))
            or _int(meta.get("n_ctx"))
            or _int(meta.get("n_ctx_train"))
        )
        models.append(
            ModelInfo(id=str(item["id"]), type=_guess_type(str(item["id"])), context_length=context)
        )
    return models


def build_payload(
    messages: Sequence[Message],
    *,
    model: str | None,
    system_message: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    stream: bool = False,
    **options: Any,
) -> dict[str, Any]:
    """The JSON body of a chat-completions request. Unset options are left out (server defaults)."""
    unknown = set(options) - set(GENERATION_OPTIONS)
    if unknown:
        raise TypeError(f"unknown generation options: {sorted(unknown)}")
    chat: list[Message] = [{"role": "system", "content": system_message}] if system_message else []
    chat.extend(messages)
    payload: dict[str, Any] = {"messages": chat, "stream": stream}
    if model:
        payload["model"] = model
    if temperature is not None:
        payload["temperature"] = temperature
    # max_tokens <= 0 (LM Studio's -1 included) means "no limit": omitting it works on every server.
    if max_tokens is not None and max_tokens > 0:
        payload["max_tokens"] = max_tokens
    for key in GENERATION_OPTIONS:
        value = options.get(key)
        if value is not None and value != [] and value != ():
            payload[key] = list(value) if key == "stop" else value
    if stream:
        payload["stream_options"] = {"include_usage": True}
    return payload


_NO_EVENTS: tuple[Event, ...] = ()


class ReplyAssembler:
    """Turns chunk dicts into (kind, text) events and remembers what the stream reported."""

    __slots__ = ("_splitter", "deltas", "finish_reason", "model", "usage")

    def __init__(self) -> None:
        self._splitter = ThinkSplitter()
        self.model: str | None = None
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] | None = None
        self.deltas = 0  # content/reasoning deltas: a token count when the server sends no usage

    def feed(self, chunk: dict[str, Any]) -> Sequence[Event]:
        if self.model is None and chunk.get("model"):
            self.model = str(chunk["model"])
        usage = chunk.get("usage")
        if usage:
            self.usage = usage
        choices = chunk.get("choices")
        if not choices:  # the usage chunk has choices: []
            return _NO_EVENTS
        choice = choices[0]
        finish = choice.get("finish_reason")
        if finish:
            self.finish_reason = finish
        delta = choice.get("delta") or choice.get("message")
        if not delta:
            return _NO_EVENTS
        content = delta.get("content")
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        # A lone surrogate (from a \\ud83d escape) can only hide in non-ASCII text, and
        # isascii() is O(1): ASCII chunks pay nothing. NUL is left to the saving side.
        if content and not content.isascii():
            content = storable(content)
        if reasoning and not reasoning.isascii():
            reasoning = storable(reasoning)
        if reasoning:
            self.deltas += 1
            events: list[Event] = [(EventKind.REASONING, reasoning)]
            if content:
                events.extend(self._splitter.feed(content))
            return events
        if content:
            self.deltas += 1
            return self._splitter.feed(content)
        return _NO_EVENTS

    def finish(self) -> list[Event]:
        return self._splitter.flush()


class _StreamDecoder:
    """SSE data lines → chunk dicts; raises on error frames, malformed chunks and missing [DONE]."""

    __slots__ = ("ctx", "done")

    def __init__(self, ctx: Where) -> None:
        self.ctx = ctx
        self.done = False

    def decode(self, data: str) -> dict[str, Any] | None:
        if data == "[DONE]":
            self.done = True
            return None
        if not data:
            return None
        try:
            chunk = _json_decode(data)
        except ValueError:
            raise errors.StreamFailed(
                "the server sent a malformed chunk (not JSON)",
                url=self.ctx.url,
                model=self.ctx.model,
            ) from None
        if not isinstance(chunk, dict):
            raise errors.StreamFailed(
                "the server sent a malformed chunk", url=self.ctx.url, model=self.ctx.model
            )
        if chunk.get("error") or chunk.get("object") == "error":
            raise translate.from_stream_frame(chunk, self.ctx)
        return chunk

    def end(self, *, empty: bool = False) -> None:
        if not self.done:
            raise _ended_early(self.ctx, empty=empty)


def _ended_early(ctx: Where, *, empty: bool) -> errors.ProviderError:
    """A stream that ended without [DONE]: cut mid-answer, or closed before any text at all
    (how llama.cpp's server answers a prompt longer than its context)."""
    if empty:
        return errors.EmptyAnswer("the stream ended before any text", url=ctx.url, model=ctx.model)
    return errors.StreamInterrupted("the stream ended without [DONE]", url=ctx.url, model=ctx.model)


def _make_storable(chunk: dict[str, Any]) -> None:
    """Replace NUL and lone surrogates in a chunk's texts (no database can store them)."""
    for choice in chunk.get("choices") or ():
        delta = choice.get("delta") or choice.get("message") or {}
        for key in ("content", "reasoning_content", "reasoning"):
            if isinstance(delta.get(key), str):
                delta[key] = storable(delta[key])


def _json_body_as_chunks(text: str, ctx: Where) -> list[dict[str, Any]]:
    """A server that answered a stream request with plain JSON: an error, or a whole completion."""
    try:
        body = json.loads(text)
    except ValueError:
        raise errors.WrongURL(
            "the answer was neither an event stream nor JSON", url=ctx.url, model=ctx.model
        ) from None
    if not isinstance(body, dict):
        raise errors.WrongURL("unexpected answer", url=ctx.url, model=ctx.model)
    if body.get("error") or body.get("object") == "error":
        raise translate.from_stream_frame(body, ctx)
    if "choices" not in body:
        raise errors.WrongURL("the answer has no choices", url=ctx.url, model=ctx.model)
    _make_storable(body)
    return [body]


def _is_event_stream(response: httpx.Response) -> bool:
    return "text/event-stream" in response.headers.get("content-type", "")


def _retry_delay(attempt: int) -> float:
    return float(RETRY_BACKOFF * (2**attempt) * (0.5 + random.random()))


def _retriable(exc: httpx.HTTPError) -> bool:
    # Only failures that happen before the server could have started working on the request.
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError))


class ReplyStream:
    """A streamed answer as ``(kind, text)`` events (kind: content, reasoning, reclassify).

    Iterate it once. When it ends it holds what the stream reported (``model``, ``finish_reason``,
    ``usage``) and the timing it measured. ``close()`` (or leaving a ``with`` block) closes the HTTP
    response, so the server stops generating. Errors are :class:`core.errors.ProviderError`.
    """

    def __init__(self, provider: LMStudioAPIProvider, payload: dict[str, Any]) -> None:
        self.requested_model = payload.get("model")
        self.assembler = ReplyAssembler()
        self.started_at = time.perf_counter()
        self.first_token_at: float | None = None
        self.finished_at: float | None = None
        self._gen = provider._stream_events(payload, self)

    def __iter__(self) -> Iterator[Event]:
        return self._gen  # the generator itself: no extra call per event

    def close(self) -> None:
        self._gen.close()

    def __enter__(self) -> ReplyStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def model(self) -> str | None:
        return self.assembler.model or self.requested_model

    @property
    def finish_reason(self) -> str | None:
        return self.assembler.finish_reason

    @property
    def usage(self) -> dict[str, Any] | None:
        return self.assembler.usage

    @property
    def time_to_first_token(self) -> float | None:
        return None if self.first_token_at is None else self.first_token_at - self.started_at


class LMStudioAPIProvider:
    """Client of one OpenAI-compatible server. Safe to share between threads."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:1234",
        model: str | None = None,
        api_key: str | None = None,
        *,
        timeouts: Timeouts | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        base_url = base_url.rstrip("/")
        # Users often paste the OpenAI base URL; the endpoints below add /v1 themselves.
        self.base_url = base_url[:-3] if base_url.endswith("/v1") else base_url
        self.model = model or None
        self._api_key = api_key or None
        self.timeouts = timeouts or Timeouts()
        self.max_retries = max_retries
        self._transport = transport
        self._async_transport = async_transport
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()
        self._models_endpoint: str | None = None
        self._models_cache: tuple[float, list[ModelInfo]] | None = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> LMStudioAPIProvider:
        settings = settings or get_settings()
        return cls(
            settings.lm_studio_url,
            settings.lm_studio_model,
            settings.lm_studio_api_key.get() or None,
            timeouts=Timeouts(settings.connect_timeout, settings.read_timeout),
        )

    def __repr__(self) -> str:  # never show the key
        key = "set" if self._api_key else "unset"
        return f"LMStudioAPIProvider({self.base_url!r}, model={self.model!r}, api_key={key})"

    @property
    def has_api_key(self) -> bool:
        return self._api_key is not None

    # --- plumbing shared by both faces ---------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _ctx(self, model: str | None) -> Where:
        return Where(self.base_url, model or self.model or "", self._api_key)

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "headers": self._headers(),
            "timeout": self.timeouts.for_httpx(),
            "verify": shared_ssl_context(),
        }

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = httpx.Client(transport=self._transport, **self._client_kwargs())
        return self._client

    def _async_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self._async_transport, **self._client_kwargs())

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _error_for(self, response: httpx.Response, body: bytes, ctx: Where) -> errors.ProviderError:
        return translate.from_response(response, body.decode("utf-8", "replace"), ctx)

    # --- sync requests --------------------------------------------------------------------------
    def _open(
        self,
        method: str,
        path: str,
        ctx: Where,
        payload: dict[str, Any] | None = None,
        *,
        retries: int | None = None,
    ) -> httpx.Response:
        """Send a request and return the response with its body unread (caller closes it).

        ``retries`` defaults to ``max_retries`` (chat requests); look-ups pass 0: a status
        badge must answer at once, and the user can ask again.
        """
        retries = self.max_retries if retries is None else retries
        client = self.client
        request = client.build_request(method, path, json=payload)
        attempt = 0
        while True:
            try:
                response = client.send(request, stream=True)
            except httpx.HTTPError as exc:
                if _retriable(exc) and attempt < retries:
                    time.sleep(_retry_delay(attempt))
                    attempt += 1
                    continue
                raise translate.from_transport(exc, ctx, started=False) from exc
            if response.status_code < 400:
                return response
            try:
                body = response.read()
            except httpx.HTTPError:
                body = b""
            finally:
                response.close()
            if response.status_code >= 500 and attempt < retries:
                time.sleep(_retry_delay(attempt))
                attempt += 1
                continue
            raise self._error_for(response, body, ctx)

    def _get_json(self, path: str, ctx: Where) -> tuple[int, Any]:
        """(status, JSON) of a GET; 404/405 are returned, not raised (endpoint discovery)."""
        try:
            response = self._open("GET", path, ctx, retries=0)
        except errors.WrongURL:
            return 404, None
        except errors.BadRequest as exc:
            if exc.status == 405:
                return 405, None
            raise
        except errors.ModelNotFound as exc:
            if exc.status == 404:
                return 404, None
            raise
        try:
            return response.status_code, json.loads(response.read())
        except (ValueError, httpx.HTTPError):
            return response.status_code, None
        finally:
            response.close()

    def list_models(self, *, refresh: bool = False) -> list[ModelInfo]:
        """Every model the server offers, with type, load state and context where it says them."""
        cached = self._models_cache
        if cached and not refresh and time.monotonic() - cached[0] < MODELS_TTL:
            return cached[1]
        ctx = self._ctx(None)
        endpoints = (self._models_endpoint,) if self._models_endpoint else _MODEL_ENDPOINTS
        for path in endpoints:
            status, payload = self._get_json(path, ctx)
            models = parse_models(path, payload) if status == 200 else None
            if models is not None:
                self._models_endpoint = path
                self._models_cache = (time.monotonic(), models)
                return models
        if self._models_endpoint:  # the server changed (another app on that port?): rediscover
            self._models_endpoint = None
            return self.list_models(refresh=True)
        raise errors.WrongURL("no model list at /v1/models", url=ctx.url, model="")

    def model_info(self, model_id: str | None) -> ModelInfo | None:
        """What the server says about ``model_id`` (cached), or ``None`` if unknown or unreachable."""
        if not model_id:
            return None
        try:
            models = self.list_models()
        except errors.ProviderError:
            return None
        return next((m for m in models if m.id == model_id), None)

    def default_model(self, models: Sequence[ModelInfo] | None = None) -> str | None:
        """``LM_STUDIO_MODEL`` if set, else the first loaded chat model, else the first chat model."""
        if self.model:
            return self.model
        models = self.list_models() if models is None else models
        chat = [m for m in models if m.is_chat_model]
        loaded = [m for m in chat if m.loaded]
        return (loaded or chat)[0].id if chat else None

    def check_connection(self, model: str | None = None) -> ConnectionStatus:
        """Reachable? Which model would answer, and is it loaded? Never raises."""
        try:
            models = self.list_models(refresh=True)
            chosen = model or self.default_model(models)
            if chosen is None:
                raise errors.NoModelLoaded("", url=self.base_url)
            info = next((m for m in models if m.id == chosen), None)
            return ConnectionStatus(
                True, self.base_url, chosen, info.loaded if info else None, tuple(models)
            )
        except errors.ProviderError as exc:
            return ConnectionStatus(False, self.base_url, model or self.model, error=exc)

    def complete(self, messages: Sequence[Message], **kwargs: Any) -> dict[str, Any]:
        """A non-streamed chat completion (sync)."""
        payload = build_payload(
            messages, stream=False, model=kwargs.pop("model", None) or self.model, **kwargs
        )
        ctx = self._ctx(payload.get("model"))
        response = self._open("POST", "/v1/chat/completions", ctx, payload)
        try:
            return self._completion_json(response.read().decode("utf-8", "replace"), ctx)
        except httpx.HTTPError as exc:
            raise translate.from_transport(exc, ctx, started=True) from exc
        finally:
            response.close()

    def _completion_json(self, text: str, ctx: Where) -> dict[str, Any]:
        try:
            body = json.loads(text)
        except ValueError:
            raise errors.WrongURL("the answer is not JSON", url=ctx.url, model=ctx.model) from None
        if not isinstance(body, dict) or body.get("error") or body.get("object") == "error":
            raise translate.from_stream_frame(
                body if isinstance(body, dict) else {"error": str(body)}, ctx
            )
        if not body.get("choices"):
            raise errors.EmptyAnswer("the answer has no choices", url=ctx.url, model=ctx.model)
        _make_storable(body)
        return body

    def stream_reply(
        self,
        messages: Sequence[Message],
        *,
        model: str | None = None,
        system_message: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        **options: Any,
    ) -> ReplyStream:
        """Stream an answer as (kind, text) events, reasoning kept apart from content (sync)."""
        payload = build_payload(
            messages,
            model=model or self.model,
            system_message=system_message,
            temperature=temperature,
            max_tokens=max_tokens,
            stream=True,
            **options,
        )
        return ReplyStream(self, payload)

    def _stream_events(self, payload: dict[str, Any], reply: ReplyStream) -> Generator[Event]:
        ctx = self._ctx(payload.get("model"))
        assembler = reply.assembler
        reply.started_at = time.perf_counter()
        response = self._open("POST", "/v1/chat/completions", ctx, payload)
        try:
            if not _is_event_stream(response):
                body = response.read().decode("utf-8", "replace")
                for chunk in _json_body_as_chunks(body, ctx):
                    yield from assembler.feed(chunk)
            else:
                # The hot loop (one pass per token): kept flat on purpose, with no generator
                # layers between the socket and the consumer (see bench/streaming.py).
                decode, feed = _StreamDecoder(ctx).decode, assembler.feed
                done = False
                for sse in EventSource(response).iter_sse():
                    data = sse.data
                    if data == "[DONE]":
                        done = True
                        break
                    try:
                        chunk = _json_decode(data)
                    except ValueError:
                        chunk = None
                    # Fast path for an ordinary chunk; an error frame or an odd shape takes the
                    # careful path (`decode`, which parses again: that is rare).
                    if (
                        type(chunk) is not dict
                        or "error" in chunk
                        or chunk.get("object") == "error"
                    ):
                        chunk = decode(data)
                        if chunk is None:
                            continue
                    events = feed(chunk)
                    if events:
                        if reply.first_token_at is None:
                            reply.first_token_at = time.perf_counter()
                        yield from events
                if not done:
                    raise _ended_early(ctx, empty=reply.first_token_at is None)
            yield from assembler.finish()
        except httpx.HTTPError as exc:
            raise translate.from_transport(
                exc, ctx, started=reply.first_token_at is not None
            ) from exc
        finally:
            reply.finished_at = time.perf_counter()
            response.close()

    # --- the seed's async API -------------------------------------------------------------------
    async def _aopen(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        ctx: Where,
        payload: dict[str, Any] | None = None,
    ) -> httpx.Response:
        request = client.build_request(method, path, json=payload)
        attempt = 0
        while True:
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                if _retriable(exc) and attempt < self.max_retries:
                    await asyncio.sleep(_retry_delay(attempt))
                    attempt += 1
                    continue
                raise translate.from_transport(exc, ctx, started=False) from exc
            if response.status_code < 400:
                return response
            try:
                body = await response.aread()
            except httpx.HTTPError:
                body = b""
            finally:
                await response.aclose()
            if response.status_code >= 500 and attempt < self.max_retries:
                await asyncio.sleep(_retry_delay(attempt))
                attempt += 1
                continue
            raise self._error_for(response, body, ctx)

    async def get_available_models(self) -> list[dict[str, Any]]:
        """The seed's model list: one dict per model with at least ``id`` (plus type, loaded,
        context_length, quantization … where the server says them)."""
        # Listing is a few small GETs; the sync client (pooled, shared) does them without blocking
        # the loop for long, and shares the discovered endpoint and cache with the app.
        models = await asyncio.to_thread(self.list_models)
        return [m.as_dict() for m in models]

    async def chat_completion(
        self,
        messages: Sequence[Message],
        system_message: str | None = None,
        temperature: float | None = 0.7,
        max_tokens: int | None = None,
        stream: bool = False,
        *,
        model: str | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """A chat completion as the server's JSON: ``response['choices'][0]['message']['content']``.

        With ``stream=True`` the answer is streamed and assembled into the same shape.
        """
        if stream:
            return await self._assemble_stream(
                messages,
                system_message=system_message,
                temperature=temperature,
                max_tokens=max_tokens,
                model=model,
                **options,
            )
        payload = build_payload(
            messages,
            model=model or self.model,
            system_message=system_message,
            temperature=temperature,
            max_tokens=max_tokens,
            **options,
        )
        ctx = self._ctx(payload.get("model"))
        async with self._async_client() as client:
            response = await self._aopen(client, "POST", "/v1/chat/completions", ctx, payload)
            try:
                text = (await response.aread()).decode("utf-8", "replace")
            except httpx.HTTPError as exc:
                raise translate.from_transport(exc, ctx, started=True) from exc
            finally:
                await response.aclose()
        return self._completion_json(text, ctx)

    async def chat_completion_stream(
        self,
        messages: Sequence[Message],
        system_message: str | None = None,
        temperature: float | None = 0.7,
        max_tokens: int | None = None,
        *,
        model: str | None = None,
        **options: Any,
    ) -> AsyncIterator[dict[str, Any]]:
        """The server's stream chunks as dicts (``chunk['choices'][0]['delta']['content']``)."""
        payload = build_payload(
            messages,
            model=model or self.model,
            system_message=system_message,
            temperature=temperature,
            max_tokens=max_tokens,
            stream=True,
            **options,
        )
        ctx = self._ctx(payload.get("model"))
        async with self._async_client() as client:
            response = await self._aopen(client, "POST", "/v1/chat/completions", ctx, payload)
            started = False
            try:
                if not _is_event_stream(response):
                    for chunk in _json_body_as_chunks(
                        (await response.aread()).decode("utf-8", "replace"), ctx
                    ):
                        yield chunk
                    return
                decoder = _StreamDecoder(ctx)
                async for sse in EventSource(response).aiter_sse():
                    decoded = decoder.decode(sse.data)
                    if decoded is None:
                        if decoder.done:
                            break
                        continue
                    started = True
                    yield decoded
                decoder.end(empty=not started)
            except httpx.HTTPError as exc:
                raise translate.from_transport(exc, ctx, started=started) from exc
            finally:
                await response.aclose()

    async def _assemble_stream(self, messages: Sequence[Message], **kwargs: Any) -> dict[str, Any]:
        assembler = ReplyAssembler()
        parts = AnswerParts()
        async for chunk in self.chat_completion_stream(messages, **kwargs):
            parts.extend(assembler.feed(chunk))
        parts.extend(assembler.finish())
        message = {"role": "assistant", "content": parts.content}
        if parts.reasoning:
            message["reasoning_content"] = parts.reasoning
        return {
            "object": "chat.completion",
            "model": assembler.model,
            "choices": [{"index": 0, "message": message, "finish_reason": assembler.finish_reason}],
            "usage": assembler.usage,
        }

    async def simple_completion(
        self,
        prompt: str,
        temperature: float | None = 0.7,
        max_tokens: int | None = None,
        *,
        model: str | None = None,
    ) -> str:
        """Answer one prompt, no history: the answer text."""
        response = await self.chat_completion(
            [{"role": "user", "content": prompt}],
            temperature=temperature,
            max_tokens=max_tokens,
            model=model,
        )
        return str(response["choices"][0]["message"].get("content") or "")


class _LazyProvider:
    """``lm_studio_provider``: built from the configuration on first use, so importing this module
    never reads ``.env`` and tests can change the environment first."""

    def __init__(self) -> None:
        self._provider: LMStudioAPIProvider | None = None
        self._lock = threading.Lock()

    def get(self) -> LMStudioAPIProvider:
        if self._provider is None:
            with self._lock:
                if self._provider is None:
                    self._provider = LMStudioAPIProvider.from_settings()
        return self._provider

    def reset(self) -> None:
        with self._lock:
            old, self._provider = self._provider, None
        if old is not None:
            old.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)

    def __repr__(self) -> str:
        return repr(self.get())


lm_studio_provider: Any = _LazyProvider()


def get_provider() -> LMStudioAPIProvider:
    """The process-wide provider built from the configuration."""
    return lm_studio_provider.get()  # type: ignore[no-any-return]


def reset_provider() -> None:
    lm_studio_provider.reset()
