"""The chat service (issue 2, section 5) against the fake server, on SQLite and PostgreSQL, and
against the real llama.cpp engine.

What is checked is what the user sees (the streamed text, the error message) and what is stored
(read back through another session, as another page or process would): the user's message is
committed before the model is called, the answer is saved while it streams, and it ends as
``complete``, ``stopped`` or ``error`` with its text, parameters and statistics.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core import errors
from core.conf.db import session_scope
from core.conf.settings import reset_settings
from core.i18n import stored_error_text
from core.providers.llm_studio_api import LMStudioAPIProvider, Timeouts, reset_provider
from core.repositories.app_settings import AppSettingsRepository
from core.repositories.chats import ChatRepository, title_from_message
from core.repositories.messages import MessageRepository
from core.schemas import ChatSettings, MessageRecord
from core.services.chat import ChatService
from core.services.chats import new_chat, open_chat, select_version
from core.services.liveness import mark_interrupted_answers
from core.services.seed_flow import complete_chat_flow
from devtools.servers import LlamaServer
from tests.fakes.fake_llm_server import FakeLLMServer, Reply

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FAKE_MODEL = "smollm2-135m-instruct"  # the fake's loaded model


def stored(chat_id: int) -> list[MessageRecord]:
    """The chat's messages as another session sees them (committed data only)."""
    with session_scope() as db:
        return MessageRepository(db).list_for_chat(chat_id)


def answer_row(answer_id: int) -> MessageRecord:
    with session_scope() as db:
        return MessageRepository(db).get(answer_id)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll until ``condition`` holds (the timeout only guards against a hang)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def endless() -> Reply:
    return Reply(chunks=["tick "], delay_between=0.01, repeat_forever=True)


@pytest.fixture
def service(db: str, fake_server: FakeLLMServer) -> ChatService:
    """The service as the app builds it: the provider comes from the configuration."""
    return ChatService()


@pytest.fixture
def impatient(db: str, fake_server: FakeLLMServer) -> Iterator[ChatService]:
    provider = LMStudioAPIProvider(fake_server.url, timeouts=Timeouts(connect=5, read=0.3))
    yield ChatService(provider)
    provider.close()


# --- the user's message comes first -----------------------------------------------------------
def test_user_message_is_committed_before_the_model_is_called(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["Bien", ", gracias."]))
    reply = service.send(chat_id, "Hola, ¿cómo estás?")
    # Nothing was sent to the model yet, and another session already sees the user's message.
    assert fake_server.requests == []
    user, answer = stored(chat_id)
    assert (user.sender, user.content, user.status) == ("user", "Hola, ¿cómo estás?", "complete")
    assert (answer.sender, answer.content, answer.status) == ("llm", "", "streaming")
    assert reply.user_message.id == user.id and reply.answer_id == answer.id

    first = next(iter(reply))
    assert first == "Bien"
    assert len(fake_server.requests) == 1
    assert fake_server.requests[0]["json"]["messages"][-1] == {
        "role": "user",
        "content": "Hola, ¿cómo estás?",
    }
    reply.consume()
    assert [m.content for m in stored(chat_id)] == ["Hola, ¿cómo estás?", "Bien, gracias."]


def test_user_message_is_visible_while_the_model_is_still_thinking(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["ok"], delay_first=30))
    reply = service.send(chat_id, "¿Estás ahí?")
    consumer = threading.Thread(target=reply.consume)
    consumer.start()
    wait_until(lambda: len(fake_server.requests) == 1, "the request")
    # The model is working on it (no byte of the answer yet): the question is stored.
    assert [(m.content, m.status) for m in stored(chat_id)] == [
        ("¿Estás ahí?", "complete"),
        ("", "streaming"),
    ]
    fake_server.stop()  # the server goes away mid-request
    consumer.join(30)
    assert not consumer.is_alive()
    user, answer = stored(chat_id)
    assert user.content == "¿Estás ahí?"
    assert answer.status == "error" and reply.error is not None


