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
from core.schemas import ChatSettings
from core.services import chats, history, organise, presets, users
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


def test_presets_and_import_origins_become_personal_and_come_back(db_url: str) -> None:
    """0012 on presets and imported chats: existing presets go to the local user; names and the
    default are per person, and so is an imported conversation's origin. Going back, one name,
    one default and one origin in all again (the oldest keep theirs), and nothing is lost."""
    engine = conf_db.configure(db_url)
    command.upgrade(_alembic_config(engine), "0011")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO presets (id, name, settings, is_default, created_at, updated_at)"
                " VALUES (1, 'Coder', '{}', true, :t, :t)"
            ),
            {"t": T},
        )
        connection.execute(
            text(
                "INSERT INTO chats (id, title, created_at, last_activity, message_count,"
                " own_settings, title_by_user, pinned, archived, source, source_id)"
                " VALUES (1, 'Imported', :t, :t, 0, false, false, false, false, 'chatgpt', 'c-1')"
            ),
            {"t": T},
        )
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("SELECT setval('presets_id_seq', 1)"))
            connection.execute(text("SELECT setval('chats_id_seq', 1)"))
    conf_db.init_db(get_engine())

    with get_engine().connect() as connection:
        local = connection.execute(
            text("SELECT id FROM users WHERE issuer = 'local' AND subject = 'local'")
        ).scalar_one()
        owners = connection.execute(text("SELECT owner_id FROM presets")).scalars().all()
        assert owners == [local]
    bob = users.sign_in(Identity("http://idp", "bob", "bob@example.com", "Bob"))
    same_origin = text(
        "INSERT INTO chats (title, created_at, last_activity, message_count, owner_id, source,"
        " source_id) VALUES ('Imported', :t, :t, 0, :o, 'chatgpt', 'c-1')"
    )
    with get_engine().begin() as connection:  # Bob's own copy of the same conversation
        connection.execute(same_origin, {"t": T, "o": bob.id})
    with pytest.raises(IntegrityError), get_engine().begin() as connection:
        connection.execute(same_origin, {"t": T, "o": local})  # but the local user's is there
    with acting_as(bob.id):  # the same name, and a default of his own
        presets.set_default(presets.create_preset("Coder", None, ChatSettings()).id)
    assert [(p.name, p.is_default) for p in presets.list_presets()] == [("Coder", True)]

    command.downgrade(_alembic_config(get_engine()), "0011")
    with get_engine().connect() as connection:
        rows = connection.execute(text("SELECT id, name, is_default FROM presets ORDER BY id"))
        assert [tuple(r) for r in rows] == [(1, "Coder", True), (2, "Coder #2", False)]
        rows = connection.execute(text("SELECT id, source, source_id FROM chats ORDER BY id"))
        assert [tuple(r) for r in rows] == [(1, "chatgpt", "c-1"), (2, "chatgpt", None)]
    command.upgrade(_alembic_config(get_engine()), "head")
