"""Insights rollups, kept by triggers on ``messages``: ``answer_buckets`` (the finished answers per
quarter hour and model), ``answer_measures`` (a histogram of each model's measures),
``answered_questions`` and ``chat_reach`` (chats and questions reached).

The Insights page's biggest question — per day, model and outcome: answers, tokens, how many carry
each measure — read every answer (0.26 s per 200,000 messages on SQLite, growing with the history).
This table holds the same sums per owner, **slot** (a quarter hour: ``floor(unix seconds / 900)`` of
the answer's UTC time) and ``model`` (``''`` with ``model_known`` false for answers without one: a
key column cannot be NULL and still be unique): the answers by outcome (``complete``, ``length``,
``stopped``, ``error``, as :func:`core.repositories.insights.outcome_of`; columns rather than a key,
which makes a few times fewer rows), ``tokens_in``, ``tokens_out``, and the answers carrying a
speed, a first-token time, a length, and both a prompt size and a first-token time (the scatter's
points). A quarter hour because every time zone in use is a whole number of quarter hours from UTC
and changes its clocks on a quarter hour: a reader's day, in any zone, is a run of whole slots, so
per-day sums from slots are exact. ``answer_hours`` holds the same sums per hour: four times fewer
rows for a reader whose zone is a whole number of hours from UTC over the period (most zones;
India, Nepal or Newfoundland read the quarter hours).

**Kept by the database.** Triggers add an answer's row when it is inserted finished or leaves
``streaming``, take it away when it is deleted and move it when a counted column changes (model,
status, finish reason, tokens, measures, time): every writer — the chat, the workers, import,
Compare, deletes — keeps the rollups right without knowing about them. SQLite: six triggers (insert,
delete, update; for the sums and for the histogram); PostgreSQL: one PL/pgSQL function
(``charla_answer_buckets``) on one row trigger. An answer being written is not counted, as on the
page. Rows whose answers all went stay as zeros (the readers skip them). Filled here from the
existing answers, in one ``GROUP BY`` each.

**The owner** (the answer's chat's, a primary-key probe in each statement) leads every key: one
person's Insights never count another's answers. Two triggers on ``chats`` keep it right: before a
chat is deleted its messages are deleted (while the chat, and so its owner, is still there to read;
a cascade runs after it is gone), and when a chat changes hands (``users claim-local``) its answers
move to the new owner's rows.

**No deadlock on PostgreSQL**, where writers run at once: each statement applies a row's change as
deltas grouped by key and **in key order** (``INSERT ... SELECT ... GROUP BY ... ORDER BY ... ON
CONFLICT DO UPDATE``; an update's old and new halves merged when they share a row, nothing written
when they cancel), and the tables are always written in one order (``answer_buckets``,
``answer_hours``, ``answer_measures``, ``answered_questions``, ``chat_reach``). Every trigger thus
locks the shared rows it needs in one global order: two sessions saving answers may wait for each
other, never in a cycle (tests/test_rollup_concurrency.py forces the interleaving that deadlocked
when an update took its old row out before putting its new one in). SQLite has one writer at a time.
Left: one statement changing many answers (a chat deleted) runs the trigger row by row, so two of
those of one person at the same moment could still cross; PostgreSQL then stops one with an error
(never a hang), and different people never share a row (the owner leads every key).

**The percentiles' histogram**, ``answer_measures``: per owner, measure (``tps``, ``ttft``,
``length``), model and *bin* of values (``floor(value * scale)``, scales 16, 256 and 1: powers of
two, so the product is exact and a bin begins exactly at ``bin / scale``), how many answers have
that value. It counts every answer carrying the measure, as the percentile walks do
(:mod:`core.repositories.insights_ranks`, which explains its use). Same triggers, same upserts.

**"Chats and questions reached"** cannot be summed per slot (a question is one however many answers
it has). Over the whole history (the page's first view) it is a sum over chats:
``answered_questions`` holds each question's finished answers and ``chat_reach`` each chat's (with
its owner) finished answers and the questions among them that have some; the same triggers move a
question in or out of its chat's count when its first answer comes or its last goes (a version
deleted, a message spliced out: ``parent_id`` is followed too). With a period or models it stays a
pass over the answers; ``ix_answers_reach`` (chat, question, then what the filters read; answers
only) lets it group question by question in index order instead of sorting every answer twice for
``count(DISTINCT ...)``.

SQLite: ``WITHOUT ROWID`` (the key is the table's order: a period is one range), and nothing in
``messages`` or ``chats`` is rebuilt (a batch copy would drop migration 0008's search triggers).



Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLOT_SECONDS = 900
# The same sums per hour: a reader whose zone is a whole number of hours from UTC (most) has
# four times fewer rows to read.
WIDTHS = {"answer_buckets": SLOT_SECONDS, "answer_hours": 3600}
OUTCOMES = ("complete", "length", "stopped", "error")  # answers by how they ended
SUMS = (*OUTCOMES, "tokens_in", "tokens_out", "with_speed", "with_ttft", "with_length",
        "with_points")  # fmt: skip
KEY = ("owner_id", "slot", "model", "model_known")
MEASURE_KEY = ("owner_id", "measure", "model", "model_known", "bin")
REACH_KEY = ("owner_id", "chat_id")
# What a message changes in the rollup when one of these changes.
COUNTED = ("sender", "status", "model", "finish_reason", "prompt_tokens", "completion_tokens",
           "time_to_first_token", "tokens_per_second", "created_at", "chat_id", "parent_id")  # fmt: skip
# The rows a trigger changes: (the message's pseudo-row, "" to add it or "-" to take it away).
Change = Sequence[tuple[str, str]]


def _slot(row: str, dialect: str, width: int = SLOT_SECONDS) -> str:
    if dialect == "sqlite":  # created_at is stored as naive UTC text
        return f"CAST(strftime('%s', {row}.created_at) AS INTEGER) / {width}"
    return f"CAST(floor(extract(epoch FROM {row}.created_at) / {width}) AS bigint)"


def _outcome(row: str) -> str:
    return (
        f"CASE WHEN {row}.status = 'error' THEN 'error' WHEN {row}.status = 'stopped' THEN 'stopped'"
        f" WHEN {row}.finish_reason = 'length' THEN 'length' ELSE 'complete' END"
    )


def _set(column: str) -> str:
    return f"CASE WHEN {column} IS NULL THEN 0 ELSE 1 END"


def _key(row: str, dialect: str, width: int = SLOT_SECONDS) -> list[str]:
    return [_slot(row, dialect, width), f"coalesce({row}.model, '')", f"{row}.model IS NOT NULL"]


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


def _counted(row: str) -> str:
    return f"{row}.sender = 'llm' AND {row}.status <> 'streaming'"


def _answered(row: str) -> str:
    return f"{_counted(row)} AND {row}.parent_id IS NOT NULL"


def _named(values: Sequence[str], names: Sequence[str]) -> str:
    return ", ".join(f"{value} AS {name}" for value, name in zip(values, names, strict=True))


def _of_owner(row: str, values: Sequence[str], names: Sequence[str], where: str) -> str:
    """One half of a change: ``row``'s values under the owner of its chat (none once the chat
    is gone: the chats' delete trigger takes the messages away first)."""
    return (
        f"SELECT chats.owner_id AS owner_id, {_named(values, names)} FROM chats"
        f" WHERE chats.id = {row}.chat_id AND {where}"
    )