@pytest.mark.parametrize(
    "failure",
    [
        Reply(status=500),
        Reply(status=400, body={"error": "No models loaded."}),
        Reply(status=401, body={"error": {"message": "Invalid API key"}}),
    ],
    ids=["500", "no-model", "401"],
)
def test_a_failing_server_keeps_the_users_message(
    service: ChatService, fake_server: FakeLLMServer, failure: Reply
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(failure, failure, failure)
    reply = service.send(chat_id, "Mi pregunta importante")
    assert list(reply) == []  # iteration never raises …
    assert reply.status == "error" and isinstance(reply.error, errors.ProviderError)  # … it tells
    user, answer = stored(chat_id)
    assert (user.sender, user.content) == ("user", "Mi pregunta importante")
    assert (answer.status, answer.content) == ("error", "")
    assert (answer.error_code, answer.error_params) == reply.error.stored


def test_server_not_running_keeps_the_users_message(db: str) -> None:
    chat_id = new_chat()  # LM_STUDIO_URL points where nothing listens
    reply = ChatService().send(chat_id, "¿Hay alguien?").consume()
    assert isinstance(reply.error, errors.ServerUnreachable)
    assert "Start LM Studio" in str(reply.error)
    user, answer = stored(chat_id)
    assert user.content == "¿Hay alguien?"
    assert answer.status == "error"
    assert "Cannot reach the model server" in answer.error_text("en")


def test_empty_or_unknown_refused_before_anything_is_stored(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    for text in ("", "   ", "\n\t"):
        with pytest.raises(errors.InputError) as info:
            service.send(chat_id, text)
        assert "The message is empty" in info.value.user_message("en")
        assert "vacío" in info.value.user_message("es")
    with pytest.raises(errors.ChatNotFound):
        service.send(987654, "hola")
    assert stored(chat_id) == []
    assert fake_server.requests == []
    with session_scope() as db:
        assert ChatRepository(db).get(chat_id).title == ""


# --- a complete answer ------------------------------------------------------------------------
def test_streamed_text_is_the_stored_content_with_stats(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    usage = {"prompt_tokens": 31, "completion_tokens": 6, "total_tokens": 37}
    fake_server.enqueue(
        Reply(
            chunks=["Python", " es", " un", " lenguaje", " de", " programación."],
            usage=usage,
            model="the-model-that-answered",
            delay_between=0.005,
        )
    )
    with service.send(chat_id, "Explícame qué es Python") as reply:
        streamed = list(reply)
    text = "".join(streamed)
    assert text == "Python es un lenguaje de programación."
    assert reply.status == "complete" and reply.error is None
    answer = answer_row(reply.answer_id)
    assert reply.result == answer
    assert (answer.content, answer.reasoning, answer.status, answer.error) == (
        text,
        "",
        "complete",
        None,
    )
    assert (answer.prompt_tokens, answer.completion_tokens) == (31, 6)  # from usage
    assert answer.finish_reason == "stop"
    assert answer.model == "the-model-that-answered"  # the model actually used
    assert answer.time_to_first_token is not None and answer.time_to_first_token > 0
    assert answer.tokens_per_second is not None and answer.tokens_per_second > 0


def test_tokens_are_counted_when_the_server_sends_no_usage(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["a", "b", "c", "d"], usage=None, finish_reason="length"))
    reply = service.send(chat_id, "cuenta").consume()
    answer = answer_row(reply.answer_id)
    assert answer.completion_tokens == 4
    # No usage: the prompt's size is counted from what was sent (system prompt + "cuenta").
    sent = fake_server.requests[-1]["json"]["messages"]
    assert answer.prompt_tokens == service.estimator.count(sent, answer.model)
    assert answer.finish_reason == "length"
    assert answer.tokens_per_second is not None and answer.tokens_per_second > 0


@pytest.mark.parametrize(
    ("served", "content", "reasoning"),
    [
        (
            Reply(reasoning=["El usuario", " saluda."], chunks=["¡Hola!"]),
            "¡Hola!",
            "El usuario saluda.",
        ),
        (
            Reply(
                reasoning=["El usuario", " saluda."], reasoning_field="reasoning", chunks=["¡Hola!"]
            ),
            "¡Hola!",
            "El usuario saluda.",
        ),
        (
            Reply(chunks=["<think>", "El usuario", " saluda.</th", "ink>\n\n", "¡Hola!"]),
            "¡Hola!",
            "El usuario saluda.",
        ),
    ],
    ids=["reasoning_content", "reasoning", "inline-think"],
)
def test_reasoning_is_stored_apart(
    service: ChatService, fake_server: FakeLLMServer, served: Reply, content: str, reasoning: str
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(served)
    seen: list[str] = []
    reply = service.send(chat_id, "Hola", on_reasoning=seen.append)
    assert "".join(reply) == content
    assert seen[-1] == reasoning  # the page shows the reasoning as it grows, apart
    answer = answer_row(reply.answer_id)
    assert (answer.content, answer.reasoning, answer.status) == (content, reasoning, "complete")
    # and the reasoning is never sent back to the model
    fake_server.enqueue(Reply(chunks=["Bien."]))
    service.send(chat_id, "¿Y bien?").consume()
    assert fake_server.requests[-1]["json"]["messages"][-2] == {
        "role": "assistant",
        "content": content,
    }


def test_missing_opening_think_tag_moves_text_to_reasoning(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["Pienso", " un poco", "</think>", "\n\nRespuesta."]))
    seen: list[str] = []
    reply = service.send(chat_id, "Hola", on_reasoning=seen.append).consume()
    assert seen[-1] == "Pienso un poco"
    answer = answer_row(reply.answer_id)
    assert (answer.content, answer.reasoning) == ("Respuesta.", "Pienso un poco")


def test_parameters_used_are_sent_and_stored(db: str, fake_server: FakeLLMServer) -> None:
    """A chat with settings of its own sends exactly them; one without follows the defaults.
    Nothing left unset is sent (the server's default applies), and what is stored with the
    answer is exactly what the request carried."""
    with session_scope(write=True) as session:
        AppSettingsRepository(session).set_generation_defaults(
            ChatSettings(temperature=0.5, top_p=0.8, system_prompt="Sé breve.")
        )
    own = new_chat(
        "params",
        ChatSettings(
            temperature=0.1, max_tokens=50, top_k=20, repeat_penalty=1.2, seed=11, stop=("###",)
        ),
    )
    reply = ChatService().send(own, "Hola").consume()
    sent = fake_server.requests[-1]["json"]
    assert sent["model"] == FAKE_MODEL  # no model configured: the first loaded one
    assert sent["messages"] == [{"role": "user", "content": "Hola"}]  # no system prompt of its own
    expected = {
        "temperature": 0.1,
        "max_tokens": 50,
        "top_k": 20,
        "repeat_penalty": 1.2,
        "seed": 11,
        "stop": ["###"],
    }
    assert {key: sent[key] for key in expected} == expected
    assert "top_p" not in sent  # the chat's own settings leave it to the server
    answer = answer_row(reply.answer_id)
    assert answer.params == expected
    assert answer.model == FAKE_MODEL

    follows = new_chat("defaults")
    reply = ChatService().send(follows, "Hola").consume()
    sent = fake_server.requests[-1]["json"]
    assert sent["messages"][0] == {"role": "system", "content": "Sé breve."}
    assert (sent["temperature"], sent["top_p"]) == (0.5, 0.8)
    assert "max_tokens" not in sent and "seed" not in sent
    assert answer_row(reply.answer_id).params == {
        "temperature": 0.5,
        "top_p": 0.8,
        "system_prompt": "Sé breve.",
    }


def test_configured_model_is_used(
    db: str, fake_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LM_STUDIO_MODEL", "qwen3-8b")
    reset_settings()
    reset_provider()
    chat_id = new_chat()
    ChatService().send(chat_id, "Hola").consume()
    assert fake_server.requests[-1]["json"]["model"] == "qwen3-8b"


def test_chat_title_from_the_first_message(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    first = (
        "¿Cuál es la capital de Francia? Lo necesito para un examen de geografía "
        "que tengo mañana por la mañana"
    )
    chat_id = new_chat()
    service.send(chat_id, first).consume()
    service.send(chat_id, "Otra pregunta").consume()
    with session_scope() as db:
        title = ChatRepository(db).get(chat_id).title
    assert title == title_from_message(first)
    assert title.startswith("¿Cuál es la capital de Francia?") and len(title) <= 61
    named = new_chat("Mi título")
    service.send(named, first).consume()
    with session_scope() as db:
        assert ChatRepository(db).get(named).title == "Mi título"


# --- stopped ----------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["with-break", "close"])
def test_stopping_saves_what_was_shown(
    service: ChatService, fake_server: FakeLLMServer, how: str
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(endless())
    shown: list[str] = []
    if how == "with-break":  # st.write_stream inside `with`: Stop or a rerun leaves the block
        with service.send(chat_id, "Cuenta sin parar") as reply:
            for chunk in reply:
                shown.append(chunk)
                if len(shown) == 5:
                    break
    else:
        reply = service.send(chat_id, "Cuenta sin parar")
        chunks = iter(reply)
        shown = [next(chunks) for _ in range(5)]
        reply.close()
    assert fake_server.wait_for_disconnect(10)  # the server was told to stop generating
    assert reply.status == "stopped" and reply.error is None
    answer = answer_row(reply.answer_id)
    assert (answer.status, answer.content, answer.error) == ("stopped", "".join(shown), None)
    assert answer.content == "tick " * 5
    # a stopped partial answer is part of the conversation from now on
    service.send(chat_id, "Sigue").consume()
    assert fake_server.requests[-1]["json"]["messages"][-2] == {
        "role": "assistant",
        "content": "tick " * 5,
    }


def test_closing_before_reading_leaves_no_answer_streaming(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    """A rerun can end the page before ``st.write_stream`` starts reading the reply."""
    chat_id = new_chat()
    with service.send(chat_id, "Hola"):
        pass
    user, answer = stored(chat_id)
    assert user.content == "Hola"
    assert answer.status == "stopped"
    assert fake_server.requests == []


# --- errors -----------------------------------------------------------------------------------
FAULTS = [
    (
        Reply(
            chunks=["Parcial", " respuesta"], error_frame={"error": {"message": "Model unloaded"}}
        ),
        errors.StreamFailed,
        "Parcial respuesta",
        "Model unloaded",
    ),
    (
        Reply(chunks=["Parcial", " respuesta"], cut=True),
        errors.StreamInterrupted,
        "Parcial respuesta",
        "cut off",
    ),
    (
        Reply(chunks=["Parcial", " respuesta"], no_done=True),
        errors.StreamInterrupted,
        "Parcial respuesta",
        "cut off",
    ),
    (
        Reply(chunks=["Parcial", " respuesta"], malformed=True),
        errors.StreamFailed,
        "Parcial respuesta",
        "malformed",
    ),
    (Reply(chunks=[]), errors.EmptyAnswer, "", "without writing anything"),
    (
        Reply(
            status=400,
            body={
                "error": {
                    "message": "Trying to keep the first 9000 tokens when context the overflows."
                }
            },
        ),
        errors.ContextOverflow,
        "",
        "too long for the model's context",
    ),
    (
        Reply(
            chunks=[],
            error_frame={
                "error": "Trying to keep the first 9000 tokens when context the overflows."
            },
        ),
        errors.ContextOverflow,
        "",
        "too long for the model's context",
    ),
    (
        Reply(
            status=400,
            body={"error": {"message": 'Invalid model identifier "x".', "code": "model_not_found"}},
        ),
        errors.ModelNotFound,
        "",
        "does not know the model",
    ),
]


@pytest.mark.parametrize(
    ("served", "kind", "partial", "phrase"),
    FAULTS,
    ids=[f"{f[1].__name__}-{i}" for i, f in enumerate(FAULTS)],
)
def test_faults_keep_partial_text_and_the_error(
    service: ChatService,
    fake_server: FakeLLMServer,
    served: Reply,
    kind: type[errors.ProviderError],
    partial: str,
    phrase: str,
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(served)
    reply = service.send(chat_id, "Pregunta")
    shown = "".join(reply)
    assert shown == partial
    assert reply.status == "error"
    assert type(reply.error) is kind
    assert phrase in str(reply.error)
    answer = answer_row(reply.answer_id)
    assert (answer.status, answer.content) == ("error", partial)
    assert (answer.error_code, answer.error_params) == reply.error.stored
    assert stored(chat_id)[0].content == "Pregunta"


def test_timeout_mid_answer_keeps_partial_text(
    impatient: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["Uno", " dos", " tres"], stall_after=2))
    reply = impatient.send(chat_id, "Cuenta")
    assert "".join(reply) == "Uno dos"
    assert isinstance(reply.error, errors.ProviderTimeout)
    answer = answer_row(reply.answer_id)
    assert (answer.status, answer.content) == ("error", "Uno dos")
    assert "LM_STUDIO_READ_TIMEOUT" in answer.error_text("en")


def test_api_key_never_stored(
    db: str, fake_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-very-secret-key-123"
    monkeypatch.setenv("LM_STUDIO_API_KEY", key)
    reset_settings()
    reset_provider()
    chat_id = new_chat()
    fake_server.enqueue(Reply(status=400, body={"error": f"Bad key {key} for this model"}))
    reply = ChatService().send(chat_id, "Hola").consume()
    assert reply.status == "error"
    assert fake_server.requests[-1]["headers"]["authorization"] == f"Bearer {key}"
    for message in stored(chat_id):
        assert key not in repr(message)


# --- saving while streaming -------------------------------------------------------------------
def test_answer_is_saved_while_it_streams(db: str, fake_server: FakeLLMServer) -> None:
    chat_id = new_chat()
    service = ChatService(save_interval=0)
    fake_server.enqueue(Reply(chunks=["Uno", " dos", " tres", " cuatro"], stall_after=3))
    reply = service.send(chat_id, "Cuenta hasta cuatro")
    shown: list[str] = []
    consumer = threading.Thread(target=lambda: shown.extend(reply))
    consumer.start()
    # The server stalls after three chunks; another session already sees them.
    wait_until(lambda: answer_row(reply.answer_id).content == "Uno dos tres", "the saved text")
    assert answer_row(reply.answer_id).status == "streaming"
    fake_server.stop()  # the server dies mid-answer
    consumer.join(30)
    assert not consumer.is_alive()
    answer = answer_row(reply.answer_id)
    assert (answer.status, answer.content) == ("error", "Uno dos tres")
    assert "".join(shown) == "Uno dos tres"


def test_each_chunk_is_saved_before_the_next_one_is_read(
    db: str, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["a", "b", "c", "d"]))
    reply = ChatService(save_interval=0).send(chat_id, "letras")
    seen = []
    for chunk in reply:
        seen.append(chunk)
        # everything before the chunk just shown is already committed
        assert answer_row(reply.answer_id).content in ("".join(seen[:-1]), "".join(seen))
    assert answer_row(reply.answer_id).content == "abcd"


CRASHING_WRITER = """
import sys
from core.services.chat import ChatService
reply = ChatService(save_interval=0).send(int(sys.argv[1]), "Escribe sin parar")
for chunk in reply:
    pass
"""


def test_a_killed_process_keeps_the_saved_text_and_is_marked_interrupted(
    db: str, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(endless())
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    writer = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, str(chat_id)],
        cwd=PROJECT_ROOT,
        env=env,
        stderr=subprocess.PIPE,
    )
    try:

        def saved_some() -> bool:
            assert writer.poll() is None, writer.communicate()[1]
            rows = stored(chat_id)
            return len(rows) == 2 and rows[1].content.startswith("tick tick ")

        wait_until(saved_some, "the writer to save some text")
    finally:
        writer.send_signal(signal.SIGKILL)  # no chance to finish the row
        writer.communicate(timeout=30)
    before = stored(chat_id)[1]
    assert before.status == "streaming" and before.content.startswith("tick tick ")
    assert mark_interrupted_answers() == 1  # at the next start
    after = answer_row(before.id)
    assert after.status == "stopped" and after.error_code == "error.interrupted"
    assert after.content == before.content  # what was saved is kept
    assert mark_interrupted_answers() == 0


def test_answers_of_a_live_process_are_not_marked_interrupted(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(endless())
    with service.send(chat_id, "Hola") as reply:
        next(iter(reply))
        assert mark_interrupted_answers() == 0  # this process is alive and still writing
        assert answer_row(reply.answer_id).status == "streaming"
    assert answer_row(reply.answer_id).status == "stopped"


# --- regenerate / edit: versions, nothing replaced ------------------------------------------------
def branch(chat_id: int) -> list[tuple[str, str]]:
    """(sender, content) of the selected branch."""
    return [(m.sender, m.content) for m in open_chat(chat_id).messages]


def test_regenerate_adds_a_version_and_keeps_the_old_answer(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["Primera"]), Reply(chunks=["Segunda"]))
    first = service.send(chat_id, "Pregunta").consume()
    reply = service.regenerate(chat_id).consume()
    assert reply.content == "Segunda"
    assert branch(chat_id) == [("user", "Pregunta"), ("llm", "Segunda")]
    # Nothing was deleted: the first answer is another version of the same position.
    assert [(m.sender, m.content) for m in stored(chat_id)] == [
        ("user", "Pregunta"),
        ("llm", "Primera"),
        ("llm", "Segunda"),
    ]
    view = open_chat(chat_id)
    versions = view.versions[reply.answer_id]
    assert (versions.index, versions.count, versions.previous_id) == (2, 2, first.answer_id)
    sent = fake_server.requests[-1]["json"]["messages"]
    assert sent[1:] == [{"role": "user", "content": "Pregunta"}]  # the old answer is not sent
    with session_scope() as db:
        assert ChatRepository(db).get(chat_id).message_count == 3


def test_regenerate_an_answer_in_the_middle(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["Uno"]), Reply(chunks=["Dos"]), Reply(chunks=["Uno bis"]))
    first = service.send(chat_id, "Primera").consume()
    service.send(chat_id, "Segunda").consume()
    redo = service.regenerate(chat_id, first.answer_id).consume()
    assert redo.content == "Uno bis"
    assert branch(chat_id) == [("user", "Primera"), ("llm", "Uno bis")]
    # Only the branch up to the regenerated answer's question was sent.
    assert fake_server.requests[-1]["json"]["messages"][1:] == [
        {"role": "user", "content": "Primera"}
    ]
    # Flipping back shows the old branch to its end, and the next message continues it.
    select_version(first.answer_id)
    assert branch(chat_id) == [
        ("user", "Primera"), ("llm", "Uno"), ("user", "Segunda"), ("llm", "Dos"),
    ]  # fmt: skip
    fake_server.enqueue(Reply(chunks=["Tres"]))
    service.send(chat_id, "Tercera").consume()
    assert fake_server.requests[-1]["json"]["messages"][1:] == [
        {"role": "user", "content": "Primera"},
        {"role": "assistant", "content": "Uno"},
        {"role": "user", "content": "Segunda"},
        {"role": "assistant", "content": "Dos"},
        {"role": "user", "content": "Tercera"},
    ]


def test_retry_after_an_error_keeps_the_failed_attempt(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(
        Reply(status=400, body={"error": "temporarily refused"}), Reply(chunks=["Ahora sí"])
    )
    failed = service.send(chat_id, "Pregunta").consume()
    assert failed.status == "error"
    assert service.regenerate(chat_id).consume().status == "complete"
    assert branch(chat_id) == [("user", "Pregunta"), ("llm", "Ahora sí")]
    assert [(m.content, m.status) for m in stored(chat_id)] == [
        ("Pregunta", "complete"),
        ("", "error"),
        ("Ahora sí", "complete"),
    ]


def test_edit_any_user_message_adds_a_version_and_answers_it(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["Uno"]), Reply(chunks=["Dos"]), Reply(chunks=["Tres"]))
    first = service.send(chat_id, "Primera pregunta").consume()
    service.send(chat_id, "Segunda pregunta").consume()
    reply = service.edit(chat_id, first.user_message.id, "Primera, corregida").consume()
    assert reply.content == "Tres"
    assert branch(chat_id) == [("user", "Primera, corregida"), ("llm", "Tres")]
    assert fake_server.requests[-1]["json"]["messages"][1:] == [
        {"role": "user", "content": "Primera, corregida"}
    ]
    assert len(stored(chat_id)) == 6  # both versions of the whole conversation
    view = open_chat(chat_id)
    assert view.versions[reply.user_message.id].count == 2
    select_version(first.user_message.id)
    assert [m for _, m in branch(chat_id)] == [
        "Primera pregunta", "Uno", "Segunda pregunta", "Dos",
    ]  # fmt: skip


def test_edit_and_resend_edits_the_last_user_message(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["Uno"]), Reply(chunks=["Dos"]), Reply(chunks=["Tres"]))
    service.send(chat_id, "Primera pregunta").consume()
    service.send(chat_id, "Segunda pregunta").consume()
    reply = service.edit_and_resend(chat_id, "Segunda pregunta, corregida").consume()
    assert reply.content == "Tres"
    assert [m for _, m in branch(chat_id)] == [
        "Primera pregunta",
        "Uno",
        "Segunda pregunta, corregida",
        "Tres",
    ]
    assert fake_server.requests[-1]["json"]["messages"][1:] == [
        {"role": "user", "content": "Primera pregunta"},
        {"role": "assistant", "content": "Uno"},
        {"role": "user", "content": "Segunda pregunta, corregida"},
    ]
    with pytest.raises(errors.InputError):
        service.edit_and_resend(chat_id, "  ")
    with pytest.raises(errors.InputError):  # answers are regenerated, not edited
        service.edit(chat_id, reply.answer_id, "otra cosa")
    assert len(stored(chat_id)) == 6


def test_nothing_to_regenerate(service: ChatService) -> None:
    chat_id = new_chat()
    with pytest.raises(errors.InputError) as info:
        service.regenerate(chat_id)
    assert "no message to answer again" in info.value.user_message("en")
    with pytest.raises(errors.ChatNotFound):
        service.regenerate(123456)


def test_open_chat_and_unknown_chat(service: ChatService, fake_server: FakeLLMServer) -> None:
    chat_id = new_chat()
    service.send(chat_id, "Hola").consume()
    assert [m.role for m in open_chat(chat_id).messages] == ["user", "assistant"]
    with pytest.raises(errors.ChatNotFound):
        open_chat(555555)


# --- the seed's flow, non-streamed ------------------------------------------------------------
def test_complete_chat_flow_stores_both_messages(db: str, fake_server: FakeLLMServer) -> None:
    import asyncio

    chat_id = new_chat()
    fake_server.enqueue(
        Reply(
            chunks=["¡Hola!", " Estoy bien."],
            usage={"prompt_tokens": 20, "completion_tokens": 4, "total_tokens": 24},
        )
    )
    answer = asyncio.run(complete_chat_flow(chat_id, "Hola, ¿cómo estás?"))
    assert answer == "¡Hola! Estoy bien."
    user, llm = stored(chat_id)
    assert (user.sender, user.content) == ("user", "Hola, ¿cómo estás?")
    assert (llm.sender, llm.content, llm.status) == ("llm", "¡Hola! Estoy bien.", "complete")
    assert (llm.prompt_tokens, llm.completion_tokens) == (20, 4)
    sent = fake_server.requests[-1]["json"]
    assert sent["messages"][0] == {
        "role": "system",
        "content": "Eres un asistente inteligente y útil.",
    }
    assert sent["temperature"] == 0.7 and sent["stream"] is False


def test_complete_chat_flow_keeps_the_users_message_on_failure(
    db: str, fake_server: FakeLLMServer
) -> None:
    import asyncio

    chat_id = new_chat()
    fake_server.enqueue(Reply(status=400, body={"error": "No models loaded."}))
    with pytest.raises(errors.NoModelLoaded):
        asyncio.run(complete_chat_flow(chat_id, "¿Sigues ahí?"))
    user, llm = stored(chat_id)
    assert user.content == "¿Sigues ahí?"
    assert (llm.status, llm.content) == ("error", "")
    # Stored as a code with its parameters, not a sentence: shown in the reader's language.
    assert (llm.error_code, llm.error) == ("error.no_model", None)
    assert "no model loaded" in stored_error_text(llm.error_code, llm.error_params, None, "en")
    assert "ningún modelo cargado" in stored_error_text(
        llm.error_code, llm.error_params, None, "es"
    )


THINKING_SHAPES = {
    "inline": Reply(chunks=["<think>Let me see.</think>\n\n", "Four."]),
    "no opening tag": Reply(chunks=["Let me see.</think>", "Four."]),
    "reasoning_content": Reply(chunks=["Four."], reasoning=["Let me see."]),
    "reasoning": Reply(chunks=["Four."], reasoning=["Let me see."], reasoning_field="reasoning"),
}


@pytest.mark.parametrize("shape", list(THINKING_SHAPES))
def test_complete_chat_flow_keeps_reasoning_apart(
    db: str, fake_server: FakeLLMServer, shape: str
) -> None:
    """The seed's model (qwen3) thinks out loud: its thinking is stored apart, never returned as
    the answer and never sent back to the model as context."""
    import asyncio

    chat_id = new_chat()
    fake_server.enqueue(THINKING_SHAPES[shape], Reply(chunks=["Five."]))
    answer = asyncio.run(complete_chat_flow(chat_id, "2 + 2?"))
    assert answer == "Four."
    _, llm = stored(chat_id)
    assert (llm.content, llm.reasoning) == ("Four.", "Let me see.")
    asyncio.run(complete_chat_flow(chat_id, "And 2 + 3?"))
    sent = fake_server.requests[-1]["json"]["messages"]
    assert sent[1:] == [
        {"role": "user", "content": "2 + 2?"},
        {"role": "assistant", "content": "Four."},
        {"role": "user", "content": "And 2 + 3?"},
    ]


# --- the real engine --------------------------------------------------------------------------
ENGINE_SETTINGS = ChatSettings(
    temperature=0.0, seed=42, max_tokens=12, system_prompt="You are a helpful assistant."
)


@pytest.fixture
def engine_service(
    db: str, llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch
) -> ChatService:
    monkeypatch.setenv("LM_STUDIO_URL", llama_server.url)
    reset_settings()
    reset_provider()
    return ChatService()


@pytest.mark.engine
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_engine_streams_and_stores_the_answer(
    engine_service: ChatService, llama_server: LlamaServer
) -> None:
    chat_id = new_chat("engine", ENGINE_SETTINGS)
    reply = engine_service.send(chat_id, "What is the capital of France?")
    streamed = list(reply)
    assert reply.status == "complete", reply.error
    text = "".join(streamed)
    assert text.strip()
    user, answer = stored(chat_id)
    assert user.content == "What is the capital of France?"
    assert (answer.content, answer.status, answer.error) == (text, "complete", None)
    assert answer.finish_reason in ("stop", "length")
    # llama.cpp's server sends no usage when streaming: the tokens were counted
    assert answer.completion_tokens is not None and 1 <= answer.completion_tokens <= 12
    assert answer.time_to_first_token is not None and answer.time_to_first_token > 0
    assert answer.tokens_per_second is not None and answer.tokens_per_second > 0
    assert answer.params == {
        "temperature": 0.0,
        "max_tokens": 12,
        "seed": 42,
        "system_prompt": "You are a helpful assistant.",
    }
    assert answer.model  # what the engine reported
    # a second turn carries the first as context
    second = engine_service.send(chat_id, "And of Spain?").consume()
    assert second.status == "complete"
    assert [m.sender for m in stored(chat_id)] == ["user", "llm", "user", "llm"]


@pytest.mark.engine
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_engine_stop_mid_answer(engine_service: ChatService) -> None:
    chat_id = new_chat("engine", replace_settings(max_tokens=64))
    shown: list[str] = []
    with engine_service.send(chat_id, "Count from one to fifty in words.") as reply:
        for chunk in reply:
            shown.append(chunk)
            if len(shown) == 3:
                break
    answer = answer_row(reply.answer_id)
    assert (answer.status, answer.content) == ("stopped", "".join(shown))


@pytest.mark.engine
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_engine_prompt_too_long_for_its_context(engine_service: ChatService) -> None:
    chat_id = new_chat("engine", ENGINE_SETTINGS)
    huge = "Please summarise: " + "lorem ipsum dolor sit amet " * 600  # beyond n_ctx=2048
    reply = engine_service.send(chat_id, huge).consume()
    assert reply.status == "error"
    message = str(reply.error)
    assert "context" in message  # the advice names the likely cause …
    assert "cut off" not in message  # … not a network cut
    user, answer = stored(chat_id)
    assert user.content == huge
    assert (answer.status, answer.content, answer.error_text("en")) == ("error", "", message)


@pytest.mark.engine
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_engine_regenerate_is_deterministic_with_seed_and_temperature_0(
    engine_service: ChatService,
) -> None:
    chat_id = new_chat("engine", ENGINE_SETTINGS)
    first = engine_service.send(chat_id, "Name a colour.").consume()
    again = engine_service.regenerate(chat_id).consume()
    assert first.status == again.status == "complete"
    assert again.content == first.content
    assert len(stored(chat_id)) == 3  # both answers are kept, as two versions


def replace_settings(**changes: Any) -> ChatSettings:
    from dataclasses import replace

    return replace(ENGINE_SETTINGS, **changes)
