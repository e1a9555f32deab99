"""Insights rollups, kept by triggers on ``messages``: ``answer_buckets`` (the finished answers
per quarter hour and model), ``answer_measures`` (a histogram of each model's measures),
``answered_questions`` and ``chat_reach`` (chats and questions reached).

The Insights page's biggest question — per day, model and outcome: answers, tokens, how many carry
each measure — read every answer (0.26 s per 200,000 messages on SQLite, growing with the history).
This table holds the same sums per **slot** (a quarter hour: ``floor(unix seconds / 900)`` of the
answer's UTC time) and ``model`` (``''`` with ``model_known`` false for answers without one: a key
column cannot be NULL and still be unique): the answers by outcome (``complete``, ``length``,
``stopped``, ``error``, as :func:`core.repositories.insights.outcome_of`; columns rather than a
key, which makes a few times fewer rows), ``tokens_in``, ``tokens_out``, and the answers carrying
a speed, a first-token time, a length, and both a prompt size and a first-token time (the
scatter's points). A quarter hour because every time zone in use is a whole number of quarter
hours from UTC and changes its clocks on a quarter hour: a reader's day, in any zone, is a run of
whole slots, so per-day sums from slots are exact.

**Kept by the database.** Triggers add an answer's row when it is inserted finished or leaves
``streaming``, take it away when it is deleted (a version, a chat: the cascade fires them too) and
move it when a counted column changes (model, status, finish reason, tokens, measures, time): every
writer — the chat, the workers, import, Compare, deletes — keeps the rollup right without knowing
about it. SQLite: six triggers (insert, delete, update; for the sums and for the histogram) with
upserts; PostgreSQL: one PL/pgSQL function (``charla_answer_buckets``) on one row trigger. Slots whose answers were all deleted keep a row of
zeros (the readers skip them). An answer being written (``streaming``) is not counted, as on the
page. The table is filled here from the existing answers, in one ``GROUP BY``.

**The percentiles' histogram**, ``answer_measures``: per measure (``tps``, ``ttft``, ``length``),
model and *bin* of values (``floor(value * scale)``, scales 4, 64 and 1/4: powers of two, so the
product is exact and a bin begins exactly at ``bin / scale``), how many answers have that value.
It counts every answer carrying the measure, as the percentile walks do
(:mod:`core.repositories.insights_ranks`, which explains its use). Same triggers, same upserts.

**"Chats and questions reached"** cannot be summed per slot (a question is one however many
answers it has). Over the whole history (the page's first view) it is a sum over chats:
``answered_questions`` holds each question's finished answers and ``chat_reach`` each chat's
finished answers and the questions among them that have some; the same triggers move a question
in or out of its chat's count when its first answer comes or its last goes (a version deleted, a
message spliced out: ``parent_id`` is followed too). With a period or models it stays a pass over
the answers; ``ix_answers_reach`` (chat, question, then what the filters read; answers only) lets
it group question by question in index order instead of sorting every answer twice for
``count(DISTINCT ...)``.

SQLite: ``WITHOUT ROWID`` (the key is the table's order: a period is one range), and nothing in
``messages`` or ``chats`` is rebuilt (a batch copy would drop migration 0008's search triggers).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLOT_SECONDS = 900
OUTCOMES = ("complete", "length", "stopped", "error")  # answers by how they ended
SUMS = (*OUTCOMES, "tokens_in", "tokens_out", "with_speed", "with_ttft", "with_length",
        "with_points")  # fmt: skip
KEY = ("slot", "model", "model_known")
# What a message changes in the rollup when one of these changes.
COUNTED = ("sender", "status", "model", "finish_reason", "prompt_tokens", "completion_tokens",
           "time_to_first_token", "tokens_per_second", "created_at", "chat_id", "parent_id")  # fmt: skip


def _slot(row: str, dialect: str) -> str:
    if dialect == "sqlite":  # created_at is stored as naive UTC text
        return f"CAST(strftime('%s', {row}.created_at) AS INTEGER) / {SLOT_SECONDS}"
    return f"CAST(floor(extract(epoch FROM {row}.created_at) / {SLOT_SECONDS}) AS bigint)"


def _outcome(row: str) -> str:
    return (
        f"CASE WHEN {row}.status = 'error' THEN 'error' WHEN {row}.status = 'stopped' THEN 'stopped'"
        f" WHEN {row}.finish_reason = 'length' THEN 'length' ELSE 'complete' END"
    )


def _set(column: str) -> str:
    return f"CASE WHEN {column} IS NULL THEN 0 ELSE 1 END"


def _key(row: str, dialect: str) -> list[str]:
    return [_slot(row, dialect), f"coalesce({row}.model, '')", f"{row}.model IS NOT NULL"]


def _sums(row: str) -> list[str]:
    return [
        *[f"CASE WHEN {_outcome(row)} = '{outcome}' THEN 1 ELSE 0 END" for outcome in OUTCOMES],
        f"coalesce({row}.prompt_tokens, 0)",
        f"coalesce({row}.completion_tokens, 0)",
        _set(f"{row}.tokens_per_second"),
        _set(f"{row}.time_to_first_token"),
        _set(f"{row}.completion_tokens"),
        f"CASE WHEN {row}.prompt_tokens IS NULL OR {row}.time_to_first_token IS NULL"
        " THEN 0 ELSE 1 END",
    ]


def _add(row: str, sign: str, dialect: str) -> str:
    """The upsert that adds (``sign`` "") or takes away ("-") the message ``row`` when it is a
    finished answer. (The WHERE also lets SQLite parse an upsert from a SELECT as one.)"""
    values = _key(row, dialect) + [f"{sign}({value})" for value in _sums(row)]
    updates = ", ".join(f"{s} = answer_buckets.{s} + excluded.{s}" for s in SUMS)
    return (
        f"INSERT INTO answer_buckets ({', '.join(KEY + SUMS)}) SELECT {', '.join(values)}"
        f" WHERE {_counted(row)} ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {updates}"
    )


def _add_reach(row: str, sign: str) -> list[str]:
    """The statements that add (``sign`` "") or take away ("-") the finished answer ``row`` in
    ``answered_questions`` and ``chat_reach``: a chat's question counts while it has answers."""
    answered = f"{_counted(row)} AND {row}.parent_id IS NOT NULL"
    now = "1" if sign == "" else "0"  # a question's answers after this one came or went
    return [
        "INSERT INTO chat_reach (chat_id, answers, questions)"
        f" SELECT {row}.chat_id, {sign}1, 0 WHERE {_counted(row)} ON CONFLICT (chat_id)"
        " DO UPDATE SET answers = chat_reach.answers + excluded.answers",
        "INSERT INTO answered_questions (question_id, answers)"
        f" SELECT {row}.parent_id, {sign}1 WHERE {answered} ON CONFLICT (question_id)"
        " DO UPDATE SET answers = answered_questions.answers + excluded.answers",
        f"UPDATE chat_reach SET questions = questions {sign or '+'} 1"
        f" WHERE chat_id = {row}.chat_id AND {answered} AND (SELECT answers FROM"
        f" answered_questions WHERE question_id = {row}.parent_id) = {now}",
    ]


