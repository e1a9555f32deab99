"""``LMStudioAPIProvider``: LM Studio and any OpenAI-compatible server (Ollama, llama-server, vLLM).

Two faces over one protocol implementation:

- a **sync** API for the Streamlit app (``list_models``, ``check_connection``, ``context_length``,
  ``stream_reply``, ``complete``), because a Streamlit script is synchronous and
  ``st.write_stream`` consumes a plain iterator;
- the seed's **async** API (``get_available_models``, ``chat_completion``,
  ``chat_completion_stream``, ``simple_completion``), kept exactly as the user's document shows it.

This module holds the two faces only; each job lives in its own module: :mod:`~core.providers.http`
(clients, timeouts, the one retry policy), :mod:`~core.providers.catalog` (models, context lengths,
connection status), :mod:`~core.providers.payload` (the request body),
:mod:`~core.providers.stream` (SSE decoding, :class:`ReplyStream`),
:mod:`~core.providers.reasoning` (thinking apart from the answer) and
:mod:`~core.providers.translate` (every failure into :mod:`core.errors`).

A provider holds a recipe for its connection (its arguments, or the configuration for
:meth:`LMStudioAPIProvider.configured`) and builds it on first use (:mod:`~core.providers.connection`):
that is what makes the process-wide ``lm_studio_provider`` an ordinary, typed provider that importing
never configures and :meth:`~LMStudioAPIProvider.reset` reconfigures.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial
from typing import Any

import httpx
from httpx_sse import EventSource

from core.conf.settings import Settings, get_settings
from core.providers import translate
from core.providers.catalog import ConnectionStatus, ModelInfo
from core.providers.connection import Connection, LazyConnection, connect, connect_configured
from core.providers.http import DEFAULT_MAX_RETRIES, DEFAULT_URL, Timeouts
from core.providers.payload import CHAT_PATH, Message, build_payload
from core.providers.reasoning import AnswerParts, split_message
from core.providers.stream import (
    ChunkDecoder,
    ChunkReader,
    ReplyStream,
    is_event_stream,
    json_answer,
    make_storable,
)
from core.providers.translate import Where
from core.vocab import SEED_TEMPERATURE


class LMStudioAPIProvider:
    """Client of one OpenAI-compatible server. Safe to share between threads."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        model: str | None = None,
        api_key: str | None = None,
        *,
        timeouts: Timeouts | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        recipe = partial(
            connect,
            base_url,
            model,
            api_key,
            timeouts=timeouts,
            max_retries=max_retries,
            transport=transport,
            async_transport=async_transport,
        )
        self._link = LazyConnection(recipe)

    @classmethod
    def _following(cls, recipe: Callable[[], Connection]) -> LMStudioAPIProvider:
        provider = cls.__new__(cls)
        provider._link = LazyConnection(recipe)
        return provider

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> LMStudioAPIProvider:
        """A provider for the configuration as it is now."""
        return cls._following(partial(connect_configured, settings or get_settings()))

    @classmethod
    def configured(cls) -> LMStudioAPIProvider:
        """A provider that reads the configuration on first use, and again after :meth:`reset`
        (``lm_studio_provider``): importing never reads ``.env``, and tests can change it first."""
        return cls._following(connect_configured)

    @property
    def _conn(self) -> Connection:
        return self._link.get()

    def reset(self) -> None:
        """Close the connection and forget what was learnt about the server; the next call builds
        it again (from the configuration as it is then, for :meth:`configured`)."""
        self._link.reset()

    def close(self) -> None:
        """Close the pooled connections (the next request opens new ones)."""
        self._link.close()

    def __repr__(self) -> str:  # never show the key
        key = "set" if self.has_api_key else "unset"
        return f"LMStudioAPIProvider({self.base_url!r}, model={self.model!r}, api_key={key})"

    @property
    def base_url(self) -> str:
        return self._conn.http.base_url

    @property
    def model(self) -> str | None:
        """The configured model (``LM_STUDIO_MODEL``), if any."""
        return self._conn.model

    @property
    def has_api_key(self) -> bool:
        return self._conn.http.has_api_key

    def _request(
        self, messages: Sequence[Message], *, model: str | None, stream: bool, **kwargs: Any
    ) -> tuple[Connection, dict[str, Any], Where]:
        """What every chat call starts with: the connection, the body (the configured model unless
        another is asked for) and what its errors will name."""
        conn = self._conn
        payload = build_payload(messages, model=model or conn.model, stream=stream, **kwargs)
        return conn, payload, conn.http.where(payload.get("model"))

    # --- what the server offers (sync) ----------------------------------------------------------
    def list_models(self, *, refresh: bool = False) -> list[ModelInfo]:
        """Every model the server offers, with type, load state and context where it says them."""
        return self._conn.catalog.list_models(refresh=refresh)

    def load_model(self, model: str) -> float | None:
        """Load ``model`` now where the server can say how long that took (LM Studio 0.4+)."""
        return self._conn.catalog.load_model(model)

    def model_info(self, model_id: str | None) -> ModelInfo | None:
        """What the server says about ``model_id`` (cached), or ``None`` if unknown or unreachable."""
        return self._conn.catalog.model_info(model_id)

    def context_length(self, model_id: str | None) -> int | None:
        """The context ``model_id`` runs with, in tokens; ``None`` when nobody says. Cached."""
        return self._conn.catalog.context_length(model_id)

    def default_model(self, models: Sequence[ModelInfo] | None = None) -> str | None:
        """``LM_STUDIO_MODEL`` if set, else the first loaded chat model, else the first chat model."""
        return self._conn.catalog.default_model(models)

    def check_connection(self, model: str | None = None) -> ConnectionStatus:
        """Reachable? Which model would answer, and is it loaded? Never raises."""
        return self._conn.catalog.check_connection(model)

    # --- answers (sync) -------------------------------------------------------------------------
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
        """Send the request and return the answer as a :class:`ReplyStream` of ``(EventKind,
        text)`` events, reasoning kept apart. The request is sent (and retried) here; once the
        stream is returned it is never re-sent."""
        conn, payload, where = self._request(
            messages,
            model=model,
            stream=True,
            system_message=system_message,
            temperature=temperature,
            max_tokens=max_tokens,
            **options,
        )
        started_at = time.perf_counter()
        response = conn.http.open("POST", CHAT_PATH, where, payload)
        return ReplyStream(response, where, started_at=started_at)

    def complete(
        self, messages: Sequence[Message], *, read_timeout: float | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """A non-streamed chat completion: the server's JSON (texts made storable).

        ``read_timeout``: the longest wait for the answer, instead of the configured read timeout
        (a non-streamed answer sends nothing until it is complete)."""
        conn, payload, where = self._request(
            messages, model=kwargs.pop("model", None), stream=False, **kwargs
        )
        response = conn.http.open("POST", CHAT_PATH, where, payload, read_timeout=read_timeout)
        try:
            text = response.read().decode("utf-8", "replace")
        except httpx.HTTPError as exc:
            raise translate.from_transport(exc, where, started=True) from exc
        finally:
            response.close()
        return _completion(text, where)

    # --- the seed's async API -------------------------------------------------------------------
    async def get_available_models(self) -> list[dict[str, Any]]:
        """The seed's model list: one dict per model with at least ``id`` (plus type, loaded,
        context_length, quantization … where the server says them)."""
        # Listing is a few small GETs; the sync client (pooled, shared) does them in a thread, and
        # shares the discovered endpoint and the cache with the app.
        models = await asyncio.to_thread(self.list_models)
        return [m.as_dict() for m in models]

    async def chat_completion(
        self,
        messages: Sequence[Message],
        system_message: str | None = None,
        temperature: float | None = SEED_TEMPERATURE,
        max_tokens: int | None = None,
        stream: bool = False,
        *,
        model: str | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """A chat completion as the server's JSON: ``response['choices'][0]['message']['content']``.

        With ``stream=True`` the answer is streamed and assembled into the same shape, with the
        reasoning apart in ``message['reasoning_content']``.
        """
        asked: dict[str, Any] = {
            "system_message": system_message,
            "temperature": temperature,
            "max_tokens": max_tokens,
            **options,
        }
        if stream:
            return await self._assemble_stream(messages, model=model, **asked)
        conn, payload, where = self._request(messages, model=model, stream=False, **asked)
        async with conn.ahttp.client() as client:
            response = await conn.ahttp.open(client, "POST", CHAT_PATH, where, payload)
            try:
                text = (await response.aread()).decode("utf-8", "replace")
            except httpx.HTTPError as exc:
                raise translate.from_transport(exc, where, started=True) from exc
            finally:
                await response.aclose()
        return _completion(text, where)

    async def chat_completion_stream(
        self,
        messages: Sequence[Message],
        system_message: str | None = None,
        temperature: float | None = SEED_TEMPERATURE,
        max_tokens: int | None = None,
        *,
        model: str | None = None,
        **options: Any,
    ) -> AsyncIterator[dict[str, Any]]:
        """The server's stream chunks as dicts (``chunk['choices'][0]['delta']['content']``)."""
        conn, payload, where = self._request(
            messages,
            model=model,
            stream=True,
            system_message=system_message,
            temperature=temperature,
            max_tokens=max_tokens,
            **options,
        )
        async with conn.ahttp.client() as client:
            response = await conn.ahttp.open(client, "POST", CHAT_PATH, where, payload)
            started = False
            try:
                if not is_event_stream(response):
                    yield json_answer((await response.aread()).decode("utf-8", "replace"), where)
                    return
                decoder = ChunkDecoder(where)
                async for sse in EventSource(response).aiter_sse():
                    chunk = decoder.decode(sse.data)
                    if chunk is None:
                        if decoder.done:
                            break
                        continue
                    started = True
                    yield make_storable(chunk)
                decoder.finish(empty=not started)
            except httpx.HTTPError as exc:
                raise translate.from_transport(exc, where, started=started) from exc
            finally:
                await response.aclose()

    async def _assemble_stream(self, messages: Sequence[Message], **kwargs: Any) -> dict[str, Any]:
        reader = ChunkReader(self._conn.http.where(kwargs.get("model") or self.model))
        parts = AnswerParts()
        async for chunk in self.chat_completion_stream(messages, **kwargs):
            parts.extend(reader.feed(chunk))
        parts.extend(reader.flush())
        message = {"role": "assistant", "content": parts.content}
        if parts.reasoning:
            message["reasoning_content"] = parts.reasoning
        return {
            "object": "chat.completion",
            "model": reader.model,
            "choices": [{"index": 0, "message": message, "finish_reason": reader.finish_reason}],
            "usage": reader.usage,
        }

    async def simple_completion(
        self,
        prompt: str,
        temperature: float | None = SEED_TEMPERATURE,
        max_tokens: int | None = None,
        *,
        model: str | None = None,
    ) -> str:
        """Answer one prompt, no history: the answer's text, without the model's reasoning."""
        response = await self.chat_completion(
            [{"role": "user", "content": prompt}],
            temperature=temperature,
            max_tokens=max_tokens,
            model=model,
        )
        content, _reasoning = split_message(response["choices"][0]["message"])
        return content


def _completion(text: str, where: Where) -> dict[str, Any]:
    """A non-streamed answer's body; ``choices: []`` is an answer without text."""
    body = json_answer(text, where)
    if not body["choices"]:
        raise translate.empty_answer("the answer has no choices", where)
    return body
