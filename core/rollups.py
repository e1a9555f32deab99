"""The Insights rollups: tables that triggers on ``messages`` keep (migration 0015 explains them
and creates the triggers); nothing in Python writes them, :mod:`core.repositories.insights_daily`
and :mod:`core.repositories.insights_ranks` read them.

Declared on :data:`core.models.Base`'s metadata (so the migrated schema is compared with them) but
apart from :mod:`core.models`, which describes what the application writes. Whoever compares or
creates the whole schema imports this module too (``migrations/env.py``, the migration tests).
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table

from core.models import ANSWERS, Base, Message

# Per owner (the chat's), quarter hour or hour (slot) and model ('' with model_known false:
# none). The owner comes first in every key: one person's figures are one range.
ROLLUP_SUMS: Final = ("complete", "length", "stopped", "error", "tokens_in", "tokens_out",
                      "with_speed", "with_ttft", "with_length", "with_points")  # fmt: skip


def _owner() -> Column[int]:
    return Column("owner_id", Integer, primary_key=True, autoincrement=False)


def _model_key() -> list[Column[object]]:
    return [Column("model", String(300), primary_key=True),
            Column("model_known", Boolean, primary_key=True)]  # fmt: skip


def _sums_table(name: str) -> Table:
    return Table(
        name, Base.metadata, _owner(), Column("slot", BigInteger, primary_key=True),
        *_model_key(), *[Column(n, BigInteger, nullable=False) for n in ROLLUP_SUMS],
        sqlite_with_rowid=False,
    )  # fmt: skip


ANSWER_BUCKETS = _sums_table("answer_buckets")  # slot: UTC seconds // 900
ANSWER_HOURS = _sums_table("answer_hours")  # the same sums per hour (slot: UTC seconds // 3600)
# Per owner, measure, model and bin of values (floor(value * MEASURE_SCALES[measure])): the percentiles.
ANSWER_MEASURES = Table(
    "answer_measures", Base.metadata, _owner(), Column("measure", String(8), primary_key=True),
    *_model_key(), Column("bin", BigInteger, primary_key=True),
    Column("answers", BigInteger, nullable=False), sqlite_with_rowid=False,
)  # fmt: skip
# Powers of two: value * scale is exact, and bin / scale is exactly where a bin begins.
MEASURE_SCALES: dict[str, float] = {"tps": 16.0, "ttft": 256.0, "length": 1.0}  # migration 0015
# "Chats and questions reached" of the whole history: a question's finished answers, and a chat's
# finished answers and the questions they answer.
ANSWERED_QUESTIONS = Table(
    "answered_questions", Base.metadata,
    Column("question_id", Integer, primary_key=True, autoincrement=False),
    Column("answers", BigInteger, nullable=False),
)  # fmt: skip
CHAT_REACH = Table(
    "chat_reach", Base.metadata, _owner(),
    Column("chat_id", Integer, primary_key=True, autoincrement=False),
    Column("answers", BigInteger, nullable=False),
    Column("questions", BigInteger, nullable=False), sqlite_with_rowid=False,
)  # fmt: skip
# "Chats and questions reached" with filters: the answers grouped by chat and question.
REACH_INDEX: Final = Index(
    "ix_answers_reach",
    *[Message.__table__.c[name] for name in ("chat_id", "parent_id", "created_at", "model",
                                             "status", "sender")],
    sqlite_where=ANSWERS, postgresql_where=ANSWERS,
)  # fmt: skip
