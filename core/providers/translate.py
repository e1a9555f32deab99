"""Translate what an HTTP server says or does into :mod:`core.errors`, in one place.

Everything that can go wrong between Charla and a model server arrives here as one of three things:
a refused request (a 4xx/5xx response and its body), an ``{"error": …}`` frame inside an HTTP 200
stream, or an exception from httpx (no connection, a timeout, a cut). Each becomes one
:class:`core.errors.ProviderError` subclass whose sentence says what to do.

Servers disagree on error bodies (``{"error": {"message", "code"}}``, ``{"error": "text"}``,
vLLM's ``{"object": "error", "message"}``, HTML pages), so every body is parsed defensively and
classified by status code, error code and the well-known messages LM Studio, llama-server, Ollama and
vLLM use. The API key is scrubbed from every text *before* it becomes part of an error, so no later
``str()``, log line or stored row can leak it.

"The server does not answer" is the one failure whose advice depends on the configuration: under
``make demo`` (``CHARLA_DEMO``) nothing answering means the bundled engine stopped, so
:func:`unreachable` marks the error ``demo`` and it names that sentence.

:class:`Where` is what every error needs to name (server URL, model) plus the one secret to scrub; it
is built once per request and handed to whoever may fail.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from core import errors
from core.conf.settings import get_settings
from core.text import storable

_MAX_DETAIL = 500

_CONTEXT_MARKERS = (
    "context the overflows",
    "context overflow",
    "context length",
    "context window",
    "context size",
    "maximum context",
    "exceeds the context",
    "exceed context",
    "too many tokens",
    "n_ctx",
    "trying to keep the first",
    "prompt is too long",
)

# How servers say a model did not fit in memory (LM Studio's load errors, llama.cpp's allocator).
_MEMORY_MARKERS = (
    "not enough memory",
    "insufficient memory",
    "insufficient system resources",
    "out of memory",
    "failed to allocate",
)


# The numbers servers put in an overflow message, e.g. llama-cpp-python / vLLM / OpenAI: "This
# model's maximum context length is 1024 tokens. However, you requested 6032 tokens"; llama.cpp's
# llama-server: "the request exceeds the available context size (4096 tokens)"; others: "context
# window of 2048", "n_ctx: 2048", "context length of 8192".
_WINDOW_PATTERNS = (
    re.compile(r"maximum context length is (\d+)", re.I),
    re.compile(r"context (?:size|window|length) (?:of |is |\()?(\d+)", re.I),
    re.compile(r"n_ctx\W{0,3}(\d+)", re.I),
)
_REQUESTED_PATTERNS = (
    re.compile(r"you requested (\d+) tokens", re.I),
    re.compile(r"request \((\d+) tokens\)", re.I),
)


def context_limits(message: str) -> tuple[int | None, int | None]:
    """(the model's context length, the prompt's size in tokens) as an overflow message says
    them; ``None`` where it says nothing."""

    def first(patterns: tuple[re.Pattern[str], ...]) -> int | None:
        for pattern in patterns:
            found = pattern.search(message)
            if found and int(found.group(1)) > 0:
                return int(found.group(1))
        return None

    return first(_WINDOW_PATTERNS), first(_REQUESTED_PATTERNS)


@dataclass(frozen=True, slots=True)
class Where:
    """Where a request went: the server and model an error names, and the API key to scrub."""

    url: str
    model: str
    secret: str | None = field(default=None, repr=False)  # never shown, only scrubbed


def scrub(text: str, secret: str | None) -> str:
    """A server's text made safe to show and store: without the API key, NUL or lone surrogates."""
    return storable(text.replace(secret, "***") if secret else text)


def error_message(body: Any) -> tuple[str, str | None]:
    """(message, code) from any error body shape; ``message`` may be empty."""
    if isinstance(body, dict):
        err = body.get("error", body if body.get("object") == "error" else None)
        if isinstance(err, dict):
            return str(err.get("message") or err.get("msg") or json.dumps(err)), (
                str(err["code"]) if err.get("code") is not None else None
            )
        if isinstance(err, str):
            return err, None
        if "message" in body:
            return str(body["message"]), None
        if "detail" in body:
            return str(body["detail"]), None
        return json.dumps(body)[:_MAX_DETAIL], None
    if isinstance(body, str):
        return body, None
    return "", None


def is_error_body(body: Any) -> bool:
    """Whether a decoded JSON answer or frame is an error rather than an answer."""
    return isinstance(body, dict) and bool(body.get("error") or body.get("object") == "error")


def _classify(message: str, code: str | None) -> type[errors.ProviderError] | None:
    text = message.lower()
    if "no models loaded" in text or "no model loaded" in text or code == "no_models_loaded":
        return errors.NoModelLoaded
    if code == "model_not_found" or "invalid model identifier" in text:
        return errors.ModelNotFound
    if "model" in text and ("not found" in text or "does not exist" in text):
        return errors.ModelNotFound
    if any(marker in text for marker in _MEMORY_MARKERS):  # "…memory for a context length of…"
        return errors.NotEnoughMemory
    if code in ("context_length_exceeded", "context_overflow") or any(
        marker in text for marker in _CONTEXT_MARKERS
    ):
        return errors.ContextOverflow
    if "has crashed" in text:
        return errors.ServerFailure
    return None


