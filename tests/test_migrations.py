"""Alembic migrations on SQLite and PostgreSQL: from an empty database to the newest schema, back
to nothing and up again, and the migrated schema is exactly what ``core.models`` describes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from core.conf.db import _alembic_config, create_db_engine, init_db
from core.models import Base, exists_on

TABLES = {"chats", "messages", "app_settings"}
INDEXES = {
    "chats": {("ix_chats_last_activity", ("last_activity", "id"))},
    "messages": {
        ("ix_messages_chat_id_id", ("chat_id", "id")),
        ("ix_messages_branch", ("chat_id", "selected", "id")),
        ("ix_messages_parent", ("chat_id", "parent_id", "id")),
    },
}


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on an empty database (a new SQLite file, or PostgreSQL with a fresh schema)."""
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


def revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head(engine: Engine) -> str:
    found = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    assert found is not None
    return found


def check_full_schema(engine: Engine) -> None:
    inspector = inspect(engine)
    assert TABLES | {"alembic_version"} <= set(inspector.get_table_names())
    for table, wanted in INDEXES.items():
        found = {(ix["name"], tuple(ix["column_names"])) for ix in inspector.get_indexes(table)}
        assert wanted <= found, f"{table}: {found}"
    keys = {fk["referred_table"]: fk for fk in inspector.get_foreign_keys("messages")}
    assert set(keys) == {"chats", "messages"}
    assert keys["chats"]["constrained_columns"] == ["chat_id"]
    assert keys["messages"]["constrained_columns"] == ["parent_id"]  # a version's parent
    for fk in keys.values():
        assert (fk.get("options") or {}).get("ondelete", "").upper() == "CASCADE"
    columns = {c["name"] for c in inspector.get_columns("messages")}
    assert {
        "chat_id", "sender", "content", "reasoning", "status", "error", "model", "params",
        "prompt_tokens", "completion_tokens", "time_to_first_token", "tokens_per_second",
        "finish_reason", "created_at", "parent_id", "depth", "selected", "error_code",
        "error_params",
    } <= columns  # fmt: skip
    chat_columns = {c["name"] for c in inspector.get_columns("chats")}
    assert {"title", "created_at", "last_activity", "model", "system_prompt", "temperature",
            "max_tokens"} <= chat_columns  # fmt: skip


def test_upgrade_from_empty_creates_every_table_and_index(engine: Engine) -> None:
    assert revision(engine) is None
    assert not TABLES & set(inspect(engine).get_table_names())
    init_db(engine)
    assert revision(engine) == head(engine)
    check_full_schema(engine)


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    init_db(engine)
    with engine.connect() as connection:
        dialect = connection.dialect.name
        context = MigrationContext.configure(
            connection, opts={"include_object": lambda obj, *_: exists_on(obj, dialect)}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_downgrade_to_base_and_up_again(engine: Engine) -> None:
    config = _alembic_config(engine)
    command.upgrade(config, "head")
    check_full_schema(engine)
    command.downgrade(config, "base")
    assert revision(engine) is None
    assert not TABLES & set(inspect(engine).get_table_names())
    command.upgrade(config, "head")
    assert revision(engine) == head(engine)
    check_full_schema(engine)
    init_db(engine)  # already current: nothing to do
    assert revision(engine) == head(engine)


def test_attachments_migration_keeps_the_data_and_goes_back(engine: Engine) -> None:
    """0011 on a 0007 database with a chat: the chat stays, files can be attached; going back
    drops the two tables and leaves the messages as they were."""
    from sqlalchemy import text

    config = _alembic_config(engine)
    command.upgrade(config, "0007")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO chats (id, title, created_at, last_activity, message_count) "
                "VALUES (1, 'old', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO messages (id, chat_id, sender, content, reasoning, status, "
                "created_at, depth) VALUES (1, 1, 'user', 'hello', '', 'complete', "
                "CURRENT_TIMESTAMP, 0)"
            )
        )
    command.upgrade(config, "0011")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO attachments (id, sha256, kind, mime, size, data, text, "
                "context_bytes, created_at) VALUES (1, :sha, 'document', 'text/plain', 2, :data, "
                "'hi', 30, CURRENT_TIMESTAMP)"
            ),
            {"sha": "0" * 64, "data": b"hi"},
        )
        connection.execute(
            text(
                "INSERT INTO message_attachments (message_id, position, attachment_id, name) "
                "VALUES (1, 0, 1, 'hi.txt')"
            )
        )
        assert connection.execute(text("SELECT content FROM messages")).scalar_one() == "hello"
        row = connection.execute(
            text(
                "SELECT m.content, a.name, f.data FROM messages m "
                "JOIN message_attachments a ON a.message_id = m.id "
                "JOIN attachments f ON f.id = a.attachment_id"
            )
        ).one()
    assert (row[0], row[1], bytes(row[2])) == ("hello", "hi.txt", b"hi")
    command.downgrade(config, "0007")
    tables = set(inspect(engine).get_table_names())
    assert not {"attachments", "message_attachments"} & tables
    with engine.connect() as connection:
        assert connection.execute(text("SELECT content FROM messages")).scalar_one() == "hello"
    command.upgrade(config, "head")
    assert revision(engine) == head(engine)
