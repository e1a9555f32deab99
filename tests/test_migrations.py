"""Alembic migrations on SQLite and PostgreSQL: from an empty database to the newest schema, back
to nothing and up again, and the migrated schema is exactly what ``core.models`` describes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from core.conf.db import _alembic_config, create_db_engine, init_db
from core.models import INSIGHTS_INDEXES, Base, exists_on

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


PRESETS_BASE = "0009"  # the revision 0010 (presets) follows


def test_presets_migration_keeps_data_both_ways(engine: Engine) -> None:
    """0010 (presets) on a database made by the previous revision, with a chat and an answer: the
    answer keeps its figures and gets no load time; presets can be stored (one default only); going
    back drops them, keeps the chat and keeps the search index's triggers (no copy of the table)."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    config = _alembic_config(engine)
    command.upgrade(config, PRESETS_BASE)
    triggers = _triggers(engine)
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO chats (id, title, created_at, last_activity, message_count,"
                " own_settings, title_by_user, pinned, archived)"
                " VALUES (1, 'old', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1,"
                " false, false, false, false)"
            )
        )
        db.execute(
            text(
                "INSERT INTO messages (id, chat_id, sender, content, reasoning, status,"
                " time_to_first_token, created_at, depth, selected, stop_requested)"
                " VALUES (1, 1, 'llm', 'hi', '', 'complete', 0.5, CURRENT_TIMESTAMP, 0, true,"
                " false)"
            )
        )
    command.upgrade(config, "0010")
    with engine.begin() as db:
        row = db.execute(text("SELECT content, time_to_first_token, load_time FROM messages"))
        assert row.one() == ("hi", 0.5, None)
        insert = text(
            "INSERT INTO presets (name, settings, is_default, created_at, updated_at)"
            " VALUES (:name, '{}', :default, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
        db.execute(insert, {"name": "a", "default": True})
        db.execute(insert, {"name": "b", "default": False})
        db.execute(insert, {"name": "c", "default": False})
    with pytest.raises(IntegrityError), engine.begin() as db:
        db.execute(insert, {"name": "d", "default": True})  # a second default is refused
    command.downgrade(config, PRESETS_BASE)
    assert "presets" not in inspect(engine).get_table_names()
    assert "load_time" not in {c["name"] for c in inspect(engine).get_columns("messages")}
    assert _triggers(engine) == triggers
    with engine.connect() as db:
        assert db.execute(text("SELECT title FROM chats")).scalar_one() == "old"


def _triggers(engine: Engine) -> set[str]:
    """The database's trigger names (SQLite's full-text index lives on them)."""
    from sqlalchemy import text

    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if engine.dialect.name == "sqlite"
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    )
    with engine.connect() as db:
        return set(db.execute(text(query)).scalars())


def test_0009_gives_every_chat_a_kind_and_indexes_the_answers_with_nothing_lost(
    engine: Engine,
) -> None:
    """A database at 0008 with a chat of a question and two answers (versions) upgrades: the chat
    is of kind ``chat``, the four answer indexes exist (partial: answers only), every row is the
    same; down again, the column and indexes go, the rows and the search triggers stay."""
    config = _alembic_config(engine)
    command.upgrade(config, "0008")
    triggers = _triggers(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO chats (id, title, created_at, last_activity, message_count)"
                " VALUES (1, 'Old chat', '2026-01-02 03:04:05', '2026-01-02 03:04:05', 3)"
            )
        )
        for id_, sender, parent, model in ((1, "user", None, None), (2, "llm", 1, "qwen3-8b"),
                                           (3, "llm", 1, "gemma-3-4b")):  # fmt: skip
            connection.execute(
                text(
                    "INSERT INTO messages (id, chat_id, sender, content, reasoning, status, parent_id, model,"
                    " tokens_per_second, time_to_first_token, created_at)"
                    " VALUES (:id, 1, :sender, 'text', '', 'complete', :parent, :model, 40.5, 0.25,"
                    " '2026-01-02 03:04:05')"
                ),
                {"id": id_, "sender": sender, "parent": parent, "model": model},
            )
    query = text("SELECT id, sender, parent_id, model, tokens_per_second FROM messages ORDER BY id")
    with engine.connect() as connection:
        before = connection.execute(query).all()

    command.upgrade(config, "0009")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT kind FROM chats")).scalars().all() == ["chat"]
        assert connection.execute(query).all() == before
    found = {
        ix["name"]: tuple(ix["column_names"]) for ix in inspect(engine).get_indexes("messages")
    }
    assert {name: found.get(name) for name in INSIGHTS_INDEXES} == INSIGHTS_INDEXES

    command.downgrade(config, "0008")
    assert _triggers(engine) == triggers  # the search index's triggers on chats are kept
    assert "kind" not in {c["name"] for c in inspect(engine).get_columns("chats")}
    assert not set(INSIGHTS_INDEXES) & {
        ix["name"] for ix in inspect(engine).get_indexes("messages")
    }
    with engine.connect() as connection:
        assert connection.execute(query).all() == before


