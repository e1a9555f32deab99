"""Presets, and a model's load time kept apart from an answer's time to first token.

- ``presets``: a name (unique), a system prompt and the generation parameters it sets (JSON);
  ``is_default`` marks the one new chats start from — a partial unique index lets at most one row
  hold it; ``source`` says where an imported preset came from.
- ``messages.load_time``: seconds the server reported for loading the model just before this
  answer (LM Studio's ``load_time_seconds``); existing answers have none (NULL).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "presets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("system_prompt", sa.Text(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("source", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_presets_default",
        "presets",
        ["is_default"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )
    op.add_column("messages", sa.Column("load_time", sa.Float(), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+ and PostgreSQL), never a batch copy of ``messages``: on
    # SQLite the copy would drop the full-text index's triggers (migration 0008).
    op.execute("ALTER TABLE messages DROP COLUMN load_time")
    op.drop_index("ix_presets_default", "presets")
    op.drop_table("presets")
