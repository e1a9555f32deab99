"""A small, real-HTTP, scriptable fake of an OpenAI-compatible / LM Studio server.

Charla's fault tests need failures that a real inference engine cannot produce on demand: an error
frame inside an HTTP 200 stream, a connection cut mid-answer, a malformed SSE line, a stream that
stalls, an answer that never ends until the client hangs up, the error bodies that LM Studio sends.
This module serves them over real HTTP on 127.0.0.1, so the app's real HTTP client code runs
unchanged against it.

Design
------
* Stdlib only (``http.server.ThreadingHTTPServer``, ``json``, ``threading``), so it also runs as a
  standalone process for browser tests: ``python -m tests.fakes.fake_llm_server --port N``.
* One answer is described by a :class:`Reply`. Tests ``enqueue()`` replies; each
  ``POST /v1/chat/completions`` pops the oldest one (FIFO). When the queue is empty the server uses
  ``default_reply``, except for a few built-in model ids (``fake-no-model``, ``fake-slow``,
  ``fake-think``, ``fake-echo``) and unknown model ids (``model_not_found``), so a separately running fake can
  also be driven through the app's model setting alone. An enqueued reply always wins.
* Streaming answers (``"stream": true``) are Server-Sent Events written without chunked encoding and
  with ``Connection: close``: the body ends when the server closes the socket, as with LM Studio
  behind a plain client. Non-streaming answers carry a ``Content-Length`` and keep the connection
  alive (HTTP/1.1).
* Every wait inside a handler (``delay_first``, ``delay_between``, ``stall_after``) is a short-step
  loop on a ``threading.Event`` that ``stop()`` sets, and it also polls the socket so that a client
  that hangs up during a wait is noticed at once. A write that fails with ``BrokenPipeError`` /
  ``ConnectionResetError`` also counts as a client disconnect (``disconnects``). ``stop()``
  shuts down the accept loop and every open client socket, so it returns promptly even while a
  handler is stalled or repeating forever.
* Control endpoints under ``/__fake__/`` (enqueue, reset, requests, disconnects, default_reply)
  let another process script the fake. They are test machinery, not part of the emulated API, so
  they never require the API key.

Endpoints emulated: ``GET /v1/models`` (all flavors), ``GET /api/v0/models`` (flavors
``lmstudio-v0`` and ``lmstudio-v1``), ``GET /api/v1/models`` (flavor ``lmstudio-v1``),
``POST /v1/chat/completions``, ``GET /health``, and ``GET /props`` (llama.cpp's server settings)
only when the fake is given ``props``. Anything else answers LM Studio's 404
``{"error": "Unexpected endpoint or method. (GET /x)"}``. ``gets`` records the path of every GET
of the emulated API, so tests can tell what a client asked and how often.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import json
import select
import signal
import socket
import socketserver
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any

__all__ = ["DEFAULT_MODELS", "FLAVORS", "FakeLLMServer", "Reply"]

FLAVORS: tuple[str, ...] = ("lmstudio-v0", "lmstudio-v1", "openai")
REASONING_FIELDS: tuple[str, ...] = ("reasoning_content", "reasoning")

#: Models in LM Studio's ``/api/v0/models`` field names (the internal form used by this fake).
DEFAULT_MODELS: list[dict[str, Any]] = [
    {
        "id": "smollm2-135m-instruct",
        "type": "llm",
        "state": "loaded",
        "max_context_length": 8192,
        "quantization": "Q4_1",
        "publisher": "HuggingFaceTB",
        "arch": "llama",
    },
    {
        "id": "qwen3-8b",
        "type": "llm",
        "state": "not-loaded",
        "max_context_length": 32768,
        "quantization": "Q4_K_M",
        "publisher": "qwen",
        "arch": "qwen3",
    },
    {
        "id": "text-embedding-nomic-embed-text-v1.5",
        "type": "embeddings",
        "state": "not-loaded",
        "max_context_length": 2048,
        "quantization": "Q8_0",
        "publisher": "nomic-ai",
        "arch": "nomic-bert",
    },
]

_MODEL_FIELD_DEFAULTS: dict[str, Any] = {
    "type": "llm",
    "state": "loaded",
    "max_context_length": 4096,
    "quantization": "Q4_K_M",
    "publisher": "fake",
    "arch": "llama",
}

CHUNK_ID = "chatcmpl-fake"
NO_MODELS_LOADED = (
    "No models loaded. Please load a model in the developer page or use the 'lms load' command."
)
INVALID_API_KEY_BODY: dict[str, Any] = {
    "error": {
        "message": "Invalid API key",
        "type": "invalid_request_error",
        "code": "invalid_api_key",
    }
}
REPEAT_CAP = 100_000  # most content chunks a ``repeat_forever`` reply sends
STALL_SECONDS = 60.0  # how long ``stall_after`` hangs before giving up and closing
_POLL = 0.02  # step of every interruptible wait, in seconds


def _default_chunks() -> list[str]:
    return ["Hello", " from", " the", " fake", " server."]


@dataclass
class Reply:
    """One scripted answer to ``POST /v1/chat/completions``.

    Streaming order: reasoning deltas, content deltas (the very first delta also carries
    ``"role": "assistant"``), then one of: ``error_frame`` (and end), ``cut`` (and end),
    ``malformed`` (then ``[DONE]``), or the normal finish chunk, optional usage chunk and
    ``[DONE]`` (omitted with ``no_done``).

    Non-streaming: ``status``/``body`` and ``delay_first`` apply as for streams; ``error_frame``
    becomes a 200 response whose JSON body is that frame; ``malformed`` a 200 with body
    ``{not json``; ``cut`` sends the headers and half the body, then closes; ``stall_after`` hangs
    before answering; ``delay_between`` and ``repeat_forever`` are ignored.
    """

    chunks: list[str] = field(default_factory=_default_chunks)
    reasoning: list[str] = field(default_factory=list)
    reasoning_field: str = "reasoning_content"
    finish_reason: str = "stop"
    usage: dict[str, Any] | None = None
    model: str | None = None
    status: int = 200
    body: dict[str, Any] | str | None = None
    error_frame: dict[str, Any] | None = None
    cut: bool = False
    malformed: bool = False
    delay_first: float = 0.0
    delay_between: float = 0.0
    stall_after: int | None = None
    repeat_forever: bool = False
    no_done: bool = False

    def __post_init__(self) -> None:
        self.chunks = list(self.chunks)
        self.reasoning = list(self.reasoning)
        if self.reasoning_field not in REASONING_FIELDS:
            raise ValueError(f"reasoning_field must be one of {REASONING_FIELDS}")

    @classmethod
    def from_dict(cls, data: Any) -> Reply:
        """Build a reply from a JSON dict of field values (control endpoint); unknown keys fail."""
        if not isinstance(data, dict):
            raise ValueError("a reply must be a JSON object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown Reply fields: {sorted(unknown)}")
        return cls(**data)


TITLE_MARKER = "Conversation:\nUser: "  # how core/services/titles.py's prompt starts


def is_title_request(request: Any) -> bool:
    """A non-streamed request whose last message is Charla's title prompt."""
    if not isinstance(request, dict) or request.get("stream"):
        return False
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        return False
    content = messages[-1].get("content")
    return isinstance(content, str) and content.startswith(TITLE_MARKER)


class _Aborted(Exception):
    """The response cannot go on: the client left or the server is stopping."""


def _dumps(obj: Any) -> str:
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only a \\uXXXX escape can carry it, as real
        return json.dumps(obj, separators=(",", ":"))  # servers send it
    return text


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], fake: FakeLLMServer) -> None:
        self.fake = fake
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn); skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError) or self.fake._stopping.is_set():
            return
        super().handle_error(request, client_address)