def old_chat_with_a_message(connection: Connection, content: str, reasoning: str) -> None:
    """Chat 1 of the local user with message 1, in the columns schema 0012 has (plain SQL)."""
    connection.execute(
        text(
            "INSERT INTO chats (id, title, created_at, last_activity, message_count,"
            " own_settings, title_by_user, pinned, archived, owner_id)"
            " VALUES (1, 'Old', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1,"
            " false, false, false, false, (SELECT id FROM users WHERE issuer = 'local'))"
        )
    )
    connection.execute(
        text(
            "INSERT INTO messages (id, chat_id, sender, content, reasoning, status,"
            " created_at, depth, selected, stop_requested) VALUES (1, 1, 'user', :content,"
            " :reasoning, 'complete', CURRENT_TIMESTAMP, 0, true, false)"
        ),
        {"content": content, "reasoning": reasoning},
    )


def test_0013_indexes_existing_files_and_going_back_keeps_the_search_triggers(
    db_url: str,
) -> None:
    """A database at 0012 with a message carrying a text file: after 0013 (and on to head) the
    search finds the message by the file's text (accents folded) and name, and a file attached
    later; down again, only 0013's objects go (0008's triggers stay) and the rows are kept."""
    from core.conf import db as conf_db
    from core.services.search import search_messages

    engine = conf_db.configure(db_url)
    config = _alembic_config(engine)
    command.upgrade(config, "0012")
    triggers = _triggers(engine)
    with engine.begin() as connection:
        old_chat_with_a_message(connection, "mira", "")
        connection.execute(
            text(
                "INSERT INTO attachments (id, sha256, kind, mime, size, data, text,"
                " context_bytes, created_at) VALUES (1, :sha, 'document', 'text/plain', 12,"
                " :data, 'La FOTOSÍNTESIS verde', 30, CURRENT_TIMESTAMP)"
            ),
            {"sha": "0" * 64, "data": b"fotosintesis"},
        )
        connection.execute(
            text(
                "INSERT INTO message_attachments (message_id, position, attachment_id, name)"
                " VALUES (1, 0, 1, 'apuntes.txt')"
            )
        )

    def found(query: str) -> set[int]:
        return {hit.message_id for hit in search_messages(query).hits}

    command.upgrade(config, "0013")
    command.upgrade(config, "head")
    assert found("fotosintesis") == found("apuntes") == found('"fotosintesis verde"') == {1}
    with engine.begin() as connection:  # a link written after the upgrade is indexed too
        connection.execute(
            text(
                "INSERT INTO message_attachments (message_id, position, attachment_id, name)"
                " VALUES (1, 1, 1, 'copia-zafiro.txt')"
            )
        )
    assert found("zafiro") == {1}

    command.downgrade(config, "0012")
    assert _triggers(engine) == triggers  # 0008's search triggers are kept
    assert "message_files_fts" not in inspect(engine).get_table_names()
    assert "search_vector" not in {
        c["name"] for c in inspect(engine).get_columns("message_attachments")
    }
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM message_attachments")).scalar() == 2
    command.upgrade(config, "head")  # and up again: the files are indexed anew
    assert found("zafiro") == found("fotosintesis") == {1}
