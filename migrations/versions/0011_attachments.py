"""Files and images in a message: ``attachments`` and ``message_attachments``.

- ``attachments``: one row per distinct file, content-addressed (``sha256`` unique): the bytes kept
  (a document as uploaded, an image as re-encoded for the model), the text the model reads of a
  document, an image's size, and ``context_bytes``, what the context arithmetic counts for it.
- ``message_attachments``: which attachments a message carries, in order, under the file's name.
  Deleting a message (or its chat) deletes its links.

Existing messages carry no attachments: nothing to fill in.

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("context_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "message_attachments",
        sa.Column(
            "message_id",
            sa.Integer(),
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column(
            "attachment_id",
            sa.Integer(),
            sa.ForeignKey("attachments.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(255), nullable=False),
    )
    op.create_index(
        "ix_message_attachments_attachment", "message_attachments", ["attachment_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_message_attachments_attachment", "message_attachments")
    op.drop_table("message_attachments")
    op.drop_table("attachments")
