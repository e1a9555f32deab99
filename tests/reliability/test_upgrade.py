"""A database made by the first schema, filled with real data, upgrades with nothing lost.

The data goes in through plain SQL against revision 0001 (the code of that time wrote exactly these
columns), including an answer left "streaming" by a crash under the old schema; then the database
is upgraded to the newest revision through ``init_db()`` as the app does at start, on SQLite and on
PostgreSQL. Every row must come back unchanged through today's repositories.
"""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from core.conf import db as conf_db
from core.conf.db import SessionLocal, _alembic_config, get_engine
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository

TEXTS = [
    "Hola, ¿cómo estás? 👋",
    "مرحبا بالعالم — right-to-left",
    'Line one\nline two, "quoted", with commas',
    "=1+1 looks like a formula",
]


def test_first_schema_with_data_upgrades_to_newest_with_nothing_lost(db_url: str) -> None:
    engine = conf_db.configure(db_url)
    command.upgrade(_alembic_config(engine), "0001")
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO chats (id, title, created_at, last_activity, message_count, model,"
                " system_prompt, temperature, max_tokens, options)"
                " VALUES (1, 'Old chat ✨', :t, :t, 5, 'qwen3-8b', 'Be brief', 0.3, 256, :opts)"
            ),
            {"t": created.replace(tzinfo=None), "opts": '{"top_p": 0.9, "stop": ["###"]}'},
        )
        for i, content in enumerate(TEXTS, start=1):
            connection.execute(
                text(
                    "INSERT INTO messages (id, chat_id, sender, content, reasoning, status, model,"
                    " prompt_tokens, completion_tokens, created_at)"
                    " VALUES (:id, 1, :sender, :content, :reasoning, 'complete', 'qwen3-8b', 10, 20, :t)"
                ),
                {
                    "id": i,
                    "sender": "user" if i % 2 else "llm",
                    "content": content,
                    "reasoning": "thought" if i % 2 == 0 else "",
                    "t": created.replace(tzinfo=None),
                },
            )
        connection.execute(
            text(
                "INSERT INTO messages (id, chat_id, sender, content, reasoning, status, created_at)"
                " VALUES (5, 1, 'llm', 'half an answ', '', 'streaming', :t)"
            ),
            {"t": created.replace(tzinfo=None)},
        )
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("SELECT setval('chats_id_seq', 1)"))
            connection.execute(text("SELECT setval('messages_id_seq', 5)"))

    conf_db.init_db(get_engine())

    db = SessionLocal()
    try:
        chat = ChatRepository(db).get(1)
        messages = MessageRepository(db).list_for_chat(1)
        assert chat.title == "Old chat ✨"
        assert chat.created_at == created
        assert chat.message_count == 5
        assert chat.settings.system_prompt == "Be brief"
        assert chat.settings.temperature == 0.3
        assert chat.settings.max_tokens == 256
        assert chat.settings.top_p == 0.9
        assert chat.settings.stop == ("###",)
        assert [m.content for m in messages[:4]] == TEXTS
        assert [m.reasoning for m in messages[:4]] == ["", "thought", "", "thought"]
        assert all(m.created_at == created for m in messages)
        assert messages[1].prompt_tokens == 10 and messages[1].completion_tokens == 20
        # The answer a crash left "streaming" under the old schema is interrupted, text kept.
        assert (messages[4].status, messages[4].error_code, messages[4].content) == (
            "stopped",
            "error.interrupted",
            "half an answ",
        )
        # And the upgraded database takes new rows.
        repo = MessageRepository(db)
        new = repo.create_message(1, "user", "after the upgrade")
        db.commit()
        assert new.id == 6
        assert ChatRepository(db).get(1).message_count == 6
    finally:
        db.close()