class FakeLLMServer:
    """Scriptable fake OpenAI-compatible / LM Studio server on 127.0.0.1.

    The socket is bound in the constructor, so ``url`` is known before ``start()``.
    """

    def __init__(
        self,
        *,
        models: list[dict[str, Any]] | None = None,
        flavor: str = "lmstudio-v0",
        api_key: str | None = None,
        port: int = 0,
        props: dict[str, Any] | None = None,
    ) -> None:
        if flavor not in FLAVORS:
            raise ValueError(f"flavor must be one of {FLAVORS}, not {flavor!r}")
        source = DEFAULT_MODELS if models is None else models
        self.models: list[dict[str, Any]] = [
            {**_MODEL_FIELD_DEFAULTS, **copy.deepcopy(m)} for m in source
        ]
        self.flavor = flavor
        self.api_key = api_key
        self.props = props  # GET /props answers this (llama-server); None: 404 as LM Studio does
        self.default_reply: Reply = Reply()
        self.requests: list[dict[str, Any]] = []
        # Charla asks a model for a chat's title after the first answer, in the background. Those
        # requests are answered from a queue of their own and recorded apart, so a test's queued
        # answers and its look at ``requests[-1]`` are never disturbed by one.
        self.title_requests: list[dict[str, Any]] = []
        # By default a title request gets an empty answer, so a chat keeps its first words
        # (no test races a title it did not ask for); enqueue_title() scripts one.
        self.default_title: Reply = Reply(chunks=[""])
        self._title_queue: deque[Reply] = deque()
        self.gets: list[str] = []  # paths of the emulated API's GET requests, in order
        self.disconnects: int = 0
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._disconnected = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._httpd = _Server(("127.0.0.1", port), self)
        self.port: int = int(self._httpd.server_address[1])
        self.url: str = f"http://127.0.0.1:{self.port}"

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeLLMServer:
        """Serve in a daemon thread; returns self."""
        if self._stopped:
            raise RuntimeError("a stopped FakeLLMServer cannot be restarted; make a new one")
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fake-llm-server:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop every open connection; returns within about a second."""
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()  # only safe while serve_forever runs
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=1.0)

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- scripting ---------------------------------------------------------------------------

    def enqueue(self, *replies: Reply) -> None:
        """Queue replies for the next chat-completions calls, oldest first."""
        for reply in replies:
            if not isinstance(reply, Reply):
                raise TypeError(f"expected Reply, got {type(reply).__name__}")
        with self._lock:
            self._queue.extend(replies)

    def enqueue_title(self, *replies: Reply) -> None:
        """Queue replies for the next title requests (see :func:`is_title_request`)."""
        with self._lock:
            self._title_queue.extend(replies)

    def reset(self) -> None:
        """Clear the reply queues, the recorded requests and the disconnect count."""
        with self._lock:
            self._queue.clear()
            self._title_queue.clear()
            self.title_requests.clear()
            self.requests.clear()
            self.gets.clear()
            self.disconnects = 0

    def wait_for_disconnect(self, timeout: float = 5.0, *, count: int = 1) -> bool:
        """Wait until at least ``count`` client disconnects have been counted."""
        with self._disconnected:
            return self._disconnected.wait_for(lambda: self.disconnects >= count, timeout)

    # -- internals used by the handler -------------------------------------------------------

    def _pop_reply(self) -> Reply | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def _pop_title(self) -> Reply:
        with self._lock:
            return self._title_queue.popleft() if self._title_queue else self.default_title

    def _count_disconnect(self) -> None:
        with self._disconnected:
            self.disconnects += 1
            self._disconnected.notify_all()

    def _model_ids(self) -> list[str]:
        return [str(m["id"]) for m in self.models]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeLLM/1.0"
    sys_version = ""
    server: _Server

    # -- plumbing ----------------------------------------------------------------------------

    @property
    def fake(self) -> FakeLLMServer:
        return self.server.fake

    def setup(self) -> None:
        super().setup()
        with self.fake._lock:
            self.fake._connections.add(self.connection)
        if self.fake._stopping.is_set():
            self.close_connection = True

    def finish(self) -> None:
        with self.fake._lock:
            self.fake._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _path(self) -> str:
        return self.path.split("?", 1)[0]

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline(65537)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _peer_closed(self) -> bool:
        """True if the client has closed its side (EOF or reset is readable on the socket)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return bool(self.connection.recv(1, socket.MSG_PEEK) == b"")
        except (OSError, ValueError):
            return True

    def _pause(self, seconds: float) -> None:
        """Sleep ``seconds`` in short steps; abort on stop or when the client hangs up."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self.fake._stopping.wait(min(remaining, _POLL)):
                raise _Aborted
            if self._peer_closed():
                self.fake._count_disconnect()
                raise _Aborted

    def _write(self, data: bytes) -> None:
        if self.fake._stopping.is_set():
            raise _Aborted
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError) as exc:
            if not self.fake._stopping.is_set():
                self.fake._count_disconnect()
            raise _Aborted from exc
        except OSError as exc:
            raise _Aborted from exc

    def _end_headers(self) -> None:
        try:
            self.end_headers()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError) as exc:
            if not self.fake._stopping.is_set():
                self.fake._count_disconnect()
            raise _Aborted from exc
        except OSError as exc:
            raise _Aborted from exc

    def _send(self, status: int, body: Any, content_type: str | None = None) -> None:
        """Send a complete response with Content-Length (JSON unless body is a str)."""
        if isinstance(body, str):
            payload = body.encode("utf-8")
            if content_type is None:
                looks_html = body.lstrip().startswith("<")
                content_type = "text/html; charset=utf-8" if looks_html else "text/plain"
        else:
            payload = _dumps(body).encode("utf-8")
            content_type = content_type or "application/json; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self._end_headers()
        self._write(payload)

    def _not_found(self) -> None:
        self._send(
            404, {"error": f"Unexpected endpoint or method. ({self.command} {self._path()})"}
        )

    def _authorized(self) -> bool:
        key = self.fake.api_key
        if key is None:
            return True
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and token.strip() == key

    def _run(self, action: Callable[[], None]) -> None:
        try:
            action()
        except _Aborted:
            self.close_connection = True

    # -- dispatch ----------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._run(self._get)

    def do_POST(self) -> None:
        self._run(self._post)

    def do_PUT(self) -> None:
        self._run(self._other)

    def do_DELETE(self) -> None:
        self._run(self._other)

    def do_PATCH(self) -> None:
        self._run(self._other)

    def do_OPTIONS(self) -> None:
        self._run(self._other)

    def _other(self) -> None:
        self._read_body()
        if not self._authorized():
            self._send(401, INVALID_API_KEY_BODY)
        else:
            self._not_found()

    def _get(self) -> None:
        path = self._path().rstrip("/") or "/"
        if path.startswith("/__fake__/"):
            self._control_get(path)
            return
        self.fake.gets.append(path)
        if not self._authorized():
            self._send(401, INVALID_API_KEY_BODY)
            return
        flavor = self.fake.flavor
        if path == "/health":
            self._send(200, {"status": "ok"})
        elif path == "/props" and self.fake.props is not None:
            self._send(200, self.fake.props)
        elif path == "/v1/models":
            self._send(200, self._openai_models())
        elif path == "/api/v0/models":
            if flavor == "openai":
                self._send(404, {"error": "Not found"})
            else:
                self._send(200, self._v0_models())
        elif path == "/api/v1/models":
            if flavor == "openai":
                self._send(404, {"error": "Not found"})
            elif flavor == "lmstudio-v1":
                self._send(200, self._v1_models())
            else:
                self._not_found()
        else:
            self._not_found()

    def _post(self) -> None:
        raw = self._read_body()
        path = self._path().rstrip("/") or "/"
        if path.startswith("/__fake__/"):
            self._control_post(path, raw)
            return
        if path != "/v1/chat/completions":
            if not self._authorized():
                self._send(401, INVALID_API_KEY_BODY)
            else:
                self._not_found()
            return
        request: Any
        try:
            request = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            request = None
        record = {
            "path": self._path(),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "json": request,
        }
        if is_title_request(request):
            self.fake.title_requests.append(record)
            if self._authorized():
                model = request.get("model")
                self._answer(
                    request, self.fake._pop_title(), model if isinstance(model, str) else None
                )
            else:
                self._send(401, INVALID_API_KEY_BODY)
            return
        self.fake.requests.append(record)
        if not self._authorized():
            self._send(401, INVALID_API_KEY_BODY)
            return
        if not isinstance(request, dict):
            self._send(400, {"error": {"message": "Invalid JSON"}})
            return
        self._chat(request)

    # -- model listings ----------------------------------------------------------------------

    def _openai_models(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {"id": m["id"], "object": "model", "owned_by": "organization_owner"}
                for m in self.fake.models
            ],
        }

    def _v0_models(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {
                    "id": m["id"],
                    "object": "model",
                    "type": m["type"],
                    "publisher": m["publisher"],
                    "arch": m["arch"],
                    "compatibility_type": "gguf",
                    "quantization": m["quantization"],
                    "state": m["state"],
                    "max_context_length": m["max_context_length"],
                }
                for m in self.fake.models
            ],
        }

    def _v1_models(self) -> dict[str, Any]:
        models = []
        for m in self.fake.models:
            loaded = m["state"] == "loaded"
            models.append(
                {
                    "key": m["id"],
                    "type": "embedding" if m["type"] in ("embedding", "embeddings") else "llm",
                    "capabilities": {"vision": m["type"] == "vlm"},
                    "display_name": m["id"],
                    "publisher": m["publisher"],
                    "architecture": m["arch"],
                    "quantization": {"name": m["quantization"]},
                    "max_context_length": m["max_context_length"],
                    "loaded_instances": (
                        [{"id": m["id"], "config": {"context_length": 4096}}] if loaded else []
                    ),
                }
            )
        return {"models": models}

    # -- control endpoints -------------------------------------------------------------------

    def _control_get(self, path: str) -> None:
        if path == "/__fake__/requests":
            self._send(200, list(self.fake.requests))
        elif path == "/__fake__/disconnects":
            self._send(200, {"disconnects": self.fake.disconnects})
        else:
            self._not_found()

    def _control_post(self, path: str, raw: bytes) -> None:
        if path == "/__fake__/reset":
            self.fake.reset()
            self._send(200, {"ok": True})
            return
        if path not in ("/__fake__/enqueue", "/__fake__/default_reply"):
            self._not_found()
            return
        try:
            data = json.loads(raw.decode("utf-8")) if raw else None
            if path == "/__fake__/default_reply":
                self.fake.default_reply = Reply.from_dict(data)
                self._send(200, {"ok": True})
                return
            items = data if isinstance(data, list) else [data]
            replies = [Reply.from_dict(item) for item in items]
        except (UnicodeDecodeError, ValueError, TypeError) as exc:
            self._send(400, {"error": {"message": f"Bad reply: {exc}"}})
            return
        self.fake.enqueue(*replies)
        self._send(200, {"ok": True, "enqueued": len(replies)})

    # -- chat completions --------------------------------------------------------------------

    def _chat(self, request: dict[str, Any]) -> None:
        requested = request.get("model")
        model_id = requested if isinstance(requested, str) and requested else None
        reply = self.fake._pop_reply()
        if reply is None:
            if model_id == "fake-no-model":
                self._send(400, {"error": NO_MODELS_LOADED})
                return
            if model_id == "fake-slow":
                reply = Reply(chunks=["tick "], delay_between=0.05, repeat_forever=True)
            elif model_id == "fake-echo":
                # Answers with the last user message, so concurrent tests can tell replies apart.
                last = next(
                    (
                        m.get("content", "")
                        for m in reversed(request.get("messages") or [])
                        if isinstance(m, dict) and m.get("role") == "user"
                    ),
                    "",
                )
                reply = Reply(
                    chunks=["echo: ", *[w + " " for w in str(last).split()]], delay_between=0.002
                )
            elif model_id == "fake-think":
                reply = Reply(
                    chunks=["<think>", "Let me think", "</think>", "The answer", " is 42."]
                )
            elif (
                model_id is not None
                and not model_id.startswith("fake-")
                and model_id not in self.fake._model_ids()
            ):
                message = (
                    f'Invalid model identifier "{model_id}". '
                    "Please specify a valid downloaded model."
                )
                self._send(
                    400,
                    {
                        "error": {
                            "message": message,
                            "type": "invalid_request_error",
                            "param": "model",
                            "code": "model_not_found",
                        }
                    },
                )
                return
            else:
                reply = self.fake.default_reply
        self._answer(request, reply, model_id)

    def _answer(self, request: dict[str, Any], reply: Reply, model_id: str | None) -> None:
        ids = self.fake._model_ids()
        model = reply.model or model_id or (ids[0] if ids else "fake-model")

        if reply.delay_first > 0:
            self._pause(reply.delay_first)
        if reply.status != 200:
            body = reply.body
            if body is None:
                body = {"error": {"message": f"Fake error with status {reply.status}"}}
            self._send(reply.status, body)
            return
        if request.get("stream"):
            options = request.get("stream_options")
            include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
            self._stream(reply, model, include_usage)
        else:
            self._complete(reply, model)

    def _stall(self) -> None:
        """Hang without closing (a read-timeout test), then give up and close."""
        self._pause(STALL_SECONDS)
        raise _Aborted

    def _complete(self, reply: Reply, model: str) -> None:
        if reply.stall_after is not None:
            self._stall()
        if reply.error_frame is not None:
            self._send(200, reply.error_frame)
            return
        if reply.malformed:
            self._send(200, "{not json", content_type="application/json")
            return
        message: dict[str, Any] = {"role": "assistant", "content": "".join(reply.chunks)}
        if reply.reasoning:
            message[reply.reasoning_field] = "".join(reply.reasoning)
        body: dict[str, Any] = {
            "id": CHUNK_ID,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
        }
        if reply.usage is not None:
            body["usage"] = reply.usage
        if reply.cut:
            payload = _dumps(body).encode("utf-8")
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self._end_headers()
            self._write(payload[: len(payload) // 2])
            self._hang_up()
            return
        self._send(200, body)

    def _hang_up(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _stream(self, reply: Reply, model: str, include_usage: bool) -> None:
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self._end_headers()

        created = int(time.time())

        def event(data: str) -> None:
            self._write(f"data: {data}\n\n".encode())

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> None:
            event(
                _dumps(
                    {
                        "id": CHUNK_ID,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
                    }
                )
            )

        sent = 0  # deltas sent (reasoning and content), for stall_after

        def delta(key: str, text: str) -> None:
            nonlocal sent
            if reply.stall_after is not None and sent >= reply.stall_after:
                self._stall()
            if sent > 0 and reply.delay_between > 0:
                self._pause(reply.delay_between)
            body: dict[str, Any] = {"role": "assistant"} if sent == 0 else {}
            body[key] = text
            chunk(body)
            sent += 1

        for text in reply.reasoning:
            delta(reply.reasoning_field, text)
        if reply.repeat_forever and reply.chunks:
            for i in range(REPEAT_CAP):
                delta("content", reply.chunks[i % len(reply.chunks)])
        else:
            for text in reply.chunks:
                delta("content", text)
        if reply.stall_after is not None and sent >= reply.stall_after:
            self._stall()

        if reply.error_frame is not None:
            event(_dumps(reply.error_frame))
            self._hang_up()
            return
        if reply.cut:
            self._hang_up()
            return
        if reply.malformed:
            event("{not json")
            event("[DONE]")
            return
        chunk({}, reply.finish_reason)
        if include_usage and reply.usage is not None:
            event(
                _dumps(
                    {
                        "id": CHUNK_ID,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": model,
                        "choices": [],
                        "usage": reply.usage,
                    }
                )
            )
        if not reply.no_done:
            event("[DONE]")


def main(argv: list[str] | None = None) -> int:
    """Run the fake in the foreground until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description="Scriptable fake OpenAI-compatible LLM server.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--flavor", choices=FLAVORS, default="lmstudio-v0")
    parser.add_argument("--api-key", default=None, help="require 'Authorization: Bearer KEY'")
    args = parser.parse_args(argv)

    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server = FakeLLMServer(port=args.port, flavor=args.flavor, api_key=args.api_key).start()
    print(f"fake llm server on {server.url}", flush=True)
    try:
        while not done.wait(0.2):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
