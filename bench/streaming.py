"""Benchmark 1: streaming pipeline overhead.

A loopback server replays one pre-built stream of N chunks (20,000; 2,000 with --quick) as fast as
the socket takes it, so what is measured is the client side alone:

(a) the floor: ``httpx`` + ``httpx-sse`` + ``json.loads`` per chunk, nothing else;
(b) the peer: the official ``openai`` SDK streaming the same endpoint;
(c) Charla's provider stream (``stream_reply``: decoding, reasoning separation, statistics);
(d) Charla's chat service stream (``ChatService.send``: c + storing the user's message and the
    answer, with progressive saving to SQLite).

Every contender runs in alternation, several rounds; the medians are compared. Time to first chunk
is reported for (c) and (d) as the difference from (a), measured in the same rounds; and again,
paired: many rounds of short answers (200 chunks), each first chunk taken against the floor's of
the same round, the median of those differences — the few long rounds' medians move by
milliseconds when other work shares the machine, the paired figure by a fraction of one.
"""

from __future__ import annotations

import json
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import Engine

from bench.common import Metric, interleaved, median, stream_direct

SERVICE = "(d) Charla chat service + SQLite"  # the metric with_and_without() reads
MESSAGES = [{"role": "user", "content": "Count to a big number, please."}]
SHORT_CHUNKS = 200  # the answers of the paired time-to-first-chunk rounds
MODELS_JSON = json.dumps({"object": "list", "data": [{"id": "bench", "object": "model"}]}).encode()


def _token(i: int) -> str:
    return " tok" if i == 0 else f" t{i % 10}"


def build_stream(chunks: int, token: Callable[[int], str] = _token) -> bytes:
    """The SSE body of an answer of ``chunks`` content deltas, as LM Studio sends it; ``token(i)``
    is the text of the ``i``-th."""
    frames = []
    for i in range(chunks):
        delta: dict[str, str] = {"content": token(i)}
        if i == 0:
            delta = {"role": "assistant", **delta}
        chunk = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 1764000000,
            "model": "bench",
            "system_fingerprint": "bench",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}],
        }
        frames.append(b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n")
    final = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1764000000,
        "model": "bench",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    }
    usage = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1764000000,
        "model": "bench",
        "choices": [],
        "usage": {"prompt_tokens": 12, "completion_tokens": chunks, "total_tokens": chunks + 12},
    }
    frames.append(b"data: " + json.dumps(final).encode() + b"\n\n")
    frames.append(b"data: " + json.dumps(usage).encode() + b"\n\n")
    frames.append(b"data: [DONE]\n\n")
    return b"".join(frames)


class ReplayServer:
    """Answers every POST with the same pre-built event stream, and GETs with a model list.

    ``body`` and ``pace`` may be changed between requests. ``pace`` > 0 sends the stream one event
    at a time, ``pace`` seconds apart (a slow model), instead of all at once.
    """

    def __init__(self, body: bytes, *, pace: float = 0.0) -> None:
        self.body = body
        self.pace = pace
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                part = conn.recv(65536)
                if not part:
                    return
                data += part
            head, _, rest = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(rest) < length:
                rest += conn.recv(65536)
            if head.startswith(b"GET"):
                found = head.split(b" ")[1] == b"/v1/models"
                body = MODELS_JSON if found else b'{"error":"not found"}'
                status = b"200 OK" if found else b"404 Not Found"
                conn.sendall(
                    b"HTTP/1.1 "
                    + status
                    + b"\r\nContent-Type: application/json\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\nConnection: close\r\n\r\n"
                    + body
                )
                return
            response_head = (
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                b"Connection: close\r\n\r\n"
            )
            body, pace = self.body, self.pace
            if pace <= 0:
                conn.sendall(response_head + body)
                return
            conn.sendall(response_head)
            try:
                for event in body.split(b"\n\n")[:-1]:
                    time.sleep(pace)
                    conn.sendall(event + b"\n\n")
            except OSError:  # the client hung up (a Stop, a closed page): stop sending
                return


def _measure(
    first_and_total: Callable[[], tuple[float, float, int]], ttfc: list[float], expected: int
) -> Callable[[], float]:
    def run() -> float:
        first, total, count = first_and_total()
        if count < expected:
            raise RuntimeError(f"got {count} chunks, expected {expected}")
        ttfc.append(first)
        return count / total

    return run


