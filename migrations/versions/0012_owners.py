"""Owners: a users table, and every chat, tag and personal setting belongs to one person.

- ``users``: a person is the pair ``(issuer, subject)`` of their identity (unique together); email
  and name are for display. The migration creates the **local** user (``local``/``local``): the one
  person of a single-user install (``CHARLA_AUTH=none``), who owns everything that existed before.
  ``python -m core.cli users claim-local EMAIL`` later hands those chats to a signed-in person.
- ``chats.owner_id``: NOT NULL, a foreign key to ``users``; existing chats go to the local user.
  ``ix_chats_owner_sidebar`` / ``ix_chats_owner_activity`` put the owner first, so one person's
  sidebar and history read one index range.
- ``tags.owner_id``: tags are personal; names are unique per person (``uq_tags_owner_name``)
  instead of globally.
- ``app_settings``: keyed by ``(owner_id, key)``; language and generation defaults are personal.
  The table is copied into its new shape (its primary key changes).
- ``presets.owner_id``: presets are personal too; names are unique per person
  (``uq_presets_owner_name``) and each person has at most one default
  (``ix_presets_owner_default``, partial unique on the owner where ``is_default``).
- ``ix_chats_owner_source`` replaces ``ix_chats_source``: an imported conversation's origin
  ``(source, source_id)`` is unique per person, so two people importing the same file each get
  their own copy (and one person importing it twice still gets one).

SQLite: ``chats`` and ``tags`` are altered in batch mode (copied and renamed), which drops every
trigger on them: the full-text index's triggers on ``chats`` (migration 0008) are dropped first,
then recreated, and ``chats_fts`` rebuilt (:func:`_without_chat_triggers`). (Adding the column in place with ``ALTER TABLE … ADD COLUMN … REFERENCES`` was tried: SQLite
accepts it, but SQLAlchemy then reflects no foreign key on ``chats``, so a later batch migration
would silently drop it.)

Downgrade: everything becomes the one history again. Tags and presets whose names two people share
get their id appended (the global unique name returns); only the oldest default preset stays the
default; a conversation two people imported keeps its origin on the oldest copy only (the others
forget their ``source_id``); only the local user's settings are kept.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCAL = "local"
# Migration 0008's triggers keeping chats_fts (the titles' full-text index) in step with chats.
TOKENS = "chats_fts(chats_fts, rowid, title) VALUES ('delete', old.id, old.title)"
CHAT_TRIGGERS = (
    "CREATE TRIGGER chats_fts_insert AFTER INSERT ON chats BEGIN"
    " INSERT INTO chats_fts(rowid, title) VALUES (new.id, new.title); END",
    f"CREATE TRIGGER chats_fts_delete AFTER DELETE ON chats BEGIN INSERT INTO {TOKENS}; END",
    "CREATE TRIGGER chats_fts_update AFTER UPDATE OF title ON chats"
    f" WHEN old.title IS NOT new.title BEGIN INSERT INTO {TOKENS};"
    " INSERT INTO chats_fts(rowid, title) VALUES (new.id, new.title); END",
)


@contextmanager
def _without_chat_triggers() -> Iterator[None]:
    """On SQLite, batch mode copies ``chats`` and drops its triggers: take them off, then put
    them back and rebuild the index from the copied rows."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS chats_fts_{name}")
    yield
    if sqlite:
        for statement in CHAT_TRIGGERS:
            op.execute(statement)
        op.execute("INSERT INTO chats_fts(chats_fts) VALUES ('rebuild')")


