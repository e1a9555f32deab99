"""Eight sessions chatting at once against one database (SQLite and PostgreSQL).

Each thread drives the chat service as a browser session would: its own chat, several turns in a
row, answers streamed from the fake server's ``fake-echo`` model (which answers with the user's own
words, slowly enough that the streams and their progressive saves overlap). Afterwards every chat
must hold exactly its own turns, in order, each answer complete and echoing its own question: no
"database is locked", no lost, duplicated or misplaced message, and the chats' counters agree.
"""

from __future__ import annotations

import threading

from sqlalchemy import text

from core.conf.db import SessionLocal, get_engine
from core.providers.llm_studio_api import LMStudioAPIProvider
from core.repositories.messages import MessageRepository
from core.services.chat import ChatService
from core.services.chats import new_chat
from tests.fakes.fake_llm_server import FakeLLMServer

SESSIONS = 8
TURNS = 6


def test_eight_sessions_chat_at_once_without_loss_or_mixing(
    db: str, fake_server: FakeLLMServer
) -> None:
    provider = LMStudioAPIProvider(fake_server.url, "fake-echo")
    service = ChatService(provider, save_interval=0.0)  # save at every chunk: maximum contention
    chat_ids = [new_chat(f"session {n}") for n in range(SESSIONS)]
    failures: list[BaseException] = []
    start = threading.Barrier(SESSIONS)

    def session(n: int) -> None:
        try:
            start.wait()
            for turn in range(TURNS):
                with service.send(chat_ids[n], f"session {n} turn {turn} says hello") as reply:
                    "".join(reply)
                if reply.status != "complete":
                    raise AssertionError(f"session {n} turn {turn}: {reply.status} {reply.error}")
        except BaseException as exc:  # collected and re-raised in the main thread
            failures.append(exc)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures
    provider.close()

    db_session = SessionLocal()
    try:
        repo = MessageRepository(db_session)
        for n, chat_id in enumerate(chat_ids):
            messages = repo.list_for_chat(chat_id)
            expected = []
            for turn in range(TURNS):
                question = f"session {n} turn {turn} says hello"
                expected += [
                    ("user", question, "complete"),
                    ("llm", f"echo: {question} ", "complete"),
                ]
            assert [(m.sender, m.content, m.status) for m in messages] == expected
    finally:
        db_session.close()
    with get_engine().connect() as connection:
        assert (
            connection.execute(text("SELECT count(*) FROM messages")).scalar()
            == SESSIONS * TURNS * 2
        )
        assert (
            connection.execute(
                text(
                    "SELECT count(*) FROM chats c WHERE c.message_count !="
                    " (SELECT count(*) FROM messages m WHERE m.chat_id = c.id)"
                )
            ).scalar()
            == 0
        )
    assert len(fake_server.requests) == SESSIONS * TURNS
