"""The provider against the project's fake OpenAI/LM Studio server (real HTTP on loopback).

Issue 2, section 4: model listings of the three server flavors, every failure a user can meet
translated into its ``core.errors`` class with a message that says what to do, retries (only before
any byte of an answer), usage chunks with ``choices: []``, reasoning in its three shapes, closing a
stream closes the HTTP response, and the API key never shows up in an error.

Every error is checked through the app's sync stream (``stream_reply``), the sync non-streamed call
(``complete``) and the seed's async API (``chat_completion``, ``chat_completion_stream``), unless the
failure only exists in a stream. Also: a stream's statistics, context lengths (model lists and
llama.cpp's ``/props``), and ``simple_completion`` without the model's reasoning.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import gc
import http.server
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core import errors
from core.conf.settings import reset_settings
from core.providers.llm_studio_api import (
    LMStudioAPIProvider,
    Timeouts,
    get_provider,
    lm_studio_provider,
    reset_provider,
)
from core.providers.reasoning import split_message
from core.vocab import EventKind
from tests.fakes.fake_llm_server import FakeLLMServer, Reply

MODEL = "smollm2-135m-instruct"  # the fake's loaded model
M = [{"role": "user", "content": "Hola, ¿cómo estás?"}]
KEY = "sk-lm-Qw3rty-SECRET-9876"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")

Face = Callable[..., Any]


def via_stream(provider: LMStudioAPIProvider, **kw: Any) -> list[tuple[str, str]]:
    return list(provider.stream_reply(M, **kw))


def via_complete(provider: LMStudioAPIProvider, **kw: Any) -> dict[str, Any]:
    return provider.complete(M, **kw)


def via_async(provider: LMStudioAPIProvider, **kw: Any) -> dict[str, Any]:
    return asyncio.run(provider.chat_completion(M, **kw))


def via_async_stream(provider: LMStudioAPIProvider, **kw: Any) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        return [chunk async for chunk in provider.chat_completion_stream(M, **kw)]

    return asyncio.run(run())


FACES = [via_stream, via_complete, via_async, via_async_stream]
STREAM_FACES = [via_stream, via_async_stream]


def answer_text(result: Any) -> str:
    """The answer's text, whatever face produced ``result``."""
    if isinstance(result, dict):
        return str(result["choices"][0]["message"]["content"])
    if result and isinstance(result[0], dict):
        return "".join(
            c["choices"][0]["delta"].get("content") or "" for c in result if c.get("choices")
        )
    return "".join(text for kind, text in result if kind == EventKind.CONTENT)


def split(events: list[tuple[str, str]]) -> tuple[str, str]:
    """(answer, reasoning) as a consumer of ``stream_reply`` events builds them."""
    content: list[str] = []
    reasoning: list[str] = []
    for kind, text in events:
        if kind == EventKind.CONTENT:
            content.append(text)
        elif kind == EventKind.REASONING:
            reasoning.append(text)
        elif kind == EventKind.RECLASSIFY:
            reasoning.extend(content)
            content.clear()
    return "".join(content), "".join(reasoning)


def fails(
    face: Face,
    provider: LMStudioAPIProvider,
    kind: type[errors.ProviderError],
    *phrases: str,
    **kw: Any,
) -> errors.ProviderError:
    """Run ``face`` and check it raised ``kind`` with a complete message holding ``phrases``."""
    with pytest.raises(errors.ProviderError) as info:
        face(provider, **kw)
    error = info.value
    assert type(error) is kind, f"{type(error).__name__}: {error}"
    english, spanish = str(error), error.user_message("es")
    assert english == error.user_message("en")
    for message in (english, spanish):
        assert not PLACEHOLDER.search(message), f"unfilled placeholder in: {message}"
        assert "<html" not in message.lower()
    for phrase in phrases:
        assert phrase in english, f"{phrase!r} not in: {english}"
    assert spanish != english  # the user can read it in Spanish too
    return error


@pytest.fixture
def provider(fake_server: FakeLLMServer) -> Iterator[LMStudioAPIProvider]:
    made = LMStudioAPIProvider(fake_server.url, model=MODEL, timeouts=Timeouts(connect=5, read=30))
    yield made
    made.close()


