"""Server-Sent Events in, answer events and statistics out: the one decoder both faces use.

Layers, each written once:

- :class:`ChunkDecoder`: one SSE ``data`` field → one chunk dict, or the end (``[DONE]``). Error frames
  (``{"error": …}`` inside an HTTP 200) raise, malformed chunks raise, and a body that ends without
  ``[DONE]`` raises when :meth:`ChunkDecoder.finish` is called. The seed's async stream and the app's
  :class:`ReplyStream` both use it.
- :class:`ChunkReader`: chunk dicts → ``(EventKind, text)`` events (reasoning kept apart, see
  :mod:`core.providers.reasoning`), noting the model, finish reason and usage the server reports.
- :class:`ReplyStream`: the app's streamed answer. The provider opens the HTTP response (retries
  happen there, before any byte of an answer) and hands it over; the stream only decodes, records
  its own timing and counts, and closes the response in ``finally`` — at the end, on an error, on
  ``close()``, ``break`` out of a ``with`` block or garbage collection. Closing the response is how
  a client tells LM Studio to stop generating. Nobody else writes its fields: what it measured is
  read as one frozen :class:`StreamStats` record, valid at any moment (partial while streaming).

Speed: the loop in :meth:`ReplyStream._run` runs once per token, so it stays flat (no generator
layers between the socket and the consumer), and :meth:`ChunkDecoder.decode` has a fast path for an
ordinary chunk: ``JSONDecoder.raw_decode`` (the C scanner without the two whitespace regexes that
``json.loads`` runs; an SSE data field has no surrounding whitespace) and two dict look-ups. Anything
unusual takes the careful path, which parses again: that is rare. ``bench/streaming.py`` measures it.

A server that answers a stream request with plain JSON (an error, or a whole completion) is read by
:func:`json_answer` instead, the same function that reads non-streamed completions.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

import httpx
from httpx_sse import EventSource

from core.providers import translate
from core.providers.reasoning import REASONING_FIELDS, Event, ThinkSplitter
from core.providers.translate import Where
from core.text import storable
from core.vocab import EventKind

_raw_decode = json.JSONDecoder().raw_decode
_decode = json.JSONDecoder().decode
_NO_EVENTS: Final[tuple[Event, ...]] = ()
_TEXT_FIELDS: Final = ("content", *REASONING_FIELDS)
_REASONING: Final = EventKind.REASONING


class ChunkDecoder:
    """SSE data fields → chunk dicts, for one stream."""

    __slots__ = ("done", "where")

    def __init__(self, where: Where) -> None:
        self.where = where
        self.done = False  # [DONE] arrived

    def decode(self, data: str) -> dict[str, Any] | None:
        """The chunk in one data field; ``None`` for ``[DONE]`` (then ``done`` is set) or an empty
        field. Raises :class:`core.errors.ProviderError` for an error frame or a malformed chunk."""
        try:
            chunk, end = _raw_decode(data)
        except ValueError:  # "[DONE]", or not JSON: the careful path says which
            return self._careful(data)
        if (
            end == len(data)
            and type(chunk) is dict
            and "error" not in chunk
            and chunk.get("object") != "error"
        ):
            return chunk
        return self._careful(data)

    def _careful(self, data: str) -> dict[str, Any] | None:
        if data == "[DONE]":
            self.done = True
            return None
        if not data.strip():
            return None
        try:
            chunk = _decode(data)  # tolerates surrounding whitespace, refuses trailing garbage
        except ValueError:
            raise translate.malformed_chunk(self.where, json=False) from None
        if translate.is_error_body(chunk):
            raise translate.from_stream_frame(chunk, self.where)
        if not isinstance(chunk, dict):
            raise translate.malformed_chunk(self.where)
        return chunk

    def finish(self, *, empty: bool) -> None:
        """The body ended: raise unless ``[DONE]`` came (``empty``: no text had arrived)."""
        if not self.done:
            raise translate.ended_early(self.where, empty=empty)


def is_event_stream(response: httpx.Response) -> bool:
    return "text/event-stream" in response.headers.get("content-type", "")


def make_storable(chunk: dict[str, Any]) -> dict[str, Any]:
    """``chunk`` (or a whole completion) with NUL and lone surrogates replaced in its texts, which no
    database can store; changed in place and returned."""
    choices = chunk.get("choices")
    for choice in choices if isinstance(choices, list) else ():
        for part in (
            (choice.get("delta"), choice.get("message")) if isinstance(choice, dict) else ()
        ):
            if isinstance(part, dict):
                for key in _TEXT_FIELDS:
                    if isinstance(part.get(key), str):
                        part[key] = storable(part[key])
    return chunk


def json_answer(text: str, where: Where) -> dict[str, Any]:
    """A JSON answer body (a non-streamed completion, or a server that answered a stream request
    with JSON): the completion, made storable. Raises for an error body or a body that is no chat
    answer at all."""
    try:
        body = json.loads(text)
    except ValueError:
        raise translate.not_an_answer("the answer is not JSON", where) from None
    if translate.is_error_body(body):
        raise translate.from_stream_frame(body, where)
    if not isinstance(body, dict) or "choices" not in body:
        raise translate.not_an_answer("the answer has no choices", where)
    return make_storable(body)


class ChunkReader:
    """Chunk dicts → ``(EventKind, text)`` events; notes what the server reported on the way."""

    __slots__ = ("_splitter", "deltas", "finish_reason", "model", "usage", "where")

    def __init__(self, where: Where) -> None:
        self.where = where
        self._splitter = ThinkSplitter()
        self.model: str | None = None
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] | None = None
        self.deltas = 0  # content/reasoning deltas: a token count when the server sends no usage

    def feed(self, chunk: dict[str, Any]) -> Sequence[Event]:
        try:  # free in CPython 3.11+ unless something raises
            if self.model is None and chunk.get("model"):
                self.model = str(chunk["model"])
            usage = chunk.get("usage")
            if usage:
                self.usage = dict(usage)
            choices = chunk.get("choices")
            if not choices:  # the usage chunk has choices: []
                return _NO_EVENTS
            choice = choices[0]
            finish = choice.get("finish_reason")
            if finish:
                self.finish_reason = str(finish)
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
                events: list[Event] = [(_REASONING, reasoning)]
                if content:
                    events.extend(self._splitter.feed(content))
                return events
            if content:
                self.deltas += 1
                return self._splitter.feed(content)
            return _NO_EVENTS
        except (AttributeError, LookupError, TypeError, ValueError) as exc:  # wrong shape
            raise translate.malformed_chunk(self.where) from exc

    def flush(self) -> list[Event]:
        """The end of the answer: text the reasoning splitter still held back."""
        return self._splitter.flush()


@dataclass(frozen=True, slots=True)
class StreamStats:
    """What one streamed answer measured and what its server reported, at one moment."""

    model: str | None  # what the server says it used, else the requested one
    finish_reason: str | None  # "stop", "length" … as the server said
    prompt_tokens: int | None  # from the server's usage report, else unknown
    completion_tokens: int | None  # from usage, else the content/reasoning deltas counted
    completion_counted: bool  # True when completion_tokens was counted, not reported
    time_to_first_token: float | None  # seconds from sending the request to the first text
    generation_seconds: float | None  # from the first text to the end (or to now, while running)
    tokens_per_second: float | None  # completion_tokens / generation_seconds


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


class ReplyStream:
    """A streamed answer: iterate it (once) for ``(EventKind, text)`` events.

    ``stats`` is a :class:`StreamStats` at any moment. ``close()`` (or leaving a ``with`` block, or
    dropping the stream) closes the HTTP response, so the server stops generating. Errors, whether
    raised by the provider before the stream exists or while iterating, are
    :class:`core.errors.ProviderError`.
    """

    __slots__ = (
        "_aborted",
        "_ended_at",
        "_events",
        "_first_at",
        "_reader",
        "_response",
        "_started_at",
        "_where",
    )

    def __init__(
        self, response: httpx.Response, where: Where, *, started_at: float | None = None
    ) -> None:
        """``response``: opened, body unread (the stream owns it from now on). ``started_at``: the
        ``time.perf_counter()`` when the request was first sent (default: now)."""
        self._response = response
        self._where = where
        self._reader = ChunkReader(where)
        self._started_at = time.perf_counter() if started_at is None else started_at
        self._first_at: float | None = None
        self._ended_at: float | None = None
        self._aborted = False
        self._events = self._run()

    def __iter__(self) -> Iterator[Event]:
        return self._events  # the generator itself: no extra call per event

    def __enter__(self) -> ReplyStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading and close the HTTP response (the server stops generating). Idempotent."""
        self._events.close()  # runs _run's finally if it had started
        if self._ended_at is None:  # never started: nothing ran that finally
            self._ended_at = time.perf_counter()
        self._response.close()

    def abort(self) -> None:
        """From any thread: end the answer now, even while the reading thread waits in the socket
        for the next token (or the first, while the model reads the prompt).

        Closing the response from another thread would not wake a read blocked in the socket;
        shutting the socket down does: the reader sees the connection end, and the server sees
        the client leave and stops generating. The reading thread then ends the stream with an
        error, which :attr:`aborted` lets it tell from a real failure.
        """
        self._aborted = True
        network = self._response.extensions.get("network_stream")
        sock = network.get_extra_info("socket") if network is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    @property
    def aborted(self) -> bool:
        """:meth:`abort` was called."""
        return self._aborted

    def __del__(self) -> None:
        # A stream dropped unread still holds an open response: give its connection back.
        if hasattr(self, "_events"):
            self.close()

    @property
    def stats(self) -> StreamStats:
        reader = self._reader
        usage = reader.usage or {}
        reported = _count(usage.get("completion_tokens"))
        counted = reader.deltas or None
        completion = reported or counted
        first = self._first_at
        generating = None
        if first is not None:
            generating = (time.perf_counter() if self._ended_at is None else self._ended_at) - first
        return StreamStats(
            model=reader.model or self._where.model or None,
            finish_reason=reader.finish_reason,
            prompt_tokens=_count(usage.get("prompt_tokens")),
            completion_tokens=completion,
            completion_counted=reported is None and counted is not None,
            time_to_first_token=None if first is None else first - self._started_at,
            generation_seconds=generating,
            tokens_per_second=completion / generating
            if completion and generating and generating > 0
            else None,
        )

    def _run(self) -> Generator[Event]:
        response, where, reader = self._response, self._where, self._reader
        try:
            if is_event_stream(response):
                decoder = ChunkDecoder(where)
                decode, feed = decoder.decode, reader.feed
                # The hot loop, once per token: kept flat on purpose (see the module docstring).
                for sse in EventSource(response).iter_sse():
                    chunk = decode(sse.data)
                    if chunk is None:
                        if decoder.done:
                            break
                        continue
                    events = feed(chunk)
                    if events:
                        if self._first_at is None:
                            self._first_at = time.perf_counter()
                        yield from events
                decoder.finish(empty=self._first_at is None)
            else:
                body = json_answer(response.read().decode("utf-8", "replace"), where)
                events = reader.feed(body)
                if events:
                    self._first_at = time.perf_counter()
                yield from events
            yield from reader.flush()
        except httpx.HTTPError as exc:
            raise translate.from_transport(exc, where, started=self._first_at is not None) from exc
        finally:
            self._ended_at = time.perf_counter()
            response.close()
