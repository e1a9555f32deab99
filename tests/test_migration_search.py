"""Migration 0008_search on a database made by the previous schema (0007), with data, on SQLite and
PostgreSQL: the upgrade indexes what is already stored (content, reasoning and titles, accents
folded), the index then follows every write, and the downgrade removes every search object while
keeping every row — and the upgrade after it builds the index again.

The rows go in through today's repositories while the database is still at 0007: the models
describe no search object (they are the migration's own, ``core.models.SEARCH_OBJECTS``), so the
code of that time wrote exactly these columns.
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect

from core.conf import db as conf_db
from core.conf.db import _alembic_config, session_scope
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository
from core.schemas import MessageRecord
from core.services.search import search_messages

BEFORE = "0007"
REVISION = "0008"


def _fill() -> tuple[int, int]:
    """A chat with a question and an answer (with reasoning) written under the old schema."""
    with session_scope(write=True) as db:
        chat_id = ChatRepository(db).create("Biología vegetal").id
        messages = MessageRepository(db)
        messages.create_message(chat_id, "user", "¿Qué es la FOTOSÍNTESIS?")
        answer = messages.create_message(
            chat_id, "llm", "Convierte luz en azúcar.", model="qwen3-8b", reasoning="clorofila"
        )
        return chat_id, answer.id


def _found(query: str) -> set[int]:
    return {hit.message_id for hit in search_messages(query, limit=100).hits}


def _search_objects(engine: Engine) -> set[str]:
    inspector = inspect(engine)
    names = {name for name in inspector.get_table_names() if "_fts" in name}
    for table in ("messages", "chats"):
        names |= {c["name"] for c in inspector.get_columns(table) if c["name"] == "search_vector"}
        names |= {ix["name"] for ix in inspector.get_indexes(table) if "search" in ix["name"]}
    return names


def test_upgrade_indexes_existing_rows_and_downgrade_removes_the_index(db_url: str) -> None:
    engine = conf_db.configure(db_url)
    config = _alembic_config(engine)
    command.upgrade(config, BEFORE)
    assert not _search_objects(engine)
    chat_id, answer_id = _fill()

    command.upgrade(config, REVISION)
    assert _search_objects(engine)
    question = {m.id for m in _messages(chat_id)} - {answer_id}
    assert _found("fotosintesis") == question  # stored before the index existed, accents folded
    assert _found("AZUCAR") == {answer_id}
    assert _found("clorofila") == {answer_id}  # the reasoning too
    assert search_messages("azucar").hits[0].chat_title == "Biología vegetal"
    with session_scope(write=True) as db:  # the index follows writes made after the upgrade
        MessageRepository(db).update_message(answer_id, content="ahora sin palabra")
    assert _found("azucar") == set() and _found("ahora") == {answer_id}

    command.downgrade(config, BEFORE)
    assert not _search_objects(engine)
    assert len(_messages(chat_id)) == 2  # every row kept
    with session_scope(write=True) as db:  # and writable without the triggers
        MessageRepository(db).create_message(chat_id, "user", "escrito sin índice")

    command.upgrade(config, REVISION)  # up again: the index is rebuilt from the rows
    assert len(_found("indice")) == 1 and _found("ahora") == {answer_id}


def _messages(chat_id: int) -> list[MessageRecord]:
    with session_scope() as db:
        return list(MessageRepository(db).list_for_chat(chat_id))
