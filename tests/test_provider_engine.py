"""The provider against the real llama.cpp engine (``llama_cpp.server`` with SmolLM2-135M).

A server that Charla did not write: model listing with ids only, streaming and non-streamed chat
with the generation parameters, stopping a stream (the engine logs the disconnect), and the
engine's own answers to a prompt beyond its context and to a wrong URL.
Every request is short: temperature 0, a seed and a few tokens.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from core import errors
from core.providers.llm_studio_api import LMStudioAPIProvider
from core.vocab import EventKind
from devtools.servers import LlamaServer

pytestmark = pytest.mark.engine

M = [{"role": "user", "content": "What is the capital of France?"}]
FIXED = {"temperature": 0.0, "seed": 42, "max_tokens": 8}


@pytest.fixture
def provider(llama_server: LlamaServer) -> Iterator[LMStudioAPIProvider]:
    made = LMStudioAPIProvider(llama_server.url)
    yield made
    made.close()


def text_of(events: list[tuple[str, str]]) -> str:
    return "".join(text for kind, text in events if kind == EventKind.CONTENT)


def test_lists_its_model_with_ids_only(
    provider: LMStudioAPIProvider, llama_server: LlamaServer
) -> None:
    models = provider.list_models()
    assert [m.id for m in models] == list(llama_server.aliases)  # one engine, two names
    assert models[0].is_chat_model
    assert models[0].loaded is None  # the server does not say: nothing is made up
    status = provider.check_connection()
    assert status.ok and status.model == llama_server.model and status.error is None
    assert asyncio.run(provider.get_available_models())[0]["id"] == llama_server.model


def test_streams_an_answer(provider: LMStudioAPIProvider) -> None:
    stream = provider.stream_reply(M, system_message="Answer briefly.", **FIXED)
    events = list(stream)
    assert events and {kind for kind, _ in events} == {EventKind.CONTENT}
    assert text_of(events).strip()
    stats = stream.stats
    assert stats.finish_reason in ("length", "stop")
    assert stats.model  # what the engine says it used
    assert stats.time_to_first_token is not None and stats.time_to_first_token > 0
    assert stats.completion_tokens is not None and 1 <= stats.completion_tokens <= 8
    assert stats.tokens_per_second is not None and stats.tokens_per_second > 0
    # temperature 0 and a seed: the same answer again
    assert text_of(list(provider.stream_reply(M, system_message="Answer briefly.", **FIXED))) == (
        text_of(events)
    )


def test_context_length_nobody_says(
    provider: LMStudioAPIProvider, llama_server: LlamaServer
) -> None:
    """llama-cpp-python's server lists ids only and answers ``/props`` (llama.cpp's own
    llama-server has it) with 404 ``{"detail": "Not Found"}``: the context is unknown, and
    ``None`` says so instead of failing."""
    assert provider.context_length(llama_server.model) is None
    assert provider.context_length(llama_server.model) is None
    assert provider.check_connection().ok  # and the look-ups left the provider working


def test_non_streamed_answer_reports_usage(provider: LMStudioAPIProvider) -> None:
    body = provider.complete(M, **FIXED)
    assert body["choices"][0]["message"]["content"].strip()
    assert 1 <= body["usage"]["completion_tokens"] <= 8
    assert body["usage"]["prompt_tokens"] > 0
    seed_body = asyncio.run(provider.chat_completion(M, **FIXED))
    assert seed_body["choices"][0]["message"]["content"] == body["choices"][0]["message"]["content"]


def test_seed_async_stream_chunks(provider: LMStudioAPIProvider) -> None:
    async def collect() -> list[dict[str, object]]:
        return [chunk async for chunk in provider.chat_completion_stream(M, **FIXED)]

    chunks = asyncio.run(collect())
    text = "".join(
        c["choices"][0]["delta"].get("content") or ""  # type: ignore[index, union-attr]
        for c in chunks
        if c.get("choices")
    )
    assert text == text_of(list(provider.stream_reply(M, **FIXED)))


def test_max_tokens_and_stop_are_honoured(provider: LMStudioAPIProvider) -> None:
    stream = provider.stream_reply(
        [{"role": "user", "content": "Count: one, two, three, four, five, six"}],
        temperature=0.0,
        seed=1,
        max_tokens=3,
    )
    events = list(stream)
    assert 1 <= len(events) <= 3
    assert stream.stats.finish_reason == "length"


def test_closing_the_stream_disconnects_from_the_engine(
    provider: LMStudioAPIProvider, llama_server: LlamaServer
) -> None:
    assert llama_server.log_path is not None

    def disconnects() -> int:
        return llama_server.log_path.read_text(errors="replace").count("Disconnected from client")

    before = disconnects()
    stream = provider.stream_reply(
        [{"role": "user", "content": "Write a long story about a dragon."}],
        temperature=0.0,
        seed=3,
        max_tokens=400,
    )
    events = iter(stream)
    kinds = [kind for kind, _ in (next(events), next(events), next(events))]
    assert kinds == [EventKind.CONTENT] * 3
    stream.close()
    deadline = time.monotonic() + 30
    while disconnects() == before:  # the engine noticed and stopped generating
        assert time.monotonic() < deadline, llama_server.log_tail()
        time.sleep(0.05)
    # and it is free for the next request
    assert provider.complete(M, **FIXED)["choices"][0]["message"]["content"]


def test_prompt_beyond_the_context(provider: LMStudioAPIProvider) -> None:
    huge = [{"role": "user", "content": "lorem ipsum dolor sit amet " * 600}]  # > n_ctx 2048
    with pytest.raises(errors.ContextOverflow) as info:
        provider.complete(huge, max_tokens=8)
    assert "too long for the model's context" in str(info.value)
    # streamed, the engine answers 200 and closes without a byte
    with pytest.raises(errors.EmptyAnswer) as empty:
        list(provider.stream_reply(huge, max_tokens=8))
    assert "context" in str(empty.value)


@pytest.mark.parametrize("suffix", ["/api", "/v1/chat"])
def test_wrong_url_path(llama_server: LlamaServer, suffix: str) -> None:
    wrong = LMStudioAPIProvider(llama_server.url + suffix, max_retries=0)
    try:
        with pytest.raises(errors.WrongURL) as info:
            list(wrong.stream_reply(M, **FIXED))
        assert "LM_STUDIO_URL" in str(info.value)
        with pytest.raises(errors.WrongURL):
            asyncio.run(wrong.chat_completion(M, **FIXED))
        with pytest.raises(errors.WrongURL):
            wrong.list_models()
    finally:
        wrong.close()
