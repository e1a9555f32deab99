"""Titles written by the model after the first answer (``core.services.titles``).

Against the fake server, on SQLite and PostgreSQL: a Spanish chat gets the model's title; what the
model writes is cleaned; a failing, slow or silent server leaves the first-words title; a person's
title is never replaced, not even by a rename that lands while the model writes; a chat whose first
answer failed is not retitled; the request is one small non-streamed call. Against the real
llama.cpp engine: a title or ``None``, never anything longer, and a person's title stays.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from core.conf.db import session_scope
from core.providers.llm_studio_api import LMStudioAPIProvider
from core.repositories.chats import ChatRepository, title_from_message
from core.repositories.messages import MessageRepository
from core.schemas import ChatSummary
from core.services import titles
from core.services.chat import ChatService
from core.services.chats import get_chat, new_chat, rename_chat
from core.services.titles import (
    ANSWER_CHARS,
    QUESTION_CHARS,
    TITLE_CHARS,
    TITLE_MAX_TOKENS,
    TITLE_PROMPT,
    TITLE_TEMPERATURE,
    maybe_retitle,
    suggest_title,
)
from devtools.servers import LlamaServer
from tests.conftest import NOTHING_LISTENS_URL
from tests.fakes.fake_llm_server import FakeLLMServer, Reply

QUESTION = (
    "¿Cuál es la capital de Francia? Lo necesito para un examen de geografía que tengo mañana "
    "por la mañana"
)
ANSWER = "La capital de Francia es París, a orillas del Sena."
FIRST_WORDS = title_from_message(QUESTION)
FAKE_MODEL = "smollm2-135m-instruct"  # the fake's loaded model, which answers the chat


@pytest.fixture
def provider(fake_server: FakeLLMServer) -> Iterator[LMStudioAPIProvider]:
    made = LMStudioAPIProvider(fake_server.url)
    yield made
    made.close()


def start_chat(
    provider: LMStudioAPIProvider,
    fake_server: FakeLLMServer,
    question: str = QUESTION,
    answer: Reply | None = None,
) -> int:
    """A chat as the chat page makes it: its first question, answered, titled by its first words."""
    chat_id = new_chat()
    fake_server.enqueue(answer or Reply(chunks=[ANSWER]))
    ChatService(provider).send(chat_id, question).consume()
    return chat_id


def chat(chat_id: int) -> ChatSummary:
    return get_chat(chat_id)


def title_requests(fake_server: FakeLLMServer) -> list[dict[str, Any]]:
    """The title requests the fake received (it recognises them and records them apart)."""
    return [r["json"] for r in fake_server.title_requests]


# --- the model's title ------------------------------------------------------------------------
def test_a_spanish_chat_gets_the_models_title(
    db: str, provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    chat_id = start_chat(provider, fake_server)
    before = chat(chat_id)
    assert (before.title, before.title_by_user) == (FIRST_WORDS, False)
    fake_server.enqueue_title(Reply(chunks=["Capital de Francia"]))

    assert maybe_retitle(chat_id, provider, model=None) == "Capital de Francia"

    after = chat(chat_id)
    assert (after.title, after.title_by_user) == ("Capital de Francia", False)
    assert after.last_activity == before.last_activity  # a title is no activity
    (sent,) = title_requests(fake_server)
    assert sent["model"] == FAKE_MODEL  # model=None: the model that wrote the first answer
    # Once the model wrote a title it stays: asking again sends nothing and changes nothing.
    assert maybe_retitle(chat_id, provider, model="qwen3-8b") is None
    assert chat(chat_id).title == "Capital de Francia"
    assert len(title_requests(fake_server)) == 1


def test_the_request_is_small_and_not_streamed(
    db: str, provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    question = "PREGUNTA-INICIO " + "palabra " * 300 + "PREGUNTA-FIN"
    answer = "RESPUESTA-INICIO " + "texto " * 500 + "RESPUESTA-FIN"
    chat_id = start_chat(provider, fake_server, question, Reply(chunks=[answer]))
    fake_server.enqueue_title(Reply(chunks=["Palabras y textos"]))

    assert maybe_retitle(chat_id, provider, model="qwen3-8b") == "Palabras y textos"

    (sent,) = title_requests(fake_server)
    assert sent["stream"] is False and "stream_options" not in sent
    assert sent["model"] == "qwen3-8b"  # the model asked for
    assert sent["max_tokens"] == TITLE_MAX_TOKENS <= 32
    assert sent["temperature"] == TITLE_TEMPERATURE <= 0.5
    (message,) = sent["messages"]  # one user message, no history, no system prompt
    assert message["role"] == "user"
    prompt = message["content"]
    assert "PREGUNTA-INICIO" in prompt and "RESPUESTA-INICIO" in prompt
    assert "PREGUNTA-FIN" not in prompt and "RESPUESTA-FIN" not in prompt  # both cut
    assert len(prompt) <= len(TITLE_PROMPT) + QUESTION_CHARS + ANSWER_CHARS
    assert "same language as the conversation" in prompt


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(chunks=['"Capital de Francia."']), "Capital de Francia"),
        (Reply(chunks=["Title: ", "Capital de Francia"]), "Capital de Francia"),
        (Reply(chunks=["**Título:** «Capital de Francia»..."]), "Capital de Francia"),
        (
            Reply(chunks=["<think>Spanish, so a Spanish title.</think>", "\n\nCapital de Francia"]),
            "Capital de Francia",
        ),
        (Reply(chunks=["The user asks about France.</think>Capital de Francia"]), "Capital de Francia"),
        (Reply(reasoning=["A short title."], chunks=["Capital de Francia"]), "Capital de Francia"),
        (Reply(chunks=["## Capital de Francia\n\nThis title sums it up."]), "Capital de Francia"),
        (Reply(chunks=["Here is a title:\n“Capital de Francia”"]), "Capital de Francia"),
        (Reply(chunks=["¿Cuál es la capital de Francia?"]), "¿Cuál es la capital de Francia?"),
        (Reply(chunks=["«Cien años de soledad» en breve"]), "«Cien años de soledad» en breve"),
        (Reply(chunks=['"Rojo" y "azul"']), '"Rojo" y "azul"'),
    ],
    ids=[
        "quotes-and-period", "title-label", "markdown-label-guillemets-dots", "think-inline",
        "lone-close-think", "reasoning-field", "heading-and-explanation", "introduction-line",
        "question-mark-kept", "inner-quotes-kept", "two-quoted-words-kept",
    ],
)  # fmt: skip
def test_what_the_model_writes_is_cleaned(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer, reply: Reply, expected: str
) -> None:
    fake_server.enqueue_title(reply)
    assert suggest_title(provider, QUESTION, ANSWER, model=None) == expected


def test_a_long_title_is_cut_like_a_first_words_title(
    provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    # Few words (a sentence of many is no title at all), but long ones: cut at 60 characters.
    rambling = "Extraordinariamente larguísima historia parisina sobre monumentos incomparables"
    fake_server.enqueue_title(Reply(chunks=[rambling + " franceses."]))
    title = suggest_title(provider, QUESTION, ANSWER, model=None)
    assert title is not None and len(title) <= TITLE_CHARS + 1 and title.endswith("…")
    assert rambling.startswith(title[:-1])


def test_a_cleaned_title_is_kept_in_storage(
    db: str, provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    chat_id = start_chat(provider, fake_server)
    fake_server.enqueue_title(Reply(chunks=["<think>Hmm.</think>", 'Title: "París, capital."\n']))
    assert maybe_retitle(chat_id, provider, model=None) == "París, capital"
    assert chat(chat_id).title == "París, capital"


# --- the first words stay -----------------------------------------------------------------------
FAILURES = [
    Reply(status=500),
    Reply(status=400, body={"error": "No models loaded."}),
    Reply(error_frame={"error": {"message": "The model has crashed."}}),
    Reply(malformed=True),
    Reply(chunks=[""]),
    Reply(chunks=["  \n "]),
    Reply(chunks=["<think>The user wants a title, so I should think about"]),
    Reply(chunks=['"..."']),
    Reply(chunks=["Title:"]),
    Reply(chunks=["At most 6 words, in the same language as the conversation"]),  # echoed
    Reply(chunks=["I'm sorry for your loss, but I couldn't find the exact answer you wanted"]),
]
FAILURE_IDS = [
    "500", "no-model", "error-body", "not-json", "empty", "blank", "only-thinking", "punctuation",
    "label-only", "instruction-echoed", "a-sentence",
]  # fmt: skip


@pytest.mark.parametrize("failure", FAILURES, ids=FAILURE_IDS)
def test_a_failing_or_silent_server_keeps_the_first_words(
    db: str, provider: LMStudioAPIProvider, fake_server: FakeLLMServer, failure: Reply
) -> None:
    chat_id = start_chat(provider, fake_server)
    fake_server.default_title = failure  # retries (of the 500) get it too
    assert suggest_title(provider, QUESTION, ANSWER, model=None) is None
    assert maybe_retitle(chat_id, provider, model=None) is None
    assert title_requests(fake_server)  # the model was asked …
    assert (chat(chat_id).title, chat(chat_id).title_by_user) == (FIRST_WORDS, False)  # … in vain


def test_a_slow_model_is_not_waited_for(
    db: str,
    provider: LMStudioAPIProvider,
    fake_server: FakeLLMServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chat_id = start_chat(provider, fake_server)
    monkeypatch.setattr(titles, "TITLE_TIMEOUT", 0.5)
    fake_server.default_title = Reply(chunks=["Capital de Francia"], delay_first=10)
    began = time.monotonic()
    assert maybe_retitle(chat_id, provider, model=None) is None
    assert time.monotonic() - began < 5  # the answer would take 10 s; a timeout is not retried
    assert chat(chat_id).title == FIRST_WORDS


def test_an_unreachable_server_gives_no_title() -> None:
    nowhere = LMStudioAPIProvider(NOTHING_LISTENS_URL, max_retries=0)
    try:
        assert suggest_title(nowhere, QUESTION, ANSWER, model=None) is None
    finally:
        nowhere.close()


@pytest.mark.parametrize("answer", [Reply(status=500), Reply(chunks=[""])], ids=["error", "empty"])
def test_a_chat_whose_first_answer_failed_is_not_retitled(
    db: str, provider: LMStudioAPIProvider, fake_server: FakeLLMServer, answer: Reply
) -> None:
    fake_server.default_reply = answer  # the answer (and its retries) fail
    chat_id = start_chat(provider, fake_server, answer=answer)
    with session_scope() as db_session:
        first = MessageRepository(db_session).first_exchange(chat_id)
    assert [(m.sender, m.content, m.status) for m in first] == [
        ("user", QUESTION, "complete"),
        ("llm", "", "error"),
    ]
    fake_server.default_title = Reply(chunks=["Capital de Francia"])
    assert maybe_retitle(chat_id, provider, model=None) is None
    assert title_requests(fake_server) == []  # nothing to title: the model is not even asked
    assert chat(chat_id).title == FIRST_WORDS
    # Answered again ("Retry"), the chat's first answer is there: now it gets its title.
    fake_server.enqueue(Reply(chunks=[ANSWER]))
    ChatService(provider).regenerate(chat_id).consume()
    assert maybe_retitle(chat_id, provider, model=None) == "Capital de Francia"


def test_no_chat_or_no_answer_yet_gives_none(
    db: str, provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    assert maybe_retitle(424242, provider, model=None) is None  # deleted meanwhile: no raise
    untouched = new_chat()
    assert maybe_retitle(untouched, provider, model=None) is None
    streaming = new_chat()
    reply = ChatService(provider).send(streaming, QUESTION)  # the answer row is "streaming"
    assert maybe_retitle(streaming, provider, model=None) is None
    reply.close()
    assert title_requests(fake_server) == []


def test_a_bug_is_logged_never_raised(
    db: str,
    provider: LMStudioAPIProvider,
    fake_server: FakeLLMServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    chat_id = start_chat(provider, fake_server)

    def broken(*args: Any, **kwargs: Any) -> str | None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(titles, "suggest_title", broken)
    with caplog.at_level(logging.ERROR, logger="charla.titles"):
        assert maybe_retitle(chat_id, provider, model=None) is None
    assert "a bug" in caplog.text
    assert chat(chat_id).title == FIRST_WORDS


# --- a person's title wins --------------------------------------------------------------------
@pytest.mark.parametrize("renamed_to", ["Mi examen", FIRST_WORDS], ids=["other", "same-text"])
def test_a_chat_renamed_by_the_user_is_never_retitled(
    db: str, provider: LMStudioAPIProvider, fake_server: FakeLLMServer, renamed_to: str
) -> None:
    chat_id = start_chat(provider, fake_server)
    assert rename_chat(chat_id, renamed_to).title_by_user
    fake_server.default_title = Reply(chunks=["Capital de Francia"])
    assert maybe_retitle(chat_id, provider, model=None) is None
    assert (chat(chat_id).title, chat(chat_id).title_by_user) == (renamed_to, True)
    assert title_requests(fake_server) == []  # not even asked


def race_rename(chat_id: int, renamed_to: str) -> None:
    rename_chat(chat_id, renamed_to)


def race_other_worker(chat_id: int, renamed_to: str) -> None:
    """Another worker wrote its automatic title first (the flag stays false)."""
    with session_scope(write=True) as db:
        assert ChatRepository(db).replace_automatic_title(chat_id, renamed_to, expected=FIRST_WORDS)


@pytest.mark.parametrize(
    ("meanwhile", "renamed_to", "by_user"),
    [
        (race_rename, "Mi examen", True),
        (race_rename, FIRST_WORDS, True),  # only the flag tells this rename apart
        (race_other_worker, "Otro título", False),  # only the title read tells this one apart
    ],
    ids=["user-renames", "user-renames-to-same-text", "another-automatic-title"],
)
def test_a_rename_while_the_model_writes_wins(
    db: str,
    provider: LMStudioAPIProvider,
    fake_server: FakeLLMServer,
    monkeypatch: pytest.MonkeyPatch,
    meanwhile: Any,
    renamed_to: str,
    by_user: bool,
) -> None:
    chat_id = start_chat(provider, fake_server)
    real_suggest = titles.suggest_title

    def suggest_while_renamed(*args: Any, **kwargs: Any) -> str | None:
        title = real_suggest(*args, **kwargs)  # the model is asked for real …
        meanwhile(chat_id, renamed_to)  # … and the title changes before it is written
        return title

    monkeypatch.setattr(titles, "suggest_title", suggest_while_renamed)
    fake_server.enqueue_title(Reply(chunks=["Capital de Francia"]))
    assert maybe_retitle(chat_id, provider, model=None) is None
    assert (chat(chat_id).title, chat(chat_id).title_by_user) == (renamed_to, by_user)
    assert len(title_requests(fake_server)) == 1


def test_a_title_given_at_creation_is_not_replaced(
    db: str, provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat("Mi título")
    fake_server.enqueue(Reply(chunks=[ANSWER]))
    ChatService(provider).send(chat_id, QUESTION).consume()
    fake_server.default_title = Reply(chunks=["Capital de Francia"])
    assert maybe_retitle(chat_id, provider, model=None) is None
    assert chat(chat_id).title == "Mi título"


def test_an_edited_first_question_is_titled_from_the_new_version(
    db: str, provider: LMStudioAPIProvider, fake_server: FakeLLMServer
) -> None:
    chat_id = start_chat(provider, fake_server, answer=Reply(chunks=[""]))  # failed: no title
    with session_scope() as db_session:
        first = MessageRepository(db_session).first_exchange(chat_id)[0]
    fake_server.enqueue(Reply(chunks=["Roma es la capital de Italia."]))
    ChatService(provider).edit(chat_id, first.id, "¿Y la capital de Italia?").consume()
    assert chat(chat_id).title == FIRST_WORDS  # the first words of the first version
    fake_server.enqueue_title(Reply(chunks=["Capital de Italia"]))
    assert maybe_retitle(chat_id, provider, model=None) == "Capital de Italia"
    (sent,) = title_requests(fake_server)
    assert "¿Y la capital de Italia?" in sent["messages"][0]["content"]
    assert "Francia" not in sent["messages"][0]["content"]


# --- the real engine --------------------------------------------------------------------------
@pytest.fixture
def engine_provider(llama_server: LlamaServer) -> Iterator[LMStudioAPIProvider]:
    made = LMStudioAPIProvider(llama_server.url)
    yield made
    made.close()


@pytest.mark.engine
def test_the_engine_writes_a_short_title_or_none(
    engine_provider: LMStudioAPIProvider, llama_server: LlamaServer
) -> None:
    title = suggest_title(engine_provider, QUESTION, ANSWER, model=llama_server.model)
    assert title is None or (
        title.strip() == title
        and 0 < len(title) <= TITLE_CHARS + 1
        and "\n" not in title
        and "<think>" not in title
    ), title


@pytest.mark.engine
def test_the_engine_never_replaces_a_users_title(
    db: str, engine_provider: LMStudioAPIProvider, llama_server: LlamaServer
) -> None:
    def chat_with_answer() -> int:
        with session_scope(write=True) as db_session:
            chats, messages = ChatRepository(db_session), MessageRepository(db_session)
            chat_id = chats.create(title_from_message(QUESTION)).id  # automatic, as a turn does
            messages.create_message(chat_id, "user", QUESTION)
            messages.create_message(chat_id, "llm", ANSWER, model=llama_server.model)
            return chat_id

    mine = chat_with_answer()
    rename_chat(mine, "Mi examen de geografía")
    assert maybe_retitle(mine, engine_provider, model=llama_server.model) is None
    assert (chat(mine).title, chat(mine).title_by_user) == ("Mi examen de geografía", True)

    automatic = chat_with_answer()
    written = maybe_retitle(automatic, engine_provider, model=None)
    assert chat(automatic).title == (FIRST_WORDS if written is None else written)