def _apply(table: str, key: Sequence[str], values: Sequence[str], halves: list[str]) -> str:
    """The upsert that adds ``halves`` (SELECTs of ``key`` + ``values``) to ``table``: summed by
    key, rows that cancel left out, and **in key order** — every trigger locks the rows it
    writes in the same order (module docstring: no deadlock on PostgreSQL)."""
    keys = ", ".join(key)
    changed = " OR ".join(f"sum(d.{v}) <> 0" for v in values)
    updates = ", ".join(f"{v} = {table}.{v} + excluded.{v}" for v in values)
    # "WHERE true": SQLite parses an upsert from a SELECT only with a WHERE.
    return (
        f"INSERT INTO {table} ({keys}, {', '.join(values)})"
        f" SELECT {', '.join(f'd.{k}' for k in key)}, {', '.join(f'sum(d.{v})' for v in values)}"
        f" FROM ({' UNION ALL '.join(halves)}) AS d WHERE true GROUP BY {keys}"
        f" HAVING {changed} ORDER BY {keys} ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    )


def _buckets(change: Change, dialect: str) -> list[str]:
    """The upserts of ``answer_buckets`` and then ``answer_hours``."""
    names = [*KEY[1:], *SUMS]
    return [
        _apply(table, KEY, SUMS, [
            _of_owner(row, _key(row, dialect, width) + [f"{sign}({v})" for v in _sums(row)],
                      names, _counted(row))
            for row, sign in change
        ])
        for table, width in WIDTHS.items()
    ]  # fmt: skip


def _reach(change: Change) -> list[str]:
    """``answered_questions`` (a question's finished answers), then ``chat_reach`` (a chat's
    finished answers, and its questions: one more when a question's first answer came, one
    fewer when its last went; nothing when an update keeps the answer on its question)."""
    asked = [f"SELECT {row}.parent_id AS question_id, {sign}1 AS answers WHERE {_answered(row)}"
             for row, sign in change]  # fmt: skip
    halves = []
    for row, sign in change:
        kept = [f"({_answered(o)} AND {o}.parent_id = {row}.parent_id)"
                for o, _ in change if o != row]  # fmt: skip
        now = "1" if sign == "" else "0"  # its question's answers after this one came or went
        moved = (
            f"CASE WHEN {_answered(row)} {''.join(f'AND NOT {k} ' for k in kept)}AND (SELECT"
            f" answers FROM answered_questions WHERE question_id = {row}.parent_id) = {now}"
            f" THEN {sign}1 ELSE 0 END"
        )
        halves.append(_of_owner(row, [f"{row}.chat_id", f"{sign}1", moved],
                                ["chat_id", "answers", "questions"], _counted(row)))  # fmt: skip
    return [
        _apply("answered_questions", ("question_id",), ("answers",), asked),
        _apply("chat_reach", REACH_KEY, ("answers", "questions"), halves),
    ]


def _fill(dialect: str, table: str) -> str:
    key = ["chats.owner_id", *_key("messages", dialect, WIDTHS[table])]
    sums = [f"sum({value})" for value in _sums("messages")]
    return (
        f"INSERT INTO {table} ({', '.join(KEY + SUMS)})"
        f" SELECT {', '.join(key + sums)} FROM messages JOIN chats ON chats.id = messages.chat_id"
        f" WHERE {_counted('messages')} GROUP BY {', '.join(key)}"
    )


# The percentile histogram: each measure's column and the width of its bins (a power of two, so
# ``x * scale`` is exact and a bin's lower edge, ``bin / scale``, is exactly where it begins).
# Fine enough that a bin holds a few hundred answers at a million messages: the walk that
# starts there probes each answer's chat for its owner.
MEASURES = {"tps": ("tokens_per_second", "16"), "ttft": ("time_to_first_token", "256"),
            "length": ("completion_tokens", "1")}  # fmt: skip
MEASURED = ("sender", "model", "tokens_per_second", "time_to_first_token", "completion_tokens",
            "chat_id")  # fmt: skip


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


def _measures(change: Change, dialect: str) -> str:
    """The upsert that adds or takes away the change's measures in ``answer_measures``."""
    halves = [
        _of_owner(row, [*_measure_key(row, measure, dialect), f"{sign}1"],
                  [*MEASURE_KEY[1:], "answers"], _has(row, measure))
        for row, sign in change for measure in MEASURES
    ]  # fmt: skip
    return _apply("answer_measures", MEASURE_KEY, ("answers",), halves)


def _fill_measures(dialect: str) -> list[str]:
    statements = []
    for measure in MEASURES:
        key = ["chats.owner_id", *_measure_key("messages", measure, dialect)]
        statements.append(
            f"INSERT INTO answer_measures ({', '.join(MEASURE_KEY)}, answers)"
            f" SELECT {', '.join(key)}, count(*) FROM messages JOIN chats"
            f" ON chats.id = messages.chat_id WHERE {_has('messages', measure)}"
            f" GROUP BY {', '.join(key[:1] + key[2:])}"
        )
    return statements


def _moved(dialect: str) -> list[str]:
    """A chat changes hands: its answers move from ``OLD.owner_id``'s rows to ``NEW.owner_id``'s
    (grouped and in key order, as every change)."""
    buckets: dict[str, list[str]] = {table: [] for table in WIDTHS}
    measures = []
    where = "FROM messages WHERE messages.chat_id = OLD.id AND"
    for owner, sign in (("OLD", "-"), ("NEW", "")):
        for table, width in WIDTHS.items():
            values = _key("messages", dialect, width) + [f"{sign}({v})" for v in _sums("messages")]
            named = _named(values, [*KEY[1:], *SUMS])
            buckets[table].append(f"SELECT {owner}.owner_id AS owner_id, {named} {where}"
                                  f" {_counted('messages')}")  # fmt: skip
        for measure in MEASURES:
            named = _named(_measure_key("messages", measure, dialect), MEASURE_KEY[1:])
            measures.append(f"SELECT {owner}.owner_id AS owner_id, {named}, {sign}1 AS answers"
                            f" {where} {_has('messages', measure)}")  # fmt: skip
    return [
        *[_apply(table, KEY, SUMS, halves) for table, halves in buckets.items()],
        _apply("answer_measures", MEASURE_KEY, ("answers",), measures),
        "UPDATE chat_reach SET owner_id = NEW.owner_id"
        " WHERE owner_id = OLD.owner_id AND chat_id = OLD.id",
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in WIDTHS:  # slot: UTC seconds // the table's width
        op.create_table(
            table,
            sa.Column("owner_id", sa.Integer(), nullable=False),
            sa.Column("slot", sa.BigInteger(), nullable=False),
            sa.Column("model", sa.String(300), nullable=False),
            sa.Column("model_known", sa.Boolean(), nullable=False),
            *[sa.Column(name, sa.BigInteger(), nullable=False) for name in SUMS],
            sa.PrimaryKeyConstraint(*KEY, name=f"pk_{table}"),
            sqlite_with_rowid=False,
        )
        op.execute(_fill(dialect, table))
    op.create_table(
        "answer_measures",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(8), nullable=False),
        sa.Column("model", sa.String(300), nullable=False),
        sa.Column("model_known", sa.Boolean(), nullable=False),
        sa.Column("bin", sa.BigInteger(), nullable=False),
        sa.Column("answers", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*MEASURE_KEY, name="pk_answer_measures"),
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
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.BigInteger(), nullable=False),
        sa.Column("questions", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*REACH_KEY, name="pk_chat_reach"),
        sqlite_with_rowid=False,
    )
    counted = _counted("messages")
    op.execute(
        "INSERT INTO answered_questions (question_id, answers) SELECT parent_id, count(*)"
        f" FROM messages WHERE {counted} AND parent_id IS NOT NULL GROUP BY parent_id"
    )
    op.execute(
        "INSERT INTO chat_reach (owner_id, chat_id, answers, questions) SELECT chats.owner_id,"
        " messages.chat_id, count(*), count(DISTINCT messages.parent_id) FROM messages JOIN chats"
        f" ON chats.id = messages.chat_id WHERE {counted} GROUP BY chats.owner_id, messages.chat_id"
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
    changes: dict[str, Change] = {
        "insert": [("NEW", "")], "delete": [("OLD", "-")], "update": [("OLD", "-"), ("NEW", "")],
    }  # fmt: skip
    if dialect == "sqlite":
        for name, event in (("insert", "AFTER INSERT"), ("delete", "AFTER DELETE"),
                            ("update", f"AFTER UPDATE OF {', '.join(COUNTED)}")):  # fmt: skip
            change = changes[name]
            statements = [*_buckets(change, dialect), *_reach(change)]
            when = " OR ".join(f"({_counted(row)})" for row, _ in change)  # questions: nothing
            op.execute(
                f"CREATE TRIGGER answer_buckets_{name} {event} ON messages WHEN {when}"
                f" BEGIN {' '.join(f'{sql};' for sql in statements)} END"
            )
        for name, event in (("insert", "AFTER INSERT"), ("delete", "AFTER DELETE"),
                            ("update", f"AFTER UPDATE OF {', '.join(MEASURED)}")):  # fmt: skip
            change = changes[name]
            when = " OR ".join(f"{row}.sender = 'llm'" for row, _ in change)
            op.execute(
                f"CREATE TRIGGER answer_measures_{name} {event} ON messages WHEN {when}"
                f" BEGIN {_measures(change, dialect)}; END"
            )
        op.execute(
            "CREATE TRIGGER rollups_chat_delete BEFORE DELETE ON chats"
            " BEGIN DELETE FROM messages WHERE chat_id = OLD.id; END"
        )
        op.execute(
            "CREATE TRIGGER rollups_chat_owner AFTER UPDATE OF owner_id ON chats"
            " WHEN OLD.owner_id IS NOT NEW.owner_id"
            f" BEGIN {' '.join(f'{sql};' for sql in _moved(dialect))} END"
        )
        return

    def body(change: Change) -> str:
        return "; ".join([*_buckets(change, dialect), _measures(change, dialect), *_reach(change)])

    # One row trigger; each operation's statements in the tables' order (the docstring's lock
    # order): an update's old and new rows together.
    op.execute(
        "CREATE FUNCTION charla_answer_buckets() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        f"  IF TG_OP = 'INSERT' THEN {body(changes['insert'])};\n"
        f"  ELSIF TG_OP = 'DELETE' THEN {body(changes['delete'])};\n"
        f"  ELSE {body(changes['update'])};\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END\n"
        "$$"
    )
    op.execute(
        "CREATE TRIGGER answer_buckets_sync AFTER INSERT OR DELETE OR UPDATE OF"
        f" {', '.join(COUNTED)} ON messages FOR EACH ROW EXECUTE FUNCTION charla_answer_buckets()"
    )
    op.execute(
        "CREATE FUNCTION charla_chat_rollups() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF TG_OP = 'DELETE' THEN\n"
        "    DELETE FROM messages WHERE chat_id = OLD.id;\n"
        "    RETURN OLD;\n"
        "  END IF;\n"
        f"  {'; '.join(_moved(dialect))};\n"
        "  RETURN NULL;\n"
        "END\n"
        "$$"
    )
    op.execute(
        "CREATE TRIGGER rollups_chat_delete BEFORE DELETE ON chats"
        " FOR EACH ROW EXECUTE FUNCTION charla_chat_rollups()"
    )
    op.execute(
        "CREATE TRIGGER rollups_chat_owner AFTER UPDATE OF owner_id ON chats FOR EACH ROW"
        " WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id) EXECUTE FUNCTION charla_chat_rollups()"
    )


def downgrade() -> None:
    op.drop_index("ix_answers_reach", "messages")
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS answer_buckets_{name}")
            op.execute(f"DROP TRIGGER IF EXISTS answer_measures_{name}")
        op.execute("DROP TRIGGER IF EXISTS rollups_chat_delete")
        op.execute("DROP TRIGGER IF EXISTS rollups_chat_owner")
    else:
        op.execute("DROP TRIGGER IF EXISTS answer_buckets_sync ON messages")
        op.execute("DROP FUNCTION IF EXISTS charla_answer_buckets()")
        op.execute("DROP TRIGGER IF EXISTS rollups_chat_delete ON chats")
        op.execute("DROP TRIGGER IF EXISTS rollups_chat_owner ON chats")
        op.execute("DROP FUNCTION IF EXISTS charla_chat_rollups()")
    op.drop_table("chat_reach")
    op.drop_table("answered_questions")
    op.drop_table("answer_measures")
    op.drop_table("answer_hours")
    op.drop_table("answer_buckets")
