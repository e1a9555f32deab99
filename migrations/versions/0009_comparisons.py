"""Comparisons, and the indexes Insights reads answers through.

- ``chats.kind``: ``'chat'`` (every chat so far) or ``'comparison'``: one prompt answered by several
  models, each answer a *version* under the prompt (siblings, as Regenerate stores them), so their
  statistics live in ``messages`` like any other answer and Insights and History see them. Keeping
  one answer turns the comparison into an ordinary chat (``kind`` back to ``'chat'``).
- Four partial indexes over the answers (``sender = 'llm'``; questions carry no statistics), so the
  Insights aggregations read narrow index entries instead of the messages' text:

  * ``ix_answers_time``: every column the per-day and per-model counts need, in time order. Date
    ranges are one range of it; the latest answers (the scatter, the drill-down lists) its end.
  * ``ix_answers_speed``, ``ix_answers_ttft``, ``ix_answers_length``: each model's answers in the
    order of one measure (tokens/s, time to first token, completion tokens), with the columns the
    filters test. A percentile is then a walk of ``OFFSET k`` entries along one model's run of the
    index (from whichever end is nearer), and the median over several models a merge of their
    runs: no sort, on SQLite (which has no percentile functions) as on PostgreSQL.

  Each index also lists ``sender``, constant as it is: SQLite counts an index as *covering* only
  when every column the query names is in it, and without that its planner took the smallest
  answers index for every scan and looked each row up in the table (30 times slower).

NOTE: issue 10 adds revision 0008; this one says 0007 until the branches are merged.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ANSWERS = sa.text("sender = 'llm'")
INDEXES = {
    "ix_answers_time": [
        "created_at", "model", "status", "finish_reason", "prompt_tokens", "completion_tokens",
        "time_to_first_token", "tokens_per_second", "chat_id", "parent_id", "sender",
    ],
    "ix_answers_speed": ["model", "tokens_per_second", "created_at", "chat_id", "sender"],
    "ix_answers_ttft": ["model", "time_to_first_token", "created_at", "chat_id", "sender"],
    "ix_answers_length": ["model", "completion_tokens", "created_at", "chat_id", "sender"],
}  # fmt: skip


def upgrade() -> None:
    op.add_column(
        "chats",
        sa.Column("kind", sa.String(16), nullable=False, server_default=sa.text("'chat'")),
    )
    for name, columns in INDEXES.items():
        op.create_index(name, "messages", columns, sqlite_where=_ANSWERS, postgresql_where=_ANSWERS)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, "messages")
    # A plain DROP COLUMN, never a batch copy of ``chats``: on SQLite the copy would drop the
    # full-text index's triggers (migration 0008).
    op.execute("ALTER TABLE chats DROP COLUMN kind")