def _local_id() -> int:
    found = op.get_bind().execute(
        sa.text("SELECT id FROM users WHERE issuer = :l AND subject = :l"), {"l": LOCAL}
    ).scalar()
    assert found is not None
    return int(found)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("issuer", sa.String(300), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("issuer", "subject", name="uq_users_identity"),
    )
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # core.models.UTCDateTime stores naive UTC on SQLite
    op.get_bind().execute(
        sa.text(
            "INSERT INTO users (issuer, subject, name, created_at) VALUES (:l, :l, :l, :now)"
        ),
        {"l": LOCAL, "now": now},
    )
    local = _local_id()

    for table in ("chats", "tags", "presets"):
        op.add_column(table, sa.Column("owner_id", sa.Integer(), nullable=True))
        op.get_bind().execute(sa.text(f"UPDATE {table} SET owner_id = :o"), {"o": local})
    op.drop_index("ix_chats_source", "chats")
    with _without_chat_triggers(), op.batch_alter_table("chats") as batch:
        batch.alter_column("owner_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            "fk_chats_owner_id_users", "users", ["owner_id"], ["id"], ondelete="CASCADE"
        )
    op.create_index(
        "ix_chats_owner_source", "chats", ["owner_id", "source", "source_id"], unique=True
    )
    op.create_index(
        "ix_chats_owner_sidebar", "chats", ["owner_id", "archived", "pinned", "last_activity", "id"]
    )
    op.create_index("ix_chats_owner_activity", "chats", ["owner_id", "last_activity", "id"])

    # The global unique name was created unnamed: PostgreSQL calls it tags_name_key; on SQLite a
    # naming convention gives the reflected constraint a name batch mode can drop.
    sqlite = op.get_bind().dialect.name == "sqlite"
    old_unique = "uq_tags_name" if sqlite else "tags_name_key"
    with op.batch_alter_table(
        "tags", naming_convention={"uq": "uq_%(table_name)s_%(column_0_name)s"}
    ) as batch:
        batch.drop_constraint(old_unique, type_="unique")
        batch.alter_column("owner_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            "fk_tags_owner_id_users", "users", ["owner_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_unique_constraint("uq_tags_owner_name", ["owner_id", "name"])

    # Presets: the same change as tags (0010 created the unique name unnamed too), and one
    # default per person instead of one in all.
    op.drop_index("ix_presets_default", "presets")
    with op.batch_alter_table(
        "presets", naming_convention={"uq": "uq_%(table_name)s_%(column_0_name)s"}
    ) as batch:
        batch.drop_constraint("uq_presets_name" if sqlite else "presets_name_key", type_="unique")
        batch.alter_column("owner_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            "fk_presets_owner_id_users", "users", ["owner_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_unique_constraint("uq_presets_owner_name", ["owner_id", "name"])
    op.create_index(
        "ix_presets_owner_default",
        "presets",
        ["owner_id"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )

    op.create_table(
        "app_settings_owned",
        sa.Column(
            "owner_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_app_settings_owner_id_users"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.get_bind().execute(
        sa.text(
            "INSERT INTO app_settings_owned (owner_id, key, value, updated_at)"
            " SELECT :o, key, value, updated_at FROM app_settings"
        ),
        {"o": local},
    )
    op.drop_table("app_settings")
    op.rename_table("app_settings_owned", "app_settings")
    if not sqlite:
        # The primary key keeps the copy's name; give it the one a fresh table would have.
        op.execute("ALTER TABLE app_settings RENAME CONSTRAINT app_settings_owned_pkey"
                   " TO app_settings_pkey")  # fmt: skip


def downgrade() -> None:
    local = _local_id()
    op.create_table(
        "app_settings_shared",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.get_bind().execute(
        sa.text(
            "INSERT INTO app_settings_shared (key, value, updated_at)"
            " SELECT key, value, updated_at FROM app_settings WHERE owner_id = :o"
        ),
        {"o": local},
    )
    op.drop_table("app_settings")
    op.rename_table("app_settings_shared", "app_settings")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        op.execute("ALTER TABLE app_settings RENAME CONSTRAINT app_settings_shared_pkey"
                   " TO app_settings_pkey")  # fmt: skip

    # One name per tag again: a name two people share keeps its oldest tag, the others get ids.
    op.execute(
        "UPDATE tags SET name = substr(name, 1, 50) || ' #' || CAST(id AS VARCHAR(12))"
        " WHERE id NOT IN (SELECT min(id) FROM tags GROUP BY name)"
    )
    with op.batch_alter_table("tags") as batch:
        batch.drop_constraint("uq_tags_owner_name", type_="unique")
        batch.drop_constraint("fk_tags_owner_id_users", type_="foreignkey")
        batch.drop_column("owner_id")
        batch.create_unique_constraint("uq_tags_name" if sqlite else "tags_name_key", ["name"])

    # Presets: one name and one default in all again (the oldest keep theirs).
    op.execute(
        "UPDATE presets SET name = substr(name, 1, 80) || ' #' || CAST(id AS VARCHAR(12))"
        " WHERE id NOT IN (SELECT min(id) FROM presets GROUP BY lower(name))"
    )
    op.execute(
        "UPDATE presets SET is_default = false WHERE is_default"
        " AND id <> (SELECT min(id) FROM presets WHERE is_default)"
    )
    op.drop_index("ix_presets_owner_default", "presets")
    with op.batch_alter_table("presets") as batch:
        batch.drop_constraint("uq_presets_owner_name", type_="unique")
        batch.drop_constraint("fk_presets_owner_id_users", type_="foreignkey")
        batch.drop_column("owner_id")
        batch.create_unique_constraint("uq_presets_name" if sqlite else "presets_name_key", ["name"])
    op.create_index(
        "ix_presets_default",
        "presets",
        ["is_default"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )

    # An origin unique in all again: the oldest copy of a conversation keeps it.
    op.execute(
        "UPDATE chats SET source_id = NULL WHERE source_id IS NOT NULL AND id NOT IN"
        " (SELECT min(id) FROM chats WHERE source_id IS NOT NULL GROUP BY source, source_id)"
    )
    op.drop_index("ix_chats_owner_source", "chats")

    op.drop_index("ix_chats_owner_activity", "chats")
    op.drop_index("ix_chats_owner_sidebar", "chats")
    with _without_chat_triggers(), op.batch_alter_table("chats") as batch:
        batch.drop_constraint("fk_chats_owner_id_users", type_="foreignkey")
        batch.drop_column("owner_id")
    op.create_index("ix_chats_source", "chats", ["source", "source_id"], unique=True)
    op.drop_table("users")
