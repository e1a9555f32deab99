"""Migration 0012 (owners) on a database with data, on SQLite and PostgreSQL: existing chats, tags
and settings go to the local user; the owner column is NOT NULL with a foreign key; going back
keeps every chat, and tags two people named alike get distinct names."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from core.conf import db as conf_db
from core.conf.db import _alembic_config, get_engine
from core.identity import Identity, acting_as
from core.services import chats, history, organise, users
from core.services import settings as settings_service

T = datetime(2026, 11, 30, 12, 0, 0)


def test_existing_chats_go_to_the_local_user_and_come_back(db_url: str) -> None:
    engine = conf_db.configure(db_url)
    command.upgrade(_alembic_config(engine), "0007")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO chats (id, title, created_at, last_activity, message_count)"
                " VALUES (1, 'Before owners ✨', :t, :t, 1), (2, 'Second', :t, :t, 0)"
            ),
            {"t": T},
        )
        connection.execute(
            text(
                "INSERT INTO messages (id, chat_id, depth, selected, sender, content, reasoning,"
                " status, created_at, shown_at) VALUES (1, 1, 0, true, 'user', 'Hola', '',"
                " 'complete', :t, :t)"
            ),
            {"t": T},
        )
        connection.execute(
            text("INSERT INTO tags (id, name, created_at) VALUES (1, 'work', :t)"), {"t": T}
        )
        connection.execute(text("INSERT INTO chat_tags (chat_id, tag_id) VALUES (1, 1)"))
        connection.execute(
            text("INSERT INTO app_settings (key, value, updated_at) VALUES ('language', :v, :t)"),
            {"v": '"es"', "t": T},
        )
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("SELECT setval('chats_id_seq', 2)"))
            connection.execute(text("SELECT setval('messages_id_seq', 1)"))
            connection.execute(text("SELECT setval('tags_id_seq', 1)"))

    conf_db.init_db(get_engine())

    columns = {c["name"]: c for c in inspect(get_engine()).get_columns("chats")}
    assert columns["owner_id"]["nullable"] is False
    keys = {fk["name"]: fk for fk in inspect(get_engine()).get_foreign_keys("chats")}
    assert keys["fk_chats_owner_id_users"]["referred_table"] == "users"
    with get_engine().connect() as connection:
        local = connection.execute(
            text("SELECT id FROM users WHERE issuer = 'local' AND subject = 'local'")
        ).scalar_one()
        owners = connection.execute(text("SELECT DISTINCT owner_id FROM chats")).scalars().all()
        assert owners == [local]
    with pytest.raises(IntegrityError), get_engine().begin() as connection:
        connection.execute(
            text(
                "INSERT INTO chats (title, created_at, last_activity, message_count, owner_id)"
                " VALUES ('x', :t, :t, 0, NULL)"
            ),
            {"t": T},
        )
    # The single-user app (CHARLA_AUTH=none) sees exactly what it saw before.
    assert [c.title for c in chats.list_chats()] == ["Second", "Before owners ✨"]
    assert chats.get_chat(1).tags == ("work",)
    assert chats.open_chat(1).messages[0].content == "Hola"
    assert settings_service.language() == "es"
    # The titles' full-text index survived the copy of chats (SQLite) and follows new writes.
    found = history.search_chats(None, history.HistoryFilter(text="owners"))
    assert [c.title for c in found] == ["Before owners ✨"]
    chats.rename_chat(2, "Renamed after owners")
    found = history.search_chats(None, history.HistoryFilter(text="renamed"))
    assert [c.id for c in found] == [2]
    # A second person with a tag of the same name, then back to 0007.
    bob = users.sign_in(Identity("http://idp", "bob", "bob@example.com", "Bob"))
    with acting_as(bob.id):
        bobs = chats.new_chat("Bob's")
        organise.add_tag([bobs], "work")
        settings_service.set_language("en")
    command.downgrade(_alembic_config(get_engine()), "0007")
    with get_engine().connect() as connection:
        titles = connection.execute(text("SELECT title FROM chats ORDER BY id")).scalars().all()
        assert titles == ["Before owners ✨", "Renamed after owners", "Bob's"]
        tags = connection.execute(text("SELECT id, name FROM tags ORDER BY id")).all()
        assert [tuple(t) for t in tags] == [(1, "work"), (2, "work #2")]
        links = connection.execute(text("SELECT chat_id, tag_id FROM chat_tags ORDER BY chat_id"))
        assert [tuple(link) for link in links] == [(1, 1), (bobs, 2)]
        settings = connection.execute(text("SELECT key, value FROM app_settings")).all()
        assert [(k, v if isinstance(v, str) else repr(v)) for k, v in settings] in (
            [("language", "es")],
            [("language", '"es"')],
        )
        assert "users" not in inspect(connection).get_table_names()
    command.upgrade(_alembic_config(get_engine()), "head")
