"""PostgreSQL: trigram indexes so the history's text search does not read every message.

``ILIKE '%text%'`` cannot use a B-tree index; ``pg_trgm``'s GIN index can. ``pg_trgm`` ships with
PostgreSQL and is a trusted extension (PostgreSQL 13+): any role that may create objects in the
database can enable it. Where it cannot be enabled, the search still works, only slower, so the
migration goes on without the indexes rather than failing the app's start. SQLite: nothing to do.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():  # a savepoint: a refusal must not abort the migration
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as exc:
        log.warning("pg_trgm is not available (%s); history search will scan messages", exc.orig)
        return
    op.create_index(
        "ix_messages_content_trgm",
        "messages",
        ["content"],
        postgresql_using="gin",
        postgresql_ops={"content": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_chats_title_trgm",
        "chats",
        ["title"],
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_chats_title_trgm")
    op.execute("DROP INDEX IF EXISTS ix_messages_content_trgm")