def _counted(row: str) -> str:
    return f"{row}.sender = 'llm' AND {row}.status <> 'streaming'"


def _fill(dialect: str) -> str:
    key = _key("messages", dialect)
    sums = [f"sum({value})" for value in _sums("messages")]
    return (
        f"INSERT INTO answer_buckets ({', '.join(KEY + SUMS)})"
        f" SELECT {', '.join(key + sums)} FROM messages WHERE {_counted('messages')}"
        f" GROUP BY {', '.join(key)}"
    )


# The percentile histogram: each measure's column and the width of its bins (a power of two, so
# ``x * scale`` is exact and a bin's lower edge, ``bin / scale``, is exactly where it begins).
MEASURES = {"tps": ("tokens_per_second", "4"), "ttft": ("time_to_first_token", "64"),
            "length": ("completion_tokens", "0.25")}  # fmt: skip
MEASURED = ("sender", "model", "tokens_per_second", "time_to_first_token", "completion_tokens")


def _bin(value: str, scale: str, dialect: str) -> str:
    scaled = f"({value} * {scale})"
    if dialect == "sqlite":  # floor without the math functions: CAST truncates towards zero
        return f"(CAST({scaled} AS INTEGER) - ({scaled} < CAST({scaled} AS INTEGER)))"
    return f"CAST(floor({scaled}) AS bigint)"


def _measure_key(row: str, measure: str, dialect: str) -> list[str]:
    column, scale = MEASURES[measure]
    return [f"'{measure}'", f"coalesce({row}.model, '')", f"{row}.model IS NOT NULL",
            _bin(f"{row}.{column}", scale, dialect)]  # fmt: skip


def _has(row: str, measure: str) -> str:
    return f"{row}.sender = 'llm' AND {row}.{MEASURES[measure][0]} IS NOT NULL"


def _add_measures(row: str, sign: str, dialect: str) -> list[str]:
    """The upserts that add or take away ``row``'s measures in ``answer_measures``."""
    return [
        "INSERT INTO answer_measures (measure, model, model_known, bin, answers)"
        f" SELECT {', '.join(_measure_key(row, measure, dialect))}, {sign}1"
        f" WHERE {_has(row, measure)} ON CONFLICT (measure, model, model_known, bin)"
        " DO UPDATE SET answers = answer_measures.answers + excluded.answers"
        for measure in MEASURES
    ]


