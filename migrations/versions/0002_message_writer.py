"""Record which process writes a streaming answer, so a crash is recognised at the next start.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("writer", sa.String(120), nullable=True))
    # Answers left "streaming" by the first schema have no writer: they are interrupted.
    op.execute(
        "UPDATE messages SET status = 'stopped', error = 'interrupted' WHERE status = 'streaming'"
    )


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("writer")