def _looks_like_json(response: httpx.Response) -> bool:
    return "json" in response.headers.get("content-type", "")


def from_response(response: httpx.Response, body_text: str, where: Where) -> errors.ProviderError:
    """The error for a non-2xx response whose body has been read as ``body_text``."""
    status = response.status_code
    try:
        body: Any = json.loads(body_text) if body_text else None
    except ValueError:
        body = body_text
    message, code = error_message(body)
    message = scrub(message.strip(), where.secret)[:_MAX_DETAIL]
    params: dict[str, Any] = {"status": status, "url": where.url, "model": where.model}
    if status in (401, 403):
        return errors.AuthenticationFailed(message, **params)
    if not _looks_like_json(response) and body_text.lstrip().startswith("<"):
        # An HTML error page (a web server or proxy, not an API): never show the page itself.
        return errors.WrongURL(f"HTTP {status} with an HTML page", **params)
    specific = _classify(message, code)
    if specific is errors.ContextOverflow:
        window, requested = context_limits(message)
        return errors.ContextOverflow(message, **params, context_length=window, requested=requested)
    if specific is not None:
        return specific(message, **params)
    if status == 404:
        # A 404 that does not speak of a model means the endpoint does not exist here (LM Studio's
        # "Unexpected endpoint", FastAPI's {"detail": "Not Found"} from llama-cpp-python or vLLM).
        lowered = message.lower()
        if (
            not _looks_like_json(response)
            or "unexpected endpoint" in lowered
            or "model" not in lowered
        ):
            return errors.WrongURL(message or f"HTTP 404 for {response.request.url.path}", **params)
        return errors.ModelNotFound(message, **params)
    if status == 408 or status == 504:
        return errors.ProviderTimeout(message or f"HTTP {status}", **params)
    if status >= 500:
        return errors.ServerFailure(message or f"HTTP {status}", **params)
    return errors.BadRequest(message or f"HTTP {status}", **params)


def from_stream_frame(frame: dict[str, Any], where: Where) -> errors.ProviderError:
    """The error for an ``{"error": …}`` frame that arrived inside a 200 stream (or 200 body)."""
    message, code = error_message(frame)
    message = scrub(message.strip(), where.secret)[:_MAX_DETAIL] or "unknown error"
    kind = _classify(message, code) or errors.StreamFailed
    params: dict[str, Any] = {"url": where.url, "model": where.model, "status": 200}
    if kind is errors.ContextOverflow:
        params["context_length"], params["requested"] = context_limits(message)
    return kind(message, **params)  # it came inside an HTTP 200


def _demo() -> bool:
    """Whether this process is ``make demo``'s app with its bundled engine (``CHARLA_DEMO``)."""
    try:
        return get_settings().demo
    except errors.ConfigError:  # the app shows that at start; here, say the usual thing
        return False


def unreachable(detail: str, where: Where) -> errors.ServerUnreachable:
    """Nothing answers at ``where.url``: the user's server is not running, or the demo's engine
    stopped."""
    return errors.ServerUnreachable(detail, url=where.url, model=where.model, demo=_demo())


def from_transport(exc: httpx.HTTPError, where: Where, *, started: bool) -> errors.ProviderError:
    """The error for an exception raised by httpx (no response, or a response cut short).

    ``started`` tells whether any byte of a streamed answer had arrived: a connection lost after
    that is an interrupted stream, before it the server could not be reached.
    """
    params: dict[str, Any] = {"url": where.url, "model": where.model}
    if isinstance(exc, httpx.ConnectTimeout):
        return unreachable(f"no answer to the connection within the time limit ({exc})", where)
    if isinstance(exc, httpx.TimeoutException):
        what = "waiting for the next token" if started else "waiting for the first token"
        return errors.ProviderTimeout(what, **params)
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
        return errors.WrongURL(str(exc), **params)
    if isinstance(exc, httpx.ConnectError):
        return unreachable(str(exc), where)
    if started or isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return errors.StreamInterrupted(str(exc) or type(exc).__name__, **params)
    return unreachable(str(exc) or type(exc).__name__, where)


def ended_early(where: Where, *, empty: bool) -> errors.ProviderError:
    """A stream that ended without ``[DONE]``: cut mid-answer, or closed before any text at all
    (how llama.cpp's server answers a prompt longer than its context)."""
    if empty:
        return empty_answer("the stream ended before any text", where)
    return errors.StreamInterrupted(
        "the stream ended without [DONE]", url=where.url, model=where.model
    )


def empty_answer(what: str, where: Where) -> errors.ProviderError:
    """A well-formed answer with no text in it."""
    return errors.EmptyAnswer(what, url=where.url, model=where.model)


def malformed_chunk(where: Where, *, json: bool = True) -> errors.ProviderError:
    """A stream chunk that is not JSON (``json=False``) or not a JSON object."""
    what = "the server sent a malformed chunk" + ("" if json else " (not JSON)")
    return errors.StreamFailed(what, url=where.url, model=where.model)


def not_an_answer(what: str, where: Where) -> errors.ProviderError:
    """A 200 whose body is no chat answer at all: something else listens at that URL."""
    return errors.WrongURL(what, url=where.url, model=where.model)