@pytest.fixture
def impatient(fake_server: FakeLLMServer) -> Iterator[LMStudioAPIProvider]:
    """A provider whose read timeout is short (the fake's delays are far longer)."""
    made = LMStudioAPIProvider(fake_server.url, model=MODEL, timeouts=Timeouts(connect=5, read=0.3))
    yield made
    made.close()


@pytest.fixture
def plain_http_server(tmp_path: Path) -> Iterator[str]:
    """Python's http.server serving an empty directory: a web server, not a model server."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path))
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


# --- model listings ---------------------------------------------------------------------------
@pytest.mark.parametrize("fake_server", [{"flavor": "lmstudio-v0"}], indirect=True)
def test_models_lmstudio_v0(provider: LMStudioAPIProvider) -> None:
    models = {m.id: m for m in provider.list_models()}
    assert list(models) == [MODEL, "qwen3-8b", "text-embedding-nomic-embed-text-v1.5"]
    small = models[MODEL]
    assert (small.type, small.loaded, small.context_length, small.quantization) == (
        "llm",
        True,
        8192,
        "Q4_1",
    )
    assert (small.publisher, small.arch, small.is_chat_model) == ("HuggingFaceTB", "llama", True)
    assert (models["qwen3-8b"].loaded, models["qwen3-8b"].context_length) == (False, 32768)
    embed = models["text-embedding-nomic-embed-text-v1.5"]
    assert (embed.type, embed.is_chat_model) == ("embeddings", False)
    assert provider.default_model() == MODEL


@pytest.mark.parametrize("fake_server", [{"flavor": "lmstudio-v1"}], indirect=True)
def test_models_lmstudio_v1(provider: LMStudioAPIProvider) -> None:
    models = {m.id: m for m in provider.list_models()}
    small = models[MODEL]
    # loaded iff it has loaded instances; the context is the loaded one, not the maximum
    assert (small.type, small.loaded, small.context_length) == ("llm", True, 4096)
    assert (small.max_context_length, small.quantization) == (8192, "Q4_1")
    assert models["qwen3-8b"].loaded is False
    assert models["text-embedding-nomic-embed-text-v1.5"].type == "embeddings"


@pytest.mark.parametrize(
    "fake_server",
    [{"flavor": "openai", "models": [{"id": "gpt-oss-20b"}, {"id": "nomic-embed-text"}]}],
    indirect=True,
)
def test_models_openai_ids_only(fake_server: FakeLLMServer) -> None:
    made = LMStudioAPIProvider(fake_server.url)  # no model configured
    try:
        models = made.list_models()
        assert [m.id for m in models] == ["gpt-oss-20b", "nomic-embed-text"]
        for model in models:  # the server says nothing else: nothing is made up
            assert (model.loaded, model.context_length, model.quantization) == (None, None, None)
        assert [m.is_chat_model for m in models] == [True, False]
        assert made.default_model() == "gpt-oss-20b"
        status = made.check_connection()
        assert (status.ok, status.model, status.loaded, status.error) == (
            True,
            "gpt-oss-20b",
            None,
            None,
        )
    finally:
        made.close()


@pytest.mark.parametrize("flavor", ["lmstudio-v0", "lmstudio-v1", "openai"])
def test_seed_get_available_models_uses_the_configuration(
    monkeypatch: pytest.MonkeyPatch, flavor: str
) -> None:
    with FakeLLMServer(flavor=flavor) as fake:
        monkeypatch.setenv("LM_STUDIO_URL", fake.url + "/v1/")  # the OpenAI base URL works too
        reset_settings()
        reset_provider()
        models = asyncio.run(lm_studio_provider.get_available_models())
        assert [m["id"] for m in models] == [
            MODEL,
            "qwen3-8b",
            "text-embedding-nomic-embed-text-v1.5",
        ]
        assert models[0]["loaded"] is (None if flavor == "openai" else True)
        assert models[0]["quantization"] == (None if flavor == "openai" else "Q4_1")
        reset_provider()


def test_check_connection_never_raises(provider: LMStudioAPIProvider) -> None:
    status = provider.check_connection()
    assert (status.ok, status.model, status.loaded) == (True, MODEL, True)
    dead = LMStudioAPIProvider("http://127.0.0.1:9", max_retries=0)
    try:
        down = dead.check_connection()
    finally:
        dead.close()
    assert not down.ok
    assert isinstance(down.error, errors.ServerUnreachable)


# --- context length ---------------------------------------------------------------------------
@pytest.mark.parametrize("fake_server", [{"flavor": "lmstudio-v1"}], indirect=True)
def test_context_length_from_the_model_list(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    assert provider.context_length(MODEL) == 4096  # the loaded instance's context, not 8192
    assert "/props" not in fake_server.gets  # the list said it: nobody else is asked
    # not loaded: only the maximum is known, so /props is asked; LM Studio has none
    assert provider.context_length("qwen3-8b") == 32768
    assert provider.context_length("text-embedding-nomic-embed-text-v1.5") == 2048
    assert fake_server.gets.count("/props") == 1  # a server without /props is asked once
    assert provider.context_length(None) is None


LLAMA_SERVER_PROPS = [
    {"default_generation_settings": {"n_ctx": 2048, "n_predict": -1}, "total_slots": 1},
    {"n_ctx": 2048},  # older builds
]


@pytest.mark.parametrize("props", LLAMA_SERVER_PROPS, ids=["nested", "top-level"])
def test_context_length_from_llama_cpp_props(props: dict[str, Any]) -> None:
    with FakeLLMServer(flavor="openai", models=[{"id": "qwen"}], props=props) as fake:
        made = LMStudioAPIProvider(fake.url)
        try:
            assert made.list_models()[0].context_length is None  # the list does not say
            assert made.context_length("qwen") == 2048
            assert made.context_length("qwen") == 2048
            assert fake.gets.count("/props") == 1  # cached per model
        finally:
            made.close()


def test_context_length_when_nobody_says() -> None:
    with FakeLLMServer(flavor="openai") as fake:  # ids only, and no /props
        made = LMStudioAPIProvider(fake.url)
        try:
            assert made.context_length(MODEL) is None
            assert made.context_length(MODEL) is None
            assert made.context_length("qwen3-8b") is None
            assert fake.gets.count("/props") == 1
        finally:
            made.close()
    dead = LMStudioAPIProvider("http://127.0.0.1:9", max_retries=0)
    try:
        assert dead.context_length(MODEL) is None  # unreachable: None, never an exception
    finally:
        dead.close()


# --- a normal answer --------------------------------------------------------------------------
@pytest.mark.parametrize("face", FACES)
def test_answer_and_parameters_sent(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face
) -> None:
    fake_server.enqueue(Reply(chunks=["Hola", ", ", "¿qué", " tal?"]))
    result = face(
        provider,
        system_message="Sé breve.",
        temperature=0.2,
        max_tokens=32,
        top_p=0.9,
        top_k=40,
        repeat_penalty=1.1,
        seed=7,
        stop=["###"],
    )
    assert answer_text(result) == "Hola, ¿qué tal?"
    (request,) = fake_server.requests
    sent = request["json"]
    assert sent["model"] == MODEL
    assert sent["messages"] == [{"role": "system", "content": "Sé breve."}, *M]
    assert (sent["temperature"], sent["max_tokens"], sent["top_p"], sent["top_k"]) == (
        0.2,
        32,
        0.9,
        40,
    )
    assert (sent["repeat_penalty"], sent["seed"], sent["stop"]) == (1.1, 7, ["###"])
    assert "authorization" not in request["headers"]  # no key configured, none sent


def test_usage_chunk_with_empty_choices(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    usage = {"prompt_tokens": 24, "completion_tokens": 53, "total_tokens": 77}
    fake_server.enqueue(Reply(usage=usage, finish_reason="length", model="served-model"))
    stream = provider.stream_reply(M)
    assert split(list(stream))[0] == "Hello from the fake server."
    stats = stream.stats
    # reported by the server, not counted
    assert (stats.prompt_tokens, stats.completion_tokens, stats.completion_counted) == (
        24,
        53,
        False,
    )
    assert stats.finish_reason == "length"
    assert stats.model == "served-model"  # the model the server actually used
    assert fake_server.requests[0]["json"]["stream_options"] == {"include_usage": True}

    fake_server.enqueue(Reply(usage=usage))
    chunks = via_async_stream(provider)
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == usage
    fake_server.enqueue(Reply(usage=usage))
    assembled = asyncio.run(provider.chat_completion(M, stream=True))
    assert assembled["usage"] == usage
    assert assembled["choices"][0]["message"]["content"] == "Hello from the fake server."


def test_stream_stats_counted_when_the_server_reports_no_usage(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    fake_server.enqueue(Reply(reasoning=["Hm", "m."], chunks=["Hi", " there", "!"]))
    stream = provider.stream_reply(M)
    assert split(list(stream)) == ("Hi there!", "Hmm.")
    stats = stream.stats
    # five deltas (two of reasoning) counted, since the server sent no usage
    assert (stats.prompt_tokens, stats.completion_tokens, stats.completion_counted) == (
        None,
        5,
        True,
    )
    assert (stats.model, stats.finish_reason) == (MODEL, "stop")
    assert stats.time_to_first_token is not None and stats.time_to_first_token > 0
    assert stats.generation_seconds is not None and stats.generation_seconds > 0
    assert stats.tokens_per_second == 5 / stats.generation_seconds
    assert stream.stats == stats  # over: the figures no longer change
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.model = "other"  # type: ignore[misc]


def test_stream_stats_while_streaming(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    fake_server.enqueue(endless())
    with provider.stream_reply(M) as stream:
        before = stream.stats  # valid before anything was read
        assert (before.time_to_first_token, before.completion_tokens) == (None, None)
        events = iter(stream)
        for _ in range(3):
            next(events)
        early = stream.stats
        assert (early.completion_tokens, early.completion_counted, early.finish_reason) == (
            3,
            True,
            None,
        )
        assert early.time_to_first_token is not None and early.generation_seconds is not None
        time.sleep(0.05)
        later = stream.stats
        assert later.generation_seconds is not None
        assert later.generation_seconds > early.generation_seconds  # measured up to now
    final = stream.stats
    time.sleep(0.02)
    assert stream.stats == final  # closed: the clock stopped


def test_stream_reply_sends_the_request_itself(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    """The provider opens the HTTP response (and retries there): a refused request raises from
    ``stream_reply()``, before any stream exists."""
    fake_server.enqueue(Reply(status=400, body={"error": "bad"}))
    with pytest.raises(errors.BadRequest):
        provider.stream_reply(M)
    dead = LMStudioAPIProvider("http://127.0.0.1:9", max_retries=0)
    try:
        with pytest.raises(errors.ServerUnreachable):
            dead.stream_reply(M)
    finally:
        dead.close()
    fake_server.enqueue(Reply(chunks=["ok"]))
    with provider.stream_reply(M):
        assert len(fake_server.requests) == 2  # sent before anything was read


@pytest.mark.parametrize("how", ["close", "dropped"])
def test_an_unread_stream_closes_its_response(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, how: str
) -> None:
    fake_server.enqueue(endless())
    stream = provider.stream_reply(M)
    if how == "close":
        stream.close()
        stream.close()  # idempotent
        assert stream.stats.time_to_first_token is None
    else:
        del stream
        gc.collect()
    assert fake_server.wait_for_disconnect(10)


def test_both_faces_deliver_storable_text(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    """A lone surrogate (a \\ud83d escape without its pair) cannot be stored: both faces replace it."""
    fake_server.enqueue(Reply(chunks=["a\ud83d b"]))
    assert answer_text(via_stream(provider)) == "a\ufffd b"
    fake_server.enqueue(Reply(chunks=["a\ud83d b"]))
    assert answer_text(via_async_stream(provider)) == "a\ufffd b"


# --- reasoning in its three shapes ------------------------------------------------------------
@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_fields(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, field: str
) -> None:
    fake_server.enqueue(
        Reply(reasoning=["The user", " greets."], reasoning_field=field, chunks=["Hi", "!"])
    )
    assert split(list(provider.stream_reply(M))) == ("Hi!", "The user greets.")
    fake_server.enqueue(
        Reply(reasoning=["The user", " greets."], reasoning_field=field, chunks=["Hi", "!"])
    )
    message = asyncio.run(provider.chat_completion(M, stream=True))["choices"][0]["message"]
    assert (message["content"], message["reasoning_content"]) == ("Hi!", "The user greets.")


def test_inline_think_tags_split_across_chunks(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    fake_server.enqueue(
        Reply(chunks=["<th", "ink>Let me", " think</thi", "nk>\n\nThe answer", " is 42."])
    )
    assert split(list(provider.stream_reply(M))) == ("The answer is 42.", "Let me think")


def test_missing_opening_think_tag(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    fake_server.enqueue(Reply(chunks=["Let me", " think", "</think>", "\n\n42."]))
    events = list(provider.stream_reply(M))
    assert (EventKind.RECLASSIFY, "") in events
    assert split(events) == ("42.", "Let me think")
    fake_server.enqueue(Reply(chunks=["Let me", " think", "</think>", "\n\n42."]))
    message = asyncio.run(provider.chat_completion(M, stream=True))["choices"][0]["message"]
    assert (message["content"], message["reasoning_content"]) == ("42.", "Let me think")


THINKING_ANSWERS = [
    Reply(chunks=["<think>Let me", " see.</think>", "\n\n42."]),
    Reply(chunks=["Let me see.", "</think>", "\n\n42."]),  # Qwen3 omitted the opening tag
    Reply(reasoning=["Let me see."], reasoning_field="reasoning_content", chunks=["42."]),
    Reply(reasoning=["Let me see."], reasoning_field="reasoning", chunks=["42."]),
]
THINKING_IDS = ["inline", "missing-open-tag", "reasoning_content", "reasoning"]


@pytest.mark.parametrize("reply", THINKING_ANSWERS, ids=THINKING_IDS)
def test_simple_completion_is_the_answer_without_reasoning(
    fake_server: FakeLLMServer, reply: Reply
) -> None:
    fake_server.enqueue(reply)

    async def simple_completion() -> str:  # as the seed writes it
        return await lm_studio_provider.simple_completion(
            prompt="¿Cuánto es 6 por 7?", temperature=0.5, max_tokens=50
        )

    assert asyncio.run(simple_completion()) == "42."


@pytest.mark.parametrize("reply", THINKING_ANSWERS, ids=THINKING_IDS)
def test_chat_completion_keeps_the_servers_json(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, reply: Reply
) -> None:
    """The raw seed call returns what the server sent; ``split_message`` takes it apart."""
    fake_server.enqueue(reply)
    message = asyncio.run(provider.chat_completion(M))["choices"][0]["message"]
    assert message["content"] == "".join(reply.chunks)  # tags and all
    if reply.reasoning:
        assert message[reply.reasoning_field] == "Let me see."
    assert split_message(message) == ("42.", "Let me see.")


# --- every failure of section 4 ---------------------------------------------------------------
@pytest.mark.parametrize("face", FACES)
def test_server_not_running(face: Face) -> None:
    dead = LMStudioAPIProvider("http://127.0.0.1:9", model=MODEL)  # default retries included
    try:
        error = fails(
            face,
            dead,
            errors.ServerUnreachable,
            "http://127.0.0.1:9",
            "Start LM Studio",
            "lms server start",
            "LM_STUDIO_URL",
        )
    finally:
        dead.close()
    assert "http://127.0.0.1:9" in error.user_message("es")


@pytest.mark.parametrize("face", FACES)
def test_wrong_url_unknown_path(fake_server: FakeLLMServer, face: Face) -> None:
    wrong = LMStudioAPIProvider(fake_server.url + "/lmstudio", model=MODEL)
    try:
        fails(face, wrong, errors.WrongURL, "not an OpenAI-compatible", "LM_STUDIO_URL")
        with pytest.raises(errors.WrongURL):
            wrong.list_models()
    finally:
        wrong.close()


@pytest.mark.parametrize("face", FACES)
def test_wrong_url_plain_web_server(plain_http_server: str, face: Face) -> None:
    web = LMStudioAPIProvider(plain_http_server, model=MODEL, max_retries=0)
    try:
        fails(
            face,
            web,
            errors.WrongURL,
            plain_http_server,
            "not an OpenAI-compatible",
            "LM_STUDIO_URL",
        )
        with pytest.raises(errors.WrongURL):
            web.list_models()
        assert not web.check_connection().ok
    finally:
        web.close()


@pytest.mark.parametrize("fake_server", [{"api_key": KEY}], indirect=True)
@pytest.mark.parametrize("face", FACES)
def test_authentication(fake_server: FakeLLMServer, face: Face) -> None:
    anonymous = LMStudioAPIProvider(fake_server.url, model=MODEL)
    wrong_key = LMStudioAPIProvider(fake_server.url, model=MODEL, api_key="sk-wrong")
    right_key = LMStudioAPIProvider(fake_server.url, model=MODEL, api_key=KEY)
    try:
        for refused in (anonymous, wrong_key):
            fails(face, refused, errors.AuthenticationFailed, "HTTP 401", "LM_STUDIO_API_KEY")
        with pytest.raises(errors.AuthenticationFailed):
            anonymous.list_models()
        assert answer_text(face(right_key)) == "Hello from the fake server."
        assert right_key.list_models()[0].id == MODEL
    finally:
        for made in (anonymous, wrong_key, right_key):
            made.close()
    assert fake_server.requests[-1]["headers"]["authorization"] == f"Bearer {KEY}"
    assert len(fake_server.requests) == 3  # a 401 is never retried


@pytest.mark.parametrize("fake_server", [{"api_key": KEY}], indirect=True)
def test_api_key_from_the_configuration(
    fake_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LM_STUDIO_API_KEY", KEY)
    reset_settings()
    reset_provider()
    assert answer_text(via_stream(get_provider())) == "Hello from the fake server."
    assert fake_server.requests[-1]["headers"]["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("face", FACES)
def test_no_model_loaded(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face
) -> None:
    fails(
        face, provider, errors.NoModelLoaded, "no model loaded", "lms load", model="fake-no-model"
    )
    fake_server.enqueue(
        Reply(
            status=404,
            body={
                "error": {"message": "No models loaded. Please load a model in the developer page."}
            },
        )
    )
    fails(face, provider, errors.NoModelLoaded, "no model loaded")
    assert len(fake_server.requests) == 2


@pytest.mark.parametrize("face", FACES)
def test_unknown_model(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face
) -> None:
    fails(
        face,
        provider,
        errors.ModelNotFound,
        "'no-such-model'",
        "Settings page",
        model="no-such-model",
    )  # LM Studio: 400, code model_not_found
    fake_server.enqueue(  # older builds: 404
        Reply(
            status=404,
            body={
                "error": {
                    "message": 'Model "no-such-model" not found',
                    "type": "invalid_request_error",
                }
            },
        )
    )
    fails(face, provider, errors.ModelNotFound, "'no-such-model'", model="no-such-model")
    assert len(fake_server.requests) == 2


CONTEXT_MESSAGES = [
    "Trying to keep the first 5012 tokens when context the overflows. However, the model is loaded "
    "with context length of 4096 tokens, which is not enough. Try to load the model with a larger "
    "context length, or provide a shorter input",
    "the request exceeds the available context size, try increasing it",
    "This model's maximum context length is 2048 tokens. However, you requested 3039 tokens.",
]


@pytest.mark.parametrize("face", FACES)
@pytest.mark.parametrize("message", CONTEXT_MESSAGES, ids=["lmstudio", "llama-server", "vllm"])
def test_context_overflow_400(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face, message: str
) -> None:
    fake_server.enqueue(Reply(status=400, body={"error": {"message": message}}))
    fails(
        face,
        provider,
        errors.ContextOverflow,
        "too long for the model's context",
        "Start a new chat",
    )


@pytest.mark.parametrize("face", FACES)
def test_context_overflow_in_a_200_body(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face
) -> None:
    fake_server.enqueue(Reply(chunks=[], error_frame={"error": {"message": CONTEXT_MESSAGES[0]}}))
    fails(face, provider, errors.ContextOverflow, "too long for the model's context")


@pytest.mark.parametrize("face", FACES)
def test_timeout_waiting_for_the_first_token(
    impatient: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face
) -> None:
    fake_server.enqueue(Reply(delay_first=30))
    fails(
        face, impatient, errors.ProviderTimeout, "did not answer in time", "LM_STUDIO_READ_TIMEOUT"
    )
    assert len(fake_server.requests) == 1  # a timeout is not retried: the server may be busy
    assert fake_server.wait_for_disconnect(10)  # and the request was abandoned


@pytest.mark.parametrize("face", STREAM_FACES)
def test_timeout_waiting_for_the_next_token(
    impatient: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face
) -> None:
    fake_server.enqueue(Reply(chunks=["one", " two", " three"], stall_after=2))
    fails(face, impatient, errors.ProviderTimeout, "did not answer in time")
    assert len(fake_server.requests) == 1


@pytest.mark.parametrize("face", STREAM_FACES)
def test_error_frame_inside_a_200_stream(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face
) -> None:
    fake_server.enqueue(
        Reply(chunks=["Partial"], error_frame={"error": {"message": "Model unloaded mid-answer"}})
    )
    fails(face, provider, errors.StreamFailed, "Model unloaded mid-answer", "Retry")
    fake_server.enqueue(Reply(chunks=["Partial"], error_frame={"error": "string error frame"}))
    fails(face, provider, errors.StreamFailed, "string error frame")


@pytest.mark.parametrize("face", STREAM_FACES)
@pytest.mark.parametrize("fault", [{"cut": True}, {"no_done": True}], ids=["cut", "no-done"])
def test_stream_ended_without_done(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face, fault: dict[str, bool]
) -> None:
    fake_server.enqueue(Reply(chunks=["Half", " an answer"], **fault))
    fails(face, provider, errors.StreamInterrupted, "cut off", "What arrived is kept")
    assert len(fake_server.requests) == 1  # a stream that began is never re-run


@pytest.mark.parametrize("face", STREAM_FACES)
def test_malformed_chunk(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face
) -> None:
    fake_server.enqueue(Reply(chunks=["Fine so far"], malformed=True))
    fails(face, provider, errors.StreamFailed, "malformed")


def test_events_before_a_failure_reach_the_consumer(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    fake_server.enqueue(Reply(chunks=["Half", " an answer"], cut=True))
    received: list[tuple[str, str]] = []
    with pytest.raises(errors.StreamInterrupted):
        for event in provider.stream_reply(M):
            received.append(event)
    assert split(received) == ("Half an answer", "")


def test_empty_answer(provider: LMStudioAPIProvider, fake_server: FakeLLMServer) -> None:
    """A well-formed stream with no content: the provider reports nothing; the chat service
    turns it into EmptyAnswer (tests/test_chat_service.py)."""
    fake_server.enqueue(Reply(chunks=[]))
    stream = provider.stream_reply(M)
    assert list(stream) == []
    assert stream.stats.finish_reason == "stop"


@pytest.mark.parametrize("face", FACES)
@pytest.mark.parametrize(
    "body",
    [
        {"error": {"message": "temperature must be a number", "type": "invalid_request_error"}},
        {"error": "temperature must be a number"},
        {"object": "error", "message": "temperature must be a number", "type": "BadRequestError"},
        "temperature must be a number",
    ],
    ids=["dict", "dict-with-string", "vllm", "plain-string"],
)
def test_error_bodies_dict_or_string(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face, body: Any
) -> None:
    fake_server.enqueue(Reply(status=400, body=body))
    fails(
        face,
        provider,
        errors.BadRequest,
        "HTTP 400",
        "temperature must be a number",
        "Settings page",
    )


@pytest.mark.parametrize("face", FACES)
def test_model_crashed(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face
) -> None:
    fake_server.enqueue(
        Reply(
            status=400,
            body={
                "error": {
                    "message": "The model has crashed "
                    "without additional information. (Exit code: 18446744072635812000)"
                }
            },
        )
    )
    fails(face, provider, errors.ServerFailure, "HTTP 400", "has crashed", "reload the model")


# --- retries ----------------------------------------------------------------------------------
@pytest.mark.parametrize("face", FACES)
def test_5xx_is_retried_then_succeeds(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face
) -> None:
    fake_server.enqueue(Reply(status=500), Reply(chunks=["Second", " try"]))
    assert answer_text(face(provider)) == "Second try"
    assert len(fake_server.requests) == 2


@pytest.mark.parametrize("face", [via_stream, via_async])
def test_5xx_retried_at_most_twice(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face
) -> None:
    fake_server.enqueue(Reply(status=503), Reply(status=500), Reply(status=502), Reply())
    fails(face, provider, errors.ServerFailure, "HTTP 502", "retry")
    assert len(fake_server.requests) == 3  # one try and two retries


@pytest.mark.parametrize("face", FACES)
def test_4xx_is_not_retried(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face
) -> None:
    fake_server.enqueue(Reply(status=400, body={"error": "bad"}), Reply())
    fails(face, provider, errors.BadRequest, "bad")
    assert len(fake_server.requests) == 1


@pytest.mark.parametrize("face", STREAM_FACES)
def test_started_stream_is_never_rerun(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face
) -> None:
    fake_server.enqueue(Reply(chunks=["Begun"], cut=True), Reply(chunks=["Rerun!"]))
    fails(face, provider, errors.StreamInterrupted)
    assert len(fake_server.requests) == 1


# --- stopping ---------------------------------------------------------------------------------
def endless() -> Reply:
    return Reply(chunks=["tick "], delay_between=0.01, repeat_forever=True)


@pytest.mark.parametrize("how", ["close", "with", "dropped"])
def test_closing_a_stream_closes_the_http_response(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, how: str
) -> None:
    fake_server.enqueue(endless())
    stream = provider.stream_reply(M)
    if how == "close":
        events = iter(stream)
        received = [next(events) for _ in range(3)]
        stream.close()
    elif how == "with":
        with stream:
            received = []
            for event in stream:
                received.append(event)
                if len(received) == 3:
                    break
    else:  # the consumer just drops it: garbage collection closes it too
        received = []
        for event in stream:
            received.append(event)
            if len(received) == 3:
                break
        del stream
        gc.collect()
    assert received == [(EventKind.CONTENT, "tick ")] * 3
    assert fake_server.wait_for_disconnect(10)


def test_closing_the_seed_async_stream_closes_the_http_response(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    fake_server.enqueue(endless())

    async def read_three() -> int:
        chunks = provider.chat_completion_stream(M)
        seen = 0
        async for chunk in chunks:
            if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                seen += 1
            if seen == 3:
                break
        await chunks.aclose()  # type: ignore[attr-defined]
        return seen

    assert asyncio.run(read_three()) == 3
    assert fake_server.wait_for_disconnect(10)


# --- the API key never shows ------------------------------------------------------------------
ECHOES = [
    Reply(status=401, body={"error": {"message": f"Invalid API key: {KEY}"}}),
    Reply(status=403, body=f"Forbidden for Bearer {KEY}"),
    Reply(status=400, body={"error": {"message": f"bad request from key {KEY}"}}),
    Reply(status=400, body={"error": f"context length exceeded for {KEY}"}),
    Reply(status=404, body={"error": {"message": f"model {KEY} not found"}}),
    Reply(status=400, body=f"plain text with {KEY}"),
    Reply(chunks=["x"], error_frame={"error": {"message": f"frame with {KEY}"}}),
    Reply(chunks=[], error_frame={"error": f"No models loaded ({KEY})"}),
]


@pytest.mark.parametrize("face", FACES)
@pytest.mark.parametrize("echo", ECHOES, ids=lambda r: f"{r.status}-{bool(r.error_frame)}")
def test_api_key_never_in_errors(
    fake_server: FakeLLMServer, face: Face, echo: Reply, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    keyed = LMStudioAPIProvider(fake_server.url, model=MODEL, api_key=KEY)
    fake_server.enqueue(echo)
    try:
        with pytest.raises(errors.ProviderError) as info:
            face(keyed)
    finally:
        keyed.close()
    error = info.value
    assert fake_server.requests[-1]["headers"]["authorization"] == f"Bearer {KEY}"
    shown = [
        str(error),
        repr(error),
        error.user_message("en"),
        error.user_message("es"),
        error.detail,
        repr(error.args),
        repr(error.params),
    ]
    for text in shown:
        assert KEY not in text
    assert KEY not in caplog.text


@pytest.mark.parametrize("face", STREAM_FACES)
def test_stream_closed_before_any_text(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face
) -> None:
    """Headers, then nothing: llama.cpp's server answers a prompt beyond its context this way."""
    fake_server.enqueue(Reply(chunks=[], cut=True))
    fails(face, provider, errors.EmptyAnswer, "without writing anything", "context")


@pytest.mark.parametrize("face", FACES)
def test_wrong_url_fastapi_not_found(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, face: Face
) -> None:
    """llama-cpp-python and vLLM (FastAPI) answer an unknown path with {"detail": "Not Found"}."""
    fake_server.enqueue(Reply(status=404, body={"detail": "Not Found"}))
    fails(face, provider, errors.WrongURL, "not an OpenAI-compatible", "LM_STUDIO_URL")
