"""Fitting a conversation into the model's context (issue 2, section 5, "Context").

Unit tests of ``core.services.context`` and the same rules seen from outside: what the chat service
actually sends to a (fake) server whose model reports its context length.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.conf.db import session_scope
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository
from core.schemas import ChatSettings
from core.services.chat import ChatService
from core.services.chats import new_chat
from core.services.context import TokenEstimator, fit_context
from tests.fakes.fake_llm_server import FakeLLMServer, Reply

SYSTEM = "You are a helpful assistant."


def turn(i: int, size: int = 300) -> list[dict[str, str]]:
    return [
        {"role": "user", "content": f"q{i} " + "x" * size},
        {"role": "assistant", "content": f"a{i} " + "y" * size},
    ]


def history_of(turns: int, size: int = 300) -> list[dict[str, str]]:
    return [m for i in range(turns) for m in turn(i, size)]


NEW = {"role": "user", "content": "And now?"}


# --- unit -------------------------------------------------------------------------------------
def test_unknown_context_length_keeps_everything() -> None:
    history = history_of(10)
    sent, dropped = fit_context(
        history,
        NEW,
        system_prompt=SYSTEM,
        context_length=None,
        max_tokens=100,
        estimator=TokenEstimator(),
    )
    assert sent == [*history, NEW]
    assert dropped == 0


def test_oldest_turns_are_dropped_to_fit() -> None:
    estimator = TokenEstimator()
    history = history_of(10)
    sent, dropped = fit_context(
        history, NEW, system_prompt=SYSTEM, context_length=1000, max_tokens=200, estimator=estimator
    )
    assert 0 < dropped < len(history)
    assert sent[-1] == NEW
    assert sent[:-1] == history[dropped:]  # the newest ones, in order
    assert sent[0]["role"] == "user"  # never an orphaned assistant turn first
    system = {"role": "system", "content": SYSTEM}
    assert estimator.count([system, *sent]) + 200 <= 1000  # prompt plus max_tokens fits
    # and not more was dropped than needed: one more message would not have fitted
    one_more = history[dropped - 1 : dropped]
    assert estimator.count([system, *one_more, *sent]) + 200 > 1000 or (
        one_more[0]["role"] == "assistant"
    )


def test_system_prompt_and_new_message_always_kept() -> None:
    huge = {"role": "user", "content": "z" * 10_000}
    sent, dropped = fit_context(
        history_of(3),
        huge,
        system_prompt=SYSTEM,
        context_length=512,
        max_tokens=100,
        estimator=TokenEstimator(),
    )
    assert sent == [huge]  # the system prompt is added by the provider, never dropped
    assert dropped == 6


def test_unlimited_max_tokens_still_reserves_room_for_the_answer() -> None:
    history = history_of(2, size=30)
    small, _ = fit_context(
        history,
        NEW,
        system_prompt=None,
        context_length=100,
        max_tokens=None,
        estimator=TokenEstimator(),
    )
    roomy, _ = fit_context(
        history,
        NEW,
        system_prompt=None,
        context_length=100_000,
        max_tokens=-1,
        estimator=TokenEstimator(),
    )
    assert len(small) < len(roomy) == len(history) + 1


def test_estimate_is_conservative_and_learns_from_prompt_tokens() -> None:
    estimator = TokenEstimator()
    messages = [{"role": "system", "content": SYSTEM}, *history_of(3)]
    default = estimator.count(messages, "m")
    # The server counted far fewer tokens than the default estimate: learn a looser ratio …
    estimator.learn(messages, default // 3, "m")
    learned = estimator.count(messages, "m")
    assert learned < default
    assert learned >= default // 3  # … but never below what the server said
    assert estimator.count(messages, "other-model") == default  # per model
    # nothing to learn from
    estimator.learn(messages, None, "x")
    estimator.learn(messages, 0, "x")
    estimator.learn(messages, 5_000, None)
    assert estimator.count(messages, "x") == default


def test_estimate_counts_multibyte_text_as_more_tokens() -> None:
    estimator = TokenEstimator()
    ascii_text = [{"role": "user", "content": "a" * 300}]
    cjk_text = [{"role": "user", "content": "漢" * 300}]
    assert estimator.count(cjk_text) > estimator.count(ascii_text)
    assert estimator.count(cjk_text) >= 300  # about one token per CJK character


# --- what the chat service sends --------------------------------------------------------------
TINY = {"id": "tiny-model", "state": "loaded", "max_context_length": 1000}


@pytest.fixture
def fake() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(models=[TINY]) as server:
        yield server


def chat_with_history(turns: int, size: int = 300, settings: ChatSettings | None = None) -> int:
    chat_id = new_chat("context", settings)
    with session_scope(write=True) as db:
        repo = MessageRepository(db)
        for message in history_of(turns, size):
            repo.create_message(
                chat_id, "user" if message["role"] == "user" else "llm", message["content"]
            )
    return chat_id


def sent_messages(fake: FakeLLMServer, index: int = -1) -> list[dict[str, str]]:
    return list(fake.requests[index]["json"]["messages"])


def service_for(fake: FakeLLMServer, **kw: object) -> ChatService:
    from core.providers.llm_studio_api import LMStudioAPIProvider

    return ChatService(LMStudioAPIProvider(fake.url, model="tiny-model"), **kw)  # type: ignore[arg-type]


def test_service_drops_oldest_turns_when_context_is_known(db: str, fake: FakeLLMServer) -> None:
    chat_id = chat_with_history(10, settings=ChatSettings(system_prompt=SYSTEM, max_tokens=200))
    service = service_for(fake)
    reply = service.send(chat_id, "And now?").consume()
    assert reply.status == "complete"
    sent = sent_messages(fake)
    assert sent[0] == {"role": "system", "content": SYSTEM}
    assert sent[-1] == {"role": "user", "content": "And now?"}
    history = sent[1:-1]
    assert 0 < len(history) < 20
    assert history == history_of(10)[-len(history) :]  # the newest turns, oldest first
    assert history[0]["role"] == "user"
    # Nothing was deleted: only left out of this request.
    with session_scope() as db:
        assert MessageRepository(db).count_for_chat(chat_id) == 22


def test_service_always_sends_system_prompt_and_new_message(db: str, fake: FakeLLMServer) -> None:
    chat_id = chat_with_history(3, settings=ChatSettings(system_prompt=SYSTEM, max_tokens=200))
    long_message = "Please read this: " + "w " * 900  # fits alone, leaves no room for history
    service_for(fake).send(chat_id, long_message).consume()
    assert sent_messages(fake) == [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": long_message},
    ]


def test_seed_limit_applies_without_context_length(db: str) -> None:
    with FakeLLMServer(flavor="openai", models=[{"id": "ids-only"}]) as fake:
        chat_id = chat_with_history(15, size=10)  # 30 short messages
        from core.providers.llm_studio_api import LMStudioAPIProvider

        provider = LMStudioAPIProvider(fake.url, model="ids-only")
        try:
            ChatService(provider).send(chat_id, "next").consume()
            ChatService(provider, context_limit=4).send(chat_id, "again").consume()
        finally:
            provider.close()
        default, limited = sent_messages(fake, 0), sent_messages(fake, 1)
    assert default[0]["role"] == "system"
    assert len(default) == 1 + 20 + 1  # the seed's limit=20
    assert [m["content"] for m in default[1:-1]] == [
        m["content"] for m in history_of(15, size=10)[-20:]
    ]
    assert [m["content"] for m in limited[1:]] == [  # the last 4 messages, then the new one
        "q14 " + "x" * 10,
        "a14 " + "y" * 10,
        "next",
        "Hello from the fake server.",
        "again",
    ]


def test_service_learns_from_prompt_tokens(db: str, fake: FakeLLMServer) -> None:
    chat_id = chat_with_history(10, settings=ChatSettings(system_prompt=SYSTEM, max_tokens=200))
    service = service_for(fake)
    # The server says the prompt was much shorter than estimated (a tokenizer with long tokens).
    fake.enqueue(
        Reply(
            chunks=["ok"], usage={"prompt_tokens": 150, "completion_tokens": 1, "total_tokens": 151}
        )
    )
    first = service.send(chat_id, "one").consume()
    assert first.result is not None and first.result.prompt_tokens == 150
    service.send(chat_id, "two").consume()

    def long_ones(messages: list[dict[str, str]]) -> int:
        return sum(len(m["content"]) > 100 for m in messages)

    assert long_ones(sent_messages(fake, 1)) > long_ones(sent_messages(fake, 0))
    with session_scope() as db:
        assert ChatRepository(db).get(chat_id).message_count == 24
