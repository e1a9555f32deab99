"""A context that never gets stuck (issue 9, section 2).

Against the fake server (an overflow error that names the window; a model whose window is known)
and a real llama.cpp engine started with a 1,024-token context, which — like llama-cpp-python's
server in general — says nothing about its window and answers an oversized streamed prompt with an
empty stream: Charla learns the window from a one-token probe, leaves older messages out, and the
chat keeps answering. Every answer records the prompt's size.
"""

from __future__ import annotations

import pytest

from core import errors
from core.conf.db import session_scope
from core.conf.settings import reset_settings
from core.providers.llm_studio_api import LMStudioAPIProvider, reset_provider
from core.repositories.messages import MessageRepository
from core.repositories.model_facts import ModelFactRepository
from core.schemas import ChatSettings
from core.services.chat import ChatService
from core.services.chats import new_chat, open_chat
from core.services.context_view import context_fit
from devtools.servers import LlamaServer
from tests.fakes.fake_llm_server import FakeLLMServer, Reply

OVERFLOW = {
    "error": {
        "message": "This model's maximum context length is 1000 tokens. However, you requested "
        "2600 tokens (2600 in the messages, None in the completion).",
        "type": "invalid_request_error",
        "code": "context_length_exceeded",
    }
}
OPENAI_ONLY = [{"id": "says-nothing"}]  # a /v1/models entry with no context length


def long_history(chat_id: int, turns: int, size: int = 400) -> None:
    with session_scope(write=True) as db:
        repo = MessageRepository(db)
        for turn in range(turns):
            repo.create_message(chat_id, "user", f"q{turn} " + "x" * size)
            repo.create_message(chat_id, "llm", f"a{turn} " + "y" * size)


def learnt(model: str) -> int | None:
    with session_scope() as db:
        return ModelFactRepository(db).context_length(model)


def test_an_overflow_error_teaches_the_window_and_the_turn_is_asked_again(db: str) -> None:
    with FakeLLMServer(flavor="openai", models=OPENAI_ONLY) as fake:
        provider = LMStudioAPIProvider(fake.url, model="says-nothing")
        try:
            chat_id = new_chat("long")
            long_history(chat_id, 8)  # ~6,400 bytes: about 2,200 tokens
            fake.enqueue(Reply(status=400, body=OVERFLOW), Reply(chunks=["Fits now."]))
            reply = ChatService(provider).send(chat_id, "And now?").consume()
        finally:
            provider.close()
        assert (reply.status, reply.content) == ("complete", "Fits now.")
        first, second = (r["json"]["messages"] for r in fake.requests[-2:])
        assert len(second) < len(first)  # older messages left out
        assert second[-1] == {"role": "user", "content": "And now?"}  # the new one always goes
        assert learnt("says-nothing") == 1000
        answer = reply.result
        assert answer is not None and answer.params is not None
        assert answer.params["left_out"] == len(first) - len(second)
        assert answer.prompt_tokens is not None and answer.prompt_tokens < 1000


def test_a_message_that_cannot_fit_is_refused_before_anything_is_stored(db: str) -> None:
    tiny = {"id": "tiny-model", "state": "loaded", "max_context_length": 1000}
    with FakeLLMServer(models=[tiny]) as fake:
        provider = LMStudioAPIProvider(fake.url, model="tiny-model")
        try:
            chat_id = new_chat("short")
            with pytest.raises(errors.InputError) as refused:
                ChatService(provider).send(chat_id, "Summarise: " + "lorem ipsum " * 1700)
        finally:
            provider.close()
        assert refused.value.reason == "input.message_over_context"
        assert "1,000" in refused.value.user_message("en")
        assert fake.requests == []  # nothing was sent …
        assert open_chat(chat_id).messages == []  # … nor stored: the page keeps it as a draft


def test_the_meter_counts_what_the_next_request_would_send(db: str) -> None:
    tiny = {"id": "tiny-model", "state": "loaded", "max_context_length": 1000}
    with FakeLLMServer(models=[tiny]) as fake:
        provider = LMStudioAPIProvider(fake.url, model="tiny-model")
        try:
            service = ChatService(provider)
            chat_id = new_chat("meter", ChatSettings(model="tiny-model", max_tokens=200))
            long_history(chat_id, 6, size=300)
            fit = context_fit(service, chat_id)
            fake.enqueue(Reply(chunks=["ok"]))
            reply = service.send(chat_id, "?").consume()
        finally:
            provider.close()
    assert fit.context_length == 1000
    assert 0 < fit.tokens <= 1000 - 200
    assert fit.left_out > 0
    view = open_chat(chat_id)
    unsent = fit.unsent_ids(view.messages)
    assert unsent and max(unsent) < min(m.id for m in view.messages if m.id not in unsent)
    sent_history = reply.plan.messages[:-1]
    # What the page said is what the request did, up to the new message's own room (the meter
    # cannot know it) and a leading answer left out so the history starts with a question.
    assert 0 <= (12 - fit.left_out) - len(sent_history) <= 2


@pytest.mark.engine
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_long_chat_keeps_answering_on_a_small_real_context(
    db: str, small_llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LM_STUDIO_URL", small_llama_server.url)
    reset_settings()
    reset_provider()
    service = ChatService()
    chat_id = new_chat(
        "engine", ChatSettings(temperature=0.0, seed=7, max_tokens=48, system_prompt="Be brief.")
    )
    for turn in range(8):  # ~600 bytes a turn with the answers: well past 1,024 tokens
        question = f"Question {turn}: tell me about the number {turn}. " + "Details please. " * 25
        reply = service.send(chat_id, question).consume()
        assert reply.status == "complete", reply.error
    assert learnt(small_llama_server.model) == 1024  # learnt from the overflow itself
    with session_scope() as dbs:
        answers = [m for m in MessageRepository(dbs).list_for_chat(chat_id) if m.sender == "llm"]
    assert len(answers) == 8
    assert all(a.prompt_tokens for a in answers)  # counted from what was sent: no usage here
    assert any((a.params or {}).get("left_out") for a in answers)
    fit = context_fit(service, chat_id)
    assert fit.context_length == 1024 and fit.left_out > 0


@pytest.mark.engine
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_message_too_long_for_a_small_real_context_fails_once_not_forever(
    db: str, small_llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LM_STUDIO_URL", small_llama_server.url)
    reset_settings()
    reset_provider()
    service = ChatService()
    chat_id = new_chat("engine", ChatSettings(temperature=0.0, max_tokens=16))
    huge = "Please read this: " + "lorem ipsum dolor sit amet " * 800  # 20,000+ characters
    reply = service.send(chat_id, huge).consume()
    assert reply.status == "error" and isinstance(reply.error, errors.MessageOverContext)
    assert "1,024" in str(reply.error)
    with pytest.raises(errors.InputError):  # now the window is known: refused before sending
        service.send(chat_id, huge)
    after = service.send(chat_id, "Just say hi.").consume()  # the chat is not stuck
    assert after.status == "complete"
