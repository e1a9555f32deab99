"""Models under control, against the fake LM Studio server (recorded 0.4 shapes) and the real
llama.cpp engine: the native model list with its details, load with a context length and unload
(request bodies checked), their errors as sentences, the load before an answer stored apart from
its time to first token, and no controls where the server has no such endpoints."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core import errors
from core.providers.catalog import LoadedInstance
from core.providers.llm_studio_api import LMStudioAPIProvider
from core.schemas import ChatSettings
from core.services import model_control
from core.services.chat import ChatService
from core.services.chats import new_chat, open_chat
from devtools.servers import LlamaServer
from tests.fakes.fake_llm_server import DEFAULT_MODELS, FakeLLMServer
from tests.fakes.lmstudio_native import OUT_OF_MEMORY

V1 = [{"flavor": "lmstudio-v1"}]
RICH = [
    {**DEFAULT_MODELS[0], "size_bytes": 145_000_000, "tool_use": True},
    {**DEFAULT_MODELS[1], "type": "vlm", "reasoning": True},
    DEFAULT_MODELS[2],
]


@pytest.fixture
def provider(fake_server: FakeLLMServer) -> Iterator[LMStudioAPIProvider]:
    made = LMStudioAPIProvider(fake_server.url)
    yield made
    made.close()


@pytest.mark.parametrize("fake_server", [{"flavor": "lmstudio-v1", "models": RICH}], indirect=True)
def test_native_list_has_details_instances_and_capabilities(
    fake_server: FakeLLMServer, provider: LMStudioAPIProvider
) -> None:
    small, qwen, embed = provider.list_models()
    assert fake_server.gets == ["/api/v1/models"]
    assert (small.publisher, small.arch, small.quantization, small.format) == (
        "HuggingFaceTB", "llama", "Q4_1", "gguf",
    )  # fmt: skip
    assert small.size_bytes == 145_000_000 and small.max_context_length == 8192
    assert small.instances == (LoadedInstance("smollm2-135m-instruct", 4096),)
    assert small.loaded and small.context_length == 4096  # what it runs with, not its maximum
    assert (small.vision, small.tool_use, small.reasoning) == (False, True, None)
    assert (qwen.loaded, qwen.instances, qwen.vision, qwen.reasoning) == (
        False, (), True, ("off", "on"),
    )  # fmt: skip
    assert not embed.is_chat_model
    assert provider.can_load_models


@pytest.mark.parametrize(
    ("fake_server", "endpoint"),
    [({"flavor": "lmstudio-v0"}, "/api/v0/models"), ({"flavor": "openai"}, "/v1/models")],
    indirect=["fake_server"],
)
def test_older_servers_fall_back_and_offer_no_controls(
    fake_server: FakeLLMServer, provider: LMStudioAPIProvider, endpoint: str
) -> None:
    models = provider.list_models()
    assert fake_server.gets[-1] == endpoint and models[0].id == "smollm2-135m-instruct"
    assert models[0].instances == ()
    assert not provider.can_load_models


@pytest.mark.engine
def test_the_real_engine_has_no_load_controls(llama_server: LlamaServer) -> None:
    made = LMStudioAPIProvider(llama_server.url)
    try:
        assert not made.can_load_models  # llama.cpp answers 404 to /api/v1 and /api/v0
        assert made.list_models()[0].id == llama_server.model
    finally:
        made.close()


@pytest.mark.parametrize("fake_server", V1, indirect=True)
def test_load_with_a_context_length_then_unload(
    fake_server: FakeLLMServer, provider: LMStudioAPIProvider
) -> None:
    result = provider.load_model("qwen3-8b", 8192)
    assert fake_server.lifecycle_requests == [
        {"path": "/api/v1/models/load", "json": {"model": "qwen3-8b", "context_length": 8192}}
    ]
    assert (result.instance_id, result.load_time_seconds) == ("qwen3-8b", 1.25)
    qwen = provider.model_info("qwen3-8b")  # the cached list was dropped: the new state shows
    assert qwen is not None and qwen.instances == (LoadedInstance("qwen3-8b", 8192),)
    assert provider.context_length("qwen3-8b") == 8192

    provider.unload_model("qwen3-8b")
    assert fake_server.lifecycle_requests[-1] == {
        "path": "/api/v1/models/unload", "json": {"instance_id": "qwen3-8b"},
    }  # fmt: skip
    qwen = provider.model_info("qwen3-8b")
    assert qwen is not None and qwen.loaded is False and qwen.instances == ()

    provider.load_model("qwen3-8b")  # no context length asked: none sent
    assert fake_server.lifecycle_requests[-1]["json"] == {"model": "qwen3-8b"}


@pytest.mark.parametrize("fake_server", V1, indirect=True)
def test_load_errors_are_sentences(
    fake_server: FakeLLMServer, provider: LMStudioAPIProvider
) -> None:
    with pytest.raises(errors.ModelNotFound) as missing:
        provider.load_model("no-such-model")
    assert "does not know the model 'no-such-model'" in str(missing.value)
    fake_server.load_faults.append(OUT_OF_MEMORY)
    with pytest.raises(errors.NotEnoughMemory) as memory:
        provider.load_model("qwen3-8b", 32768)
    assert memory.value.user_message("es").startswith("El servidor no pudo cargar 'qwen3-8b'")
    assert "shorter context length" in str(memory.value)
    assert len(fake_server.lifecycle_requests) == 2  # never retried


@pytest.mark.parametrize(
    "fake_server", [{"flavor": "lmstudio-v1", "api_key": "sk-1"}], indirect=True
)
def test_load_without_the_key_says_so(fake_server: FakeLLMServer) -> None:
    keyless = LMStudioAPIProvider(fake_server.url)
    keyed = LMStudioAPIProvider(fake_server.url, api_key="sk-1")
    try:
        with pytest.raises(errors.AuthenticationFailed) as caught:
            keyless.load_model("qwen3-8b")
        assert "LM_STUDIO_API_KEY" in str(caught.value)
        assert keyed.load_model("qwen3-8b").load_time_seconds == 1.25
    finally:
        keyless.close()
        keyed.close()


@pytest.mark.parametrize("fake_server", V1, indirect=True)
def test_an_answer_loads_its_model_first_and_stores_the_load_time_apart(
    db: str, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat("x", ChatSettings(model="qwen3-8b"))
    assert model_control.needs_loading("qwen3-8b")
    reply = ChatService().send(chat_id, "Hola").consume()
    assert [r["path"] for r in fake_server.lifecycle_requests] == ["/api/v1/models/load"]
    answer = open_chat(chat_id).messages[-1]
    assert answer.content == "Hello from the fake server."
    assert answer.load_time == 1.25 and answer.time_to_first_token is not None
    assert reply.load_time == 1.25
    assert not model_control.needs_loading("qwen3-8b")

    ChatService().send(chat_id, "Otra").consume()  # loaded now: no second load, no load time
    assert len(fake_server.lifecycle_requests) == 1
    assert open_chat(chat_id).messages[-1].load_time is None


@pytest.mark.parametrize("fake_server", V1, indirect=True)
def test_a_load_that_fails_ends_the_answer_with_its_sentence(
    db: str, fake_server: FakeLLMServer
) -> None:
    fake_server.load_faults.append(OUT_OF_MEMORY)
    chat_id = new_chat("x", ChatSettings(model="qwen3-8b"))
    ChatService().send(chat_id, "Hola").consume()
    question, answer = open_chat(chat_id).messages
    assert question.content == "Hola"  # nothing typed is lost
    assert answer.error_code == "error.not_enough_memory"
    assert "not enough memory" in answer.error_text("en")
    assert fake_server.requests == []  # the chat request was never sent


@pytest.mark.parametrize("fake_server", [{"flavor": "lmstudio-v0"}], indirect=True)
def test_without_load_endpoints_the_server_loads_just_in_time(
    db: str, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat("x", ChatSettings(model="qwen3-8b"))
    assert model_control.needs_loading("qwen3-8b")  # the chat says the answer will load it
    ChatService().send(chat_id, "Hola").consume()
    assert fake_server.lifecycle_requests == []
    answer = open_chat(chat_id).messages[-1]
    assert answer.content and answer.load_time is None
