"""Migrations 0008 (search) and 0014 (its words, for prefixes) on a database made by the previous
schema, with data, on SQLite and PostgreSQL: the upgrade indexes what is already stored (content,
reasoning and titles, accents folded), the index then follows every write, and the downgrade removes
every search object while keeping every row — and the upgrade after it builds the index again.

Rows are written with plain SQL in the columns the older schema had, never through today's repositories (which
know later columns and tables); the search itself is asked through the service once the database is
back at head, so later migrations are crossed on the way, as a real upgrade would.
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect, text

from core.conf import db as conf_db
from core.conf.db import _alembic_config, session_scope
from core.repositories.messages import MessageRepository
from core.services.search import search_messages
from tests.test_migrations import _triggers, old_chat_with_a_message

BEFORE = "0007"
REVISION = "0008"


def _fill(engine: Engine) -> tuple[int, int]:
    """A chat with a question and an answer (with reasoning) written under the old schema."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO chats (id, title, created_at, last_activity, message_count) "
                "VALUES (1, 'Biología vegetal', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 2)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO messages (id, chat_id, parent_id, sender, content, reasoning, model, "
                "status, created_at, depth) VALUES "
                "(1, 1, NULL, 'user', '¿Qué es la FOTOSÍNTESIS?', '', NULL, 'complete', "
                "CURRENT_TIMESTAMP, 0), "
                "(2, 1, 1, 'llm', 'Convierte luz en azúcar.', 'clorofila', 'qwen3-8b', 'complete', "
                "CURRENT_TIMESTAMP, 1)"
            )
        )
    return 1, 2


def _rows(engine: Engine, chat_id: int) -> int:
    with engine.connect() as connection:
        query = text("SELECT count(*) FROM messages WHERE chat_id = :c")
        return int(connection.execute(query, {"c": chat_id}).scalar_one())


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
    chat_id, answer_id = _fill(engine)

    command.upgrade(config, REVISION)
    assert _search_objects(engine)
    command.upgrade(config, "head")  # the service speaks today's schema
    assert _found("fotosintesis") == {answer_id - 1}  # stored before the index, accents folded
    assert _found("AZUCAR") == {answer_id}
    assert _found("clorofila") == {answer_id}  # the reasoning too
    assert search_messages("azucar").hits[0].chat_title == "Biología vegetal"
    with session_scope(write=True) as db:  # the index follows writes made after the upgrade
        MessageRepository(db).update_message(answer_id, content="ahora sin palabra")
    assert _found("azucar") == set() and _found("ahora") == {answer_id}

    command.downgrade(config, BEFORE)
    assert not _search_objects(engine)
    assert _rows(engine, chat_id) == 2  # every row kept
    with engine.begin() as connection:  # and writable without the triggers
        connection.execute(
            text(
                "INSERT INTO messages (id, chat_id, parent_id, sender, content, reasoning, "
                "status, created_at, depth) VALUES (3, :c, 2, 'user', 'escrito sin índice', '', "
                "'complete', CURRENT_TIMESTAMP, 2)"
            ),
            {"c": chat_id},
        )

    command.upgrade(config, "head")  # up again: the index is rebuilt from the rows
    assert _found("indice") == {3} and _found("ahora") == {answer_id}


def test_0014_lists_the_words_already_indexed_and_going_back_keeps_the_search_triggers(
    db_url: str,
) -> None:
    """A database at 0013 with a message: after 0014 a prefix finds it (SQLite: through the
    vocabulary filled from the index, then folded forward for a later edit); down again, only
    0014's objects go and 0008's triggers and the rows stay. On PostgreSQL 0014 creates nothing."""
    engine = conf_db.configure(db_url)
    config = _alembic_config(engine)
    command.upgrade(config, "0013")
    triggers = _triggers(engine)
    with engine.begin() as connection:
        old_chat_with_a_message(connection, "Fotosíntesis y glaciares", "pensando")

    def found(query: str) -> set[int]:
        return {hit.message_id for hit in search_messages(query).hits}

    command.upgrade(config, "0014")
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        with engine.connect() as connection:
            words = set(connection.execute(text("SELECT term FROM search_terms")).scalars())
        assert words == {"fotosintesis", "y", "glaciares", "pensando"}
    command.upgrade(config, "head")
    assert found("FOTOSIN*") == found("pens*") == found('"y glac"*') == {1}
    with engine.begin() as connection:  # a later change of the text is followed
        connection.execute(text("UPDATE messages SET content = 'morrenas' WHERE id = 1"))
    assert found("morr*") == {1} and found("glac*") == set()

    command.downgrade(config, "0013")
    assert _triggers(engine) == triggers
    assert not {"search_terms", "search_terms_pending", "search_terms_state"} & set(
        inspect(engine).get_table_names()
    )
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM messages")).scalar() == 1
        if sqlite:  # the index itself is untouched
            match = "SELECT rowid FROM messages_fts WHERE messages_fts MATCH '\"morr\" *'"
            assert connection.execute(text(match)).scalars().all() == [1]