def test_the_previous_schema_upgrades_to_versions_with_nothing_lost(db_url: str) -> None:
    """Revision 0003 (linear chats, errors as English text, per-field chat overrides) with data,
    upgraded: every chat becomes one selected branch, the seed's context is unchanged, old error
    texts stay, and a chat's partial settings are completed from the defaults it followed."""
    engine = conf_db.configure(db_url)
    command.upgrade(_alembic_config(engine), "0003")
    t = datetime(2026, 11, 30, 12, 0, 0)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO app_settings (key, value, updated_at) VALUES"
                " ('max_tokens', '128', :t), ('top_k', '40', :t)"
            ),
            {"t": t},
        )
        connection.execute(
            text(
                "INSERT INTO chats (id, title, created_at, last_activity, message_count,"
                " temperature) VALUES (1, 'Tuned', :t, :t, 4, 0.2), (2, 'Plain', :t, :t, 2, NULL)"
            ),
            {"t": t},
        )
        rows = [
            (1, 1, "user", "first", "complete", None),
            (2, 1, "llm", "one", "complete", None),
            (3, 2, "user", "other chat", "complete", None),
            (4, 1, "user", "second", "complete", None),
            (5, 1, "llm", "", "error", "The model server failed (HTTP 500): boom."),
            (6, 2, "llm", "half", "stopped", "interrupted"),
        ]
        for message_id, chat_id, sender, content, status, error in rows:
            connection.execute(
                text(
                    "INSERT INTO messages (id, chat_id, sender, content, reasoning, status,"
                    " error, created_at) VALUES (:id, :chat, :sender, :content, '', :status,"
                    " :error, :t)"
                ),
                {
                    "id": message_id,
                    "chat": chat_id,
                    "sender": sender,
                    "content": content,
                    "status": status,
                    "error": error,
                    "t": t,
                },
            )
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("SELECT setval('chats_id_seq', 2)"))
            connection.execute(text("SELECT setval('messages_id_seq', 6)"))

    conf_db.init_db(get_engine())

    db = SessionLocal()
    try:
        repo = MessageRepository(db)
        tuned = repo.list_for_chat(1)
        assert [(m.id, m.parent_id, m.depth, m.selected) for m in tuned] == [
            (1, None, 0, True), (2, 1, 1, True), (4, 2, 2, True), (5, 4, 3, True),
        ]  # fmt: skip
        plain = repo.list_for_chat(2)
        assert [(m.id, m.parent_id, m.depth) for m in plain] == [(3, None, 0), (6, 3, 1)]
        assert repo.get_chat_context_for_llm(1) == [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "one"},
            {"role": "user", "content": "second"},
        ]
        failed = repo.get(5)
        assert (failed.error, failed.error_code) == (
            "The model server failed (HTTP 500): boom.",
            None,
        )  # an old English text stays as it was
        assert repo.get(6).interrupted and repo.get(6).error is None
        chats = ChatRepository(db)
        own = chats.get(1)
        assert own.own_settings
        assert (own.settings.temperature, own.settings.max_tokens, own.settings.top_k) == (
            0.2, 128, 40,
        )  # fmt: skip
        assert own.settings.system_prompt == "You are a helpful, concise assistant."
        assert not chats.get(2).own_settings
        # New versions go in.
        redo = repo.create_message(1, "llm", "retry", parent_id=4)
        db.commit()
        assert [m.content for m in repo.branch(1)] == ["first", "one", "second", "retry"]
        assert redo.id == 7
    finally:
        db.close()


def test_revision_0004_with_chats_upgrades_to_titles_by_user_with_nothing_lost(
    db_url: str,
) -> None:
    """Chats at 0004 (versions, own settings, a renamed title the schema could not record) come
    out of the upgrade unchanged, every title automatic (``title_by_user`` false); a rename then
    records the person's choice, and going back to 0004 keeps every chat."""
    engine = conf_db.configure(db_url)
    config = _alembic_config(engine)
    command.upgrade(config, "0004")
    t = datetime(2026, 12, 5, 9, 30, 0)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO chats (id, title, created_at, last_activity, message_count,"
                " own_settings, temperature) VALUES"
                " (1, '¿Cuál es la capital de Francia?', :t, :t, 3, false, NULL),"
                " (2, 'Renamed by hand ✨', :t, :t, 0, true, 0.4)"
            ),
            {"t": t},
        )
        rows = [
            (1, None, 0, True, "user", "¿Cuál es la capital de Francia?"),
            (2, 1, 1, False, "llm", "París."),
            (3, 1, 1, True, "llm", "La capital de Francia es París."),
        ]
        for message_id, parent, depth, selected, sender, content in rows:
            connection.execute(
                text(
                    "INSERT INTO messages (id, chat_id, parent_id, depth, selected, sender,"
                    " content, reasoning, status, created_at) VALUES (:id, 1, :parent, :depth,"
                    " :selected, :sender, :content, '', 'complete', :t)"
                ),
                {
                    "id": message_id,
                    "parent": parent,
                    "depth": depth,
                    "selected": selected,
                    "sender": sender,
                    "content": content,
                    "t": t,
                },
            )
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("SELECT setval('chats_id_seq', 2)"))
            connection.execute(text("SELECT setval('messages_id_seq', 3)"))

    conf_db.init_db(get_engine())

    db = SessionLocal()
    try:
        chats = ChatRepository(db)
        first, renamed = chats.get(1), chats.get(2)
        assert (first.title, first.title_by_user, first.message_count) == (
            "¿Cuál es la capital de Francia?", False, 3,
        )  # fmt: skip
        assert (renamed.title, renamed.title_by_user) == ("Renamed by hand ✨", False)
        assert renamed.own_settings and renamed.settings.temperature == 0.4
        assert first.created_at == t.replace(tzinfo=UTC)
        repo = MessageRepository(db)
        assert [(m.id, m.parent_id, m.selected, m.content) for m in repo.list_for_chat(1)] == [
            (1, None, True, "¿Cuál es la capital de Francia?"),
            (2, 1, False, "París."),
            (3, 1, True, "La capital de Francia es París."),
        ]
        # New chats start automatic; a rename is the person's.
        new = chats.create()
        assert not new.title_by_user and new.id == 3
        assert chats.rename(1, "Geografía").title_by_user
        db.commit()
    finally:
        db.close()

    command.downgrade(_alembic_config(get_engine()), "0004")
    with get_engine().connect() as connection:
        titles = connection.execute(text("SELECT id, title FROM chats ORDER BY id")).all()
        assert [tuple(row) for row in titles] == [
            (1, "Geografía"),
            (2, "Renamed by hand ✨"),
            (3, ""),
        ]
        count = connection.execute(text("SELECT count(*) FROM messages")).scalar_one()
        assert count == 3