def run(quick: bool = False) -> list[Metric]:
    from openai import OpenAI

    from core.conf import db as conf_db
    from core.providers.llm_studio_api import LMStudioAPIProvider
    from core.services.chat import ChatService
    from core.services.chats import new_chat
    from core.vocab import EventKind

    chunks = 2_000 if quick else 20_000
    rounds = 3 if quick else 7
    paired_rounds = 50 if quick else 200
    body = build_stream(chunks)
    ttfc: dict[str, list[float]] = {k: [] for k in ("floor", "openai", "provider", "service")}
    with ReplayServer(body) as server, tempfile.TemporaryDirectory() as tmp:
        conf_db.configure(f"sqlite:///{Path(tmp) / 'bench.db'}")
        conf_db.init_db()
        client = httpx.Client(base_url=server.url, timeout=60)
        sdk = OpenAI(base_url=server.url + "/v1", api_key="bench", max_retries=0)
        provider = LMStudioAPIProvider(server.url, "bench")
        service = ChatService(provider)
        payload = {"model": "bench", "messages": MESSAGES, "stream": True}

        def floor() -> tuple[float, float, int]:
            start, first, end, count = stream_direct(client, payload)
            return first - start, end - start, count

        def openai_sdk() -> tuple[float, float, int]:
            start = time.perf_counter()
            first, count = 0.0, 0
            for chunk in sdk.chat.completions.create(model="bench", messages=MESSAGES, stream=True):  # type: ignore[arg-type]
                if chunk.choices and chunk.choices[0].delta.content:
                    if not count:
                        first = time.perf_counter() - start
                    count += 1
            return first, time.perf_counter() - start, count

        def charla_provider() -> tuple[float, float, int]:
            start = time.perf_counter()
            first, count = 0.0, 0
            with provider.stream_reply(MESSAGES, model="bench") as stream:
                for kind, _text in stream:
                    if kind == EventKind.CONTENT:
                        if not count:
                            first = time.perf_counter() - start
                        count += 1
            return first, time.perf_counter() - start, count

        def charla_service() -> tuple[float, float, int]:
            chat_id = new_chat("bench")
            start = time.perf_counter()
            first, count = 0.0, 0
            with service.send(chat_id, MESSAGES[0]["content"]) as reply:
                for _text in reply:
                    if not count:
                        first = time.perf_counter() - start
                    count += 1
            if reply.status != "complete":
                raise RuntimeError(f"service answer ended as {reply.status}: {reply.error}")
            return first, time.perf_counter() - start, count

        runs = {
            "floor": _measure(floor, ttfc["floor"], chunks),
            "openai": _measure(openai_sdk, ttfc["openai"], chunks),
            "provider": _measure(charla_provider, ttfc["provider"], chunks),
            "service": _measure(charla_service, ttfc["service"], chunks),
        }
        for fn in runs.values():  # warm-up: imports, connection pools, SQLite pages
            fn()
        for values in ttfc.values():
            values.clear()
        rates = interleaved(runs, rounds)
        server.body = build_stream(SHORT_CHUNKS)
        paired: dict[str, list[float]] = {"provider": [], "service": []}
        contenders = {"floor": floor, "provider": charla_provider, "service": charla_service}
        for number in range(paired_rounds):
            order = list(contenders.items())[:: 1 if number % 2 else -1]  # each goes first too
            first = {name: run_one()[0] for name, run_one in order}
            for name, values in paired.items():
                values.append(first[name] - first["floor"])
        client.close()
        sdk.close()
        provider.close()
        conf_db.reset()

    floor_rate = median(rates["floor"])
    group = f"1 streaming ({chunks:,} chunks)"
    floor_ttfc = median(ttfc["floor"]) * 1000
    return [
        Metric(group, "(a) floor httpx+httpx-sse+json", floor_rate, "chunks/s"),
        Metric(group, "(b) openai SDK", median(rates["openai"]), "chunks/s", floor_rate, "floor"),
        Metric(
            group,
            "(c) Charla provider",
            median(rates["provider"]),
            "chunks/s",
            floor_rate,
            "floor",
            ">= 0.9",
        ),
        Metric(
            group,
            "(c) Charla provider vs openai SDK",
            median(rates["provider"]),
            "chunks/s",
            median(rates["openai"]),
            "openai",
            ">= 1.0",
        ),
        Metric(
            group,
            SERVICE,
            median(rates["service"]),
            "chunks/s",
            floor_rate,
            "floor",
            ">= 0.8",
        ),
        Metric(group, "time to first chunk (a)", floor_ttfc, "ms"),
        Metric(
            group,
            "time to first chunk (c) − (a)",
            median(ttfc["provider"]) * 1000 - floor_ttfc,
            "ms",
            target="< 2",
        ),
        Metric(
            group,
            "time to first chunk (d) − (a)",
            median(ttfc["service"]) * 1000 - floor_ttfc,
            "ms",
            target="< 2",
        ),
        Metric(
            group,
            f"time to first chunk (c) − (a), paired ({paired_rounds} short answers)",
            median(paired["provider"]) * 1000,
            "ms",
            target="< 2",
        ),
        Metric(
            group,
            f"time to first chunk (d) − (a), paired ({paired_rounds} short answers)",
            median(paired["service"]) * 1000,
            "ms",
            target="< 2",
        ),
    ]


def with_and_without(
    switch_off: Callable[[Engine], None], quick: bool, rounds: int = 2
) -> tuple[float, float]:
    """The chat service's ratio to the floor (d) on the database as migrated, and with
    ``switch_off(engine)`` applied after each migration (an index, triggers): medians of
    ``rounds`` alternating runs of this suite, so what was switched off shows apart from noise."""
    from core.conf import db as conf_db

    migrate = conf_db.init_db

    def switched(engine: Engine | None = None) -> None:
        migrate(engine)
        switch_off(conf_db.get_engine())

    ratios: dict[bool, list[float]] = {True: [], False: []}
    try:
        for _ in range(rounds):
            for on in (True, False):
                conf_db.init_db = migrate if on else switched
                found = {m.name: m for m in run(quick=quick)}
                ratios[on].append(found[SERVICE].ratio or 0.0)
    finally:
        conf_db.init_db = migrate
    return median(ratios[True]), median(ratios[False])