def _fill_measures(dialect: str) -> list[str]:
    statements = []
    for measure in MEASURES:
        key = _measure_key("messages", measure, dialect)
        statements.append(
            "INSERT INTO answer_measures (measure, model, model_known, bin, answers)"
            f" SELECT {', '.join(key)}, count(*) FROM messages WHERE {_has('messages', measure)}"
            f" GROUP BY {', '.join(key[1:])}"
        )
    return statements


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "answer_buckets",
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("model", sa.String(300), nullable=False),
        sa.Column("model_known", sa.Boolean(), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in SUMS],
        sa.PrimaryKeyConstraint(*KEY, name="pk_answer_buckets"),
        sqlite_with_rowid=False,
    )
    op.execute(_fill(dialect))
    op.create_table(
        "answer_measures",
        sa.Column("measure", sa.String(8), nullable=False),
        sa.Column("model", sa.String(300), nullable=False),
        sa.Column("model_known", sa.Boolean(), nullable=False),
        sa.Column("bin", sa.BigInteger(), nullable=False),
        sa.Column("answers", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("measure", "model", "model_known", "bin", name="pk_answer_measures"),
        sqlite_with_rowid=False,
    )
    for statement in _fill_measures(dialect):
        op.execute(statement)
    op.create_table(
        "answered_questions",
        sa.Column("question_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("answers", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "chat_reach",
        sa.Column("chat_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("answers", sa.BigInteger(), nullable=False),
        sa.Column("questions", sa.BigInteger(), nullable=False),
    )
    counted = _counted("messages")
    op.execute(
        "INSERT INTO answered_questions (question_id, answers) SELECT parent_id, count(*)"
        f" FROM messages WHERE {counted} AND parent_id IS NOT NULL GROUP BY parent_id"
    )
    op.execute(
        "INSERT INTO chat_reach (chat_id, answers, questions) SELECT chat_id, count(*),"
        f" count(DISTINCT parent_id) FROM messages WHERE {counted} GROUP BY chat_id"
    )
    # "Chats and questions reached" with filters: the answers in chat and question order (a
    # group per question, no sort), with what the filters read.
    op.create_index(
        "ix_answers_reach",
        "messages",
        ["chat_id", "parent_id", "created_at", "model", "status", "sender"],
        sqlite_where=sa.text("sender = 'llm'"),
        postgresql_where=sa.text("sender = 'llm'"),
    )
    if dialect == "sqlite":
        columns = ", ".join(COUNTED)
        for name, event, body in (
            ("insert", "AFTER INSERT", [("NEW", "")]),
            ("delete", "AFTER DELETE", [("OLD", "-")]),
            ("update", f"AFTER UPDATE OF {columns}", [("OLD", "-"), ("NEW", "")]),
        ):
            statements = [
                f"{sql};" for row, sign in body for sql in [_add(row, sign, dialect),
                                                            *_add_reach(row, sign)]
            ]  # fmt: skip
            when = " OR ".join(f"({_counted(row)})" for row, _ in body)  # questions: nothing
            op.execute(
                f"CREATE TRIGGER answer_buckets_{name} {event} ON messages WHEN {when}"
                f" BEGIN {' '.join(statements)} END"
            )
        for name, event, body in (
            ("insert", "AFTER INSERT", [("NEW", "")]),
            ("delete", "AFTER DELETE", [("OLD", "-")]),
            ("update", f"AFTER UPDATE OF {', '.join(MEASURED)}", [("OLD", "-"), ("NEW", "")]),
        ):
            statements = [f"{sql};" for row, sign in body for sql in _add_measures(row, sign, dialect)]
            when = " OR ".join(f"{row}.sender = 'llm'" for row, _ in body)
            op.execute(
                f"CREATE TRIGGER answer_measures_{name} {event} ON messages WHEN {when}"
                f" BEGIN {' '.join(statements)} END"
            )
        return
    old_measures = "; ".join(_add_measures("OLD", "-", dialect) + _add_reach("OLD", "-"))
    new_measures = "; ".join(_add_measures("NEW", "", dialect) + _add_reach("NEW", ""))
    op.execute(
        "CREATE FUNCTION charla_answer_buckets() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        f"  IF TG_OP <> 'INSERT' THEN {_add('OLD', '-', dialect)}; {old_measures}; END IF;\n"
        f"  IF TG_OP <> 'DELETE' THEN {_add('NEW', '', dialect)}; {new_measures}; END IF;\n"
        "  RETURN NULL;\n"
        "END\n"
        "$$"
    )
    op.execute(
        "CREATE TRIGGER answer_buckets_sync AFTER INSERT OR DELETE OR UPDATE OF"
        f" {', '.join(COUNTED)} ON messages FOR EACH ROW EXECUTE FUNCTION charla_answer_buckets()"
    )


def downgrade() -> None:
    op.drop_index("ix_answers_reach", "messages")
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS answer_buckets_{name}")
            op.execute(f"DROP TRIGGER IF EXISTS answer_measures_{name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS answer_buckets_sync ON messages")
        op.execute("DROP FUNCTION IF EXISTS charla_answer_buckets()")
    op.drop_table("chat_reach")
    op.drop_table("answered_questions")
    op.drop_table("answer_measures")
    op.drop_table("answer_buckets")
