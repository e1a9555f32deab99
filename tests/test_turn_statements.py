"""What a turn costs the database before its request goes out (the time to first chunk).

:meth:`ChatService._plan` reads the chat's settings in one short transaction and writes the turn in
one more: a claim of the chat's row (owner, lock, counters, title), the liveness check, the two
messages and one read of the context with its files. The counts below are what that takes; the
path used three transactions and about twenty statements before. On SQLite and PostgreSQL, against
the fake server (which says its models' context, so no learnt window is read).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from sqlalchemy import event

from core.conf import db as conf_db
from core.services.chat import ChatService
from core.services.chats import new_chat
from tests.fakes.fake_llm_server import FakeLLMServer, Reply


@dataclass
class Seen:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0


@contextmanager
def counting() -> Iterator[Seen]:
    """The statements (SQLite's own BEGINs left out: PostgreSQL's are not statements) and the
    transactions run on the app's engine meanwhile."""
    engine = conf_db.get_engine()
    seen = Seen()

    def statement(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if not sql.startswith("BEGIN"):
            seen.statements.append(" ".join(sql.split()))

    def begin(_conn: object) -> None:
        seen.transactions += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begin)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)


@pytest.fixture
def service(db: str, fake_server: FakeLLMServer) -> Iterator[ChatService]:
    service = ChatService()
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["warm"]))
    service.send(chat_id, "warm up").consume()  # the provider's model list is cached now
    yield service


def _kinds(seen: Seen) -> list[str]:
    return [sql.split()[0] for sql in seen.statements]


def test_a_new_message_is_planned_in_two_transactions(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["Hola"]))
    with counting() as seen:
        reply = service.send(chat_id, "¿Qué tal?")
    assert seen.transactions == 2
    # settings; claim, liveness, (leaf, user message) × 2, the context with its files
    assert _kinds(seen) == ["SELECT", "UPDATE", "SELECT"] + ["SELECT", "INSERT"] * 2 + ["SELECT"]
    assert "".join(reply) == "Hola"
    assert reply.plan.messages == [{"role": "user", "content": "¿Qué tal?"}]


def test_an_answer_again_is_planned_in_two_transactions(
    service: ChatService, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["Uno"]), Reply(chunks=["Dos"]))
    service.send(chat_id, "Di un número").consume()
    with counting() as seen:
        reply = service.regenerate(chat_id)
    # The look-up of the answer to replace (its own transaction), then the turn's two.
    assert seen.transactions == 3
    # The answer to replace (whether the chat is mine, then the branch's end), the settings,
    # then the claim, liveness, the question, the path selected to it, the answer, the context.
    assert len(seen.statements) == 12
    assert "".join(reply) == "Dos"
