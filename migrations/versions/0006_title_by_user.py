"""Remember whether a person chose a chat's title (``chats.title_by_user``).

An automatic title (the first words of the first message, or a short title the model writes after
the first answer: ``core.services.titles``) may be replaced by a better automatic one; a title a
person chose never is. Existing chats get ``false``: which of their titles were renamed cannot be
known any more (``core.services.titles`` also checks that a title still reads like the first words
of the first message before it replaces it, which leaves those renamed chats alone).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A NOT NULL column with a server default: one ALTER TABLE ADD COLUMN on both databases (no
    # table copy on SQLite), every existing row reads false.
    op.add_column(
        "chats",
        sa.Column("title_by_user", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # ALTER TABLE DROP COLUMN: SQLite 3.35+ does it in place, as for 0004's own_settings.
    op.drop_column("chats", "title_by_user")
