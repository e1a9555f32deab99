"""Organising chats: pinned, archived, tags; and where an imported chat came from.

- ``chats.pinned`` / ``chats.archived``: pinned chats come first in the sidebar and in History;
  archived ones leave the sidebar but stay in History and search. ``ix_chats_sidebar`` serves the
  sidebar's order.
- ``tags`` and ``chat_tags``: a chat carries any number of tags; deleting a chat or a tag deletes
  the link.
- ``messages.shown_at``: when a message was last on its chat's shown branch, so going back to a
  version shows the conversation below it as it was last shown (not merely the newest answers).
  Existing messages: their creation time.
- ``chats.source`` / ``chats.source_id``: an imported conversation's origin and its id there,
  unique together, so importing the same file twice adds nothing the second time. (Several NULL
  pairs are allowed on both databases: a chat made here has none.)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "chats", sa.Column("pinned", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column(
        "chats", sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("chats", sa.Column("source", sa.String(32), nullable=True))
    op.add_column("chats", sa.Column("source_id", sa.String(200), nullable=True))
    op.create_index(
        "ix_chats_sidebar", "chats", ["archived", "pinned", "last_activity", "id"]
    )
    op.create_index("ix_chats_source", "chats", ["source", "source_id"], unique=True)
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "chat_tags",
        sa.Column(
            "chat_id",
            sa.Integer(),
            sa.ForeignKey("chats.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "tag_id", sa.Integer(), sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
        ),
    )
    op.create_index("ix_chat_tags_tag", "chat_tags", ["tag_id", "chat_id"])
    op.add_column("messages", sa.Column("shown_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE messages SET shown_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("shown_at")
    op.drop_table("chat_tags")
    op.drop_table("tags")
    op.drop_index("ix_chats_source", "chats")
    op.drop_index("ix_chats_sidebar", "chats")
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("source_id")
        batch.drop_column("source")
        batch.drop_column("archived")
        batch.drop_column("pinned")
