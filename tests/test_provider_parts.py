"""The provider's parts on their own, without a server process.

- the one SSE decoder both faces use: its fast path returns exactly what ``json.loads`` would, and
  every unusual data field takes the careful path (``[DONE]``, blanks, padding, garbage, error frames);
- the chunk reader refuses chunks of the wrong shape with ``StreamFailed``, not a ``TypeError``;
- the one retry policy drives the sync and the async send alike (``httpx.MockTransport``);
- ``ReplyStream`` statistics: the model falls back to the requested one, usage wins over counting;
- the process-wide provider: a real ``LMStudioAPIProvider``, importing reads no configuration, and
  threads racing on its first use share one connection.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import errors
from core.providers.connection import Connection, LazyConnection, connect
from core.providers.http import AsyncHTTP, RetryPolicy, SyncHTTP
from core.providers.llm_studio_api import LMStudioAPIProvider, get_provider, lm_studio_provider
from core.providers.stream import ChunkDecoder, ChunkReader
from core.providers.translate import Where
from core.vocab import EventKind
from devtools.servers import PROJECT_ROOT

WHERE = Where("http://127.0.0.1:1234", "some-model", "sk-secret")
M = [{"role": "user", "content": "Hi"}]


# --- the SSE decoder ---------------------------------------------------------------------------
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
CHUNKS = st.dictionaries(
    st.text(max_size=8).filter(lambda key: key not in ("error", "object")), JSON_VALUES, max_size=6
)


@settings(max_examples=300, deadline=None)
@given(chunk=CHUNKS, compact=st.booleans(), ascii_only=st.booleans())
def test_decoder_returns_what_json_loads_returns(
    chunk: dict[str, Any], compact: bool, ascii_only: bool
) -> None:
    data = json.dumps(chunk, separators=(",", ":") if compact else None, ensure_ascii=ascii_only)
    assert ChunkDecoder(WHERE).decode(data) == json.loads(data)


def test_decoder_careful_path() -> None:
    decoder = ChunkDecoder(WHERE)
    assert decoder.decode("") is None and not decoder.done  # an empty data field is skipped
    assert decoder.decode('  {"choices": []}  ') == {"choices": []}  # padding is tolerated
    assert decoder.decode('{"error": null, "choices": []}') == {"error": None, "choices": []}
    assert decoder.decode('{"object": "chat.completion.chunk"}') is not None
    assert decoder.decode("[DONE]") is None and decoder.done
    decoder.finish(empty=False)  # [DONE] came: nothing to say


@pytest.mark.parametrize(
    ("data", "kind", "phrase"),
    [
        ("{not json", errors.StreamFailed, "not JSON"),
        ('{"choices": []} trailing', errors.StreamFailed, "not JSON"),  # the fast path's blind spot
        ("[1, 2]", errors.StreamFailed, "malformed"),
        ('"just a string"', errors.StreamFailed, "malformed"),
        ('{"error": {"message": "Model unloaded"}}', errors.StreamFailed, "Model unloaded"),
        ('{"error": "No models loaded (sk-secret)"}', errors.NoModelLoaded, "***"),
        ('{"object": "error", "message": "context length exceeded"}', errors.ContextOverflow, ""),
    ],
)
def test_decoder_raises_for_what_is_no_chunk(
    data: str, kind: type[errors.ProviderError], phrase: str
) -> None:
    with pytest.raises(errors.ProviderError) as info:
        ChunkDecoder(WHERE).decode(data)
    assert type(info.value) is kind
    assert phrase in info.value.detail
    assert "sk-secret" not in str(info.value.params)


@pytest.mark.parametrize(
    ("empty", "kind"), [(True, errors.EmptyAnswer), (False, errors.StreamInterrupted)]
)
def test_decoder_finish_without_done(empty: bool, kind: type[errors.ProviderError]) -> None:
    decoder = ChunkDecoder(WHERE)
    decoder.decode('{"choices": []}')
    with pytest.raises(kind):
        decoder.finish(empty=empty)


@pytest.mark.parametrize(
    "chunk",
    [
        {"choices": ["not a choice"]},
        {"choices": [{"delta": {"content": 42}}]},
        {"choices": [{"delta": "text"}]},
        {"choices": {"0": {}}},
        {"usage": "lots", "choices": []},
    ],
)
def test_reader_refuses_chunks_of_the_wrong_shape(chunk: dict[str, Any]) -> None:
    with pytest.raises(errors.StreamFailed, match="malformed"):
        ChunkReader(WHERE).feed(chunk)


# --- one retry policy, two sends ----------------------------------------------------------------
NO_WAIT = RetryPolicy(max_retries=2, backoff=0.0)


def scripted(answer: Callable[[httpx.Request], httpx.Response]) -> tuple[list[int], Any]:
    """A handler that counts the requests it answers (works for both transports)."""
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return answer(request)

    return calls, handler


def refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.mark.parametrize(
    ("answer", "kind", "attempts"),
    [
        (lambda r: httpx.Response(503, json={"error": "busy"}), errors.ServerFailure, 3),
        (refuse, errors.ServerUnreachable, 3),
        (lambda r: httpx.Response(400, json={"error": "bad"}), errors.BadRequest, 1),
        (lambda r: httpx.Response(401, json={"error": "key"}), errors.AuthenticationFailed, 1),
    ],
    ids=["5xx", "refused", "4xx", "401"],
)
def test_sync_and_async_sends_share_the_retry_policy(
    answer: Callable[[httpx.Request], httpx.Response],
    kind: type[errors.ProviderError],
    attempts: int,
) -> None:
    sync_calls, sync_handler = scripted(answer)
    sync = SyncHTTP("http://server", retry=NO_WAIT, transport=httpx.MockTransport(sync_handler))
    with pytest.raises(kind):
        sync.open("POST", "/v1/chat/completions", WHERE, {})
    sync.close()

    async_calls, async_handler = scripted(answer)
    face = AsyncHTTP("http://server", retry=NO_WAIT, transport=httpx.MockTransport(async_handler))

    async def send() -> None:
        async with face.client() as client:
            await face.open(client, "POST", "/v1/chat/completions", WHERE, {})

    with pytest.raises(kind):
        asyncio.run(send())
    assert len(sync_calls) == len(async_calls) == attempts


def test_retry_policy() -> None:
    policy = RetryPolicy(max_retries=2, backoff=0.5)
    request = httpx.Request("GET", "http://server")
    assert policy.retriable(httpx.Response(502, request=request))
    assert not policy.retriable(httpx.Response(404, request=request))
    assert policy.retriable(httpx.ConnectError("refused", request=request))
    assert not policy.retriable(httpx.ReadTimeout("busy", request=request))  # may be working
    for attempt in range(3):
        delays = {policy.delay(attempt) for _ in range(50)}
        assert all(0.25 * 2**attempt <= d <= 0.75 * 2**attempt for d in delays)
        assert len(delays) > 1  # jitter


# --- ReplyStream statistics without a server ----------------------------------------------------
def sse(*frames: dict[str, Any] | str) -> httpx.Response:
    body = "".join(
        f"data: {f if isinstance(f, str) else json.dumps(f)}\n\n" for f in (*frames, "[DONE]")
    )
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, text=body)


def delta(text: str, **extra: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": {"content": text}, **extra}]}


def provider_answering(response: httpx.Response, model: str = "wanted") -> LMStudioAPIProvider:
    return LMStudioAPIProvider(
        "http://server", model, transport=httpx.MockTransport(lambda request: response)
    )


def test_stats_model_falls_back_to_the_requested_one() -> None:
    provider = provider_answering(sse(delta("Hi"), delta("!", finish_reason="stop")))
    with provider.stream_reply(M) as stream:
        assert list(stream) == [(EventKind.CONTENT, "Hi"), (EventKind.CONTENT, "!")]
    stats = stream.stats
    assert (stats.model, stats.finish_reason) == ("wanted", "stop")  # the chunks never said
    assert (stats.completion_tokens, stats.completion_counted, stats.prompt_tokens) == (
        2,
        True,
        None,
    )
    provider.close()


def test_stats_usage_wins_over_counting() -> None:
    usage = {"prompt_tokens": 7, "completion_tokens": 9, "total_tokens": 16}
    frames = (delta("Hi"), {"model": "served", "choices": [], "usage": usage})
    provider = provider_answering(sse(*frames))
    with provider.stream_reply(M) as stream:
        list(stream)
    stats = stream.stats
    assert (stats.model, stats.prompt_tokens, stats.completion_tokens) == ("served", 7, 9)
    assert stats.completion_counted is False
    provider.close()


def test_a_json_answer_to_a_stream_request_is_read_too() -> None:
    """A server that ignores ``stream: true`` and answers with one JSON completion."""
    body = {"model": "m", "choices": [{"message": {"content": "<think>r</think>a"}}]}
    provider = provider_answering(httpx.Response(200, json=body))
    with provider.stream_reply(M) as stream:
        assert list(stream) == [(EventKind.REASONING, "r"), (EventKind.CONTENT, "a")]
    assert stream.stats.time_to_first_token is not None
    provider.close()


# --- the process-wide provider ------------------------------------------------------------------
def test_lm_studio_provider_is_a_real_provider() -> None:
    assert type(lm_studio_provider) is LMStudioAPIProvider  # typed as one, and it is one
    assert get_provider() is lm_studio_provider


def test_importing_reads_no_configuration(tmp_path: Any) -> None:
    code = (
        "from core.providers.llm_studio_api import lm_studio_provider\n"
        "print('imported')\n"
        "lm_studio_provider.base_url\n"
    )
    env = {
        **os.environ,
        "LM_STUDIO_URL": "ftp://not-a-model-server",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.stdout == "imported\n"  # the bad URL did not matter at import time
    assert "ConfigError" in done.stderr and "LM_STUDIO_URL" in done.stderr  # the first use read it


def test_threads_racing_on_first_use_share_one_connection() -> None:
    built: list[Connection] = []

    def slow_recipe() -> Connection:
        time.sleep(0.05)  # widen the race
        built.append(connect("http://server"))
        return built[-1]

    lazy = LazyConnection(slow_recipe)
    start = threading.Barrier(8)
    seen: list[Connection] = []

    def use() -> None:
        start.wait()
        seen.append(lazy.get())

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(built) == 1 and len(seen) == 8 and all(c is built[0] for c in seen)
    lazy.reset()
    assert lazy.get() is not built[0]  # reset: the recipe is followed again
