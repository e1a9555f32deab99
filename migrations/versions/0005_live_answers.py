"""Answers that outlive the page: a stop request any process can make, the streaming answers
found at once, and what was learnt about each model's context.

- ``messages.stop_requested``: Stop pressed in any tab of any app process; the process writing the
  answer polls it (``core.services.live``).
- ``ix_messages_streaming``: a partial index over the few answers being written, so "is this chat
  answering?" and the start-up check for answers a crash left open read a handful of rows, never
  the whole table (SQLite and PostgreSQL both have partial indexes).
- ``model_facts``: per model, the context length learnt from the server (its model list, llama.cpp's
  ``/props``, or an overflow error), kept across restarts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STREAMING = sa.text("status = 'streaming'")


def upgrade() -> None:
    op.add_column(
        "messages",
        sa.Column("stop_requested", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ix_messages_streaming",
        "messages",
        ["chat_id"],
        sqlite_where=_STREAMING,
        postgresql_where=_STREAMING,
    )
    op.create_table(
        "model_facts",
        sa.Column("model", sa.String(300), primary_key=True),
        sa.Column("context_length", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("model_facts")
    op.drop_index("ix_messages_streaming", "messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("stop_requested")
