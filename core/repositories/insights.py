"""``InsightsRepository``: the aggregations behind the Insights page, computed by the database.

Nothing here reads the messages' text, and nothing loads every answer into Python: each question
is one statement over the answers' partial indexes (``core.models.INSIGHTS_INDEXES``, migration
0009) or over the rollups that triggers keep beside them (migration 0015), and what comes back is
small — a row per day and model, a few values per model. The per-day sums live in
:mod:`core.repositories.insights_daily` (the rollup ``answer_buckets``, or the raw pass).

**Which answers** (:class:`AnswerScope`): the current owner's (an ``EXISTS`` probe of each answer's
chat by primary key, so the answers' indexes still drive every query), ``sender = 'llm'``, written
out literally (a partial index serves only a query that states its condition), not ``streaming``,
within a UTC range, of some models, in chats carrying some tags; plus the drill-down's narrowing
(one local day, one model, one outcome, one answer).

**Days in the reader's time zone** (:func:`local_day`): SQLite knows no time zones, so the zone's
UTC offsets over the period are worked out in Python (:class:`DayShift`, a few segments a year
where the zone has summer time) and the database shifts each answer by its segment's offset before
taking the date — the same expression on both databases, so both group alike.

**Percentiles** (:meth:`InsightsRepository.quantiles`): SQLite has no ``percentile_cont``, and a
window function over half a million answers sorts them all. Instead, a percentile of one model is
read where it lies: the model's answers are one run of an index ordered by the measure, so the
value at rank *k* is ``ORDER BY x LIMIT 2 OFFSET k`` — a walk of *k* index entries from whichever
end is nearer, no sort. The median over several models is the same walk over a ``UNION ALL`` of
their runs, which both databases merge in order. Values are interpolated between the two closest
ranks, exactly as PostgreSQL's ``percentile_cont`` (and numpy's default) do. A walk of *k* grows
with the history, so where the histogram of each model's measures covers the scope (no period,
no tags: :mod:`core.repositories.insights_ranks`) it starts at the bin that holds rank *k* and
stops at the next: the same value, through one or two bins. The counts *n* come
from the daily sums (:mod:`core.repositories.insights_daily`): a measure is set exactly on
finished answers, so the answers carrying it there are the length of each run.

Callers run a page's questions in one transaction (:meth:`InsightsRepository.snapshot`): SQLite's
read transaction and PostgreSQL's ``REPEATABLE READ`` then see one state of the history, so the
counts and the walks agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    TextClause,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from core.models import ANSWERS, Chat, ChatTag, Message, Tag
from core.repositories import insights_ranks as ranks
from core.repositories.messages import STREAMING
from core.repositories.scope import my_messages_apart as mine
from core.repositories.scope import owner_value
from core.rollups import ANSWER_BUCKETS
from core.vocab import Sender, Status

# How an answer ended, for the charts: the stored status, with "length" (cut by max_tokens or a
# full context) told apart from a plain complete answer.
COMPLETE, LENGTH, STOPPED, ERROR = "complete", "length", "stopped", "error"
OUTCOMES: Final = (COMPLETE, LENGTH, STOPPED, ERROR)
MEASURES: Final = {
    "tps": Message.tokens_per_second,
    "ttft": Message.time_to_first_token,
    "length": Message.completion_tokens,
}


def outcome_of(status: str, finish_reason: str | None) -> str:
    if status == Status.ERROR:
        return ERROR
    if status == Status.STOPPED:
        return STOPPED
    return LENGTH if finish_reason == "length" else COMPLETE


@dataclass(frozen=True)
class DayShift:
    """A time zone's UTC offsets over a period: ``offsets[i]`` (seconds) applies before
    ``changes[i]`` (a UTC instant), the last offset after the last change."""

    offsets: tuple[int, ...]
    changes: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class AnswerScope:
    """Which answers a question is about; empty fields mean "any"."""

    start: datetime | None = None  # UTC, inclusive
    end: datetime | None = None  # UTC, exclusive
    models: tuple[str | None, ...] = ()  # None: answers whose model is unknown
    tags: tuple[str, ...] = ()  # answers in chats carrying any of these
    outcome: str | None = None
    answer_id: int | None = None


@dataclass(frozen=True)
class Run:
    """Some answers' values of a measure: ``values(edge, limit)`` is the query for those
    ``>= edge`` and ``< limit`` (None: unbounded) and the column to order it by; ``bins``,
    their histogram when it applies."""

    values: Callable[[float | None, float | None], tuple[Select[Any], Any]]
    bins: ranks.Bins | None


def _whole(scope: AnswerScope) -> AnswerScope:
    """``scope`` without the narrowing the histogram does not know (an outcome, one answer)."""
    return AnswerScope(scope.start, scope.end, scope.models, scope.tags)


@dataclass(frozen=True)
class AnswerRow:
    id: int
    chat_id: int
    chat_title: str
    created_at: datetime
    model: str | None
    outcome: str
    prompt_tokens: int | None
    completion_tokens: int | None
    time_to_first_token: float | None
    tokens_per_second: float | None


def local_day(column: Any, shift: DayShift, dialect: str) -> ColumnElement[Any]:
    """The calendar day of ``column`` (a UTC timestamp) in the zone ``shift`` describes."""

    def by_segment(offsets: Sequence[Any]) -> Any:
        if len(offsets) == 1:
            return literal(offsets[0])
        whens = [(column < at, off) for at, off in zip(shift.changes, offsets, strict=False)]
        return case(*whens, else_=offsets[-1])

    if dialect == "sqlite":  # date(t, '+3600 seconds'): the modifier itself, not built per row
        return func.date(column, by_segment([f"{off:+d} seconds" for off in shift.offsets]))
    utc = func.timezone("UTC", column)  # the stored instant as a plain UTC timestamp
    seconds = by_segment(shift.offsets)
    return cast(utc + func.make_interval(0, 0, 0, 0, 0, 0, seconds), Date)


def _model_is(model: str | None) -> ColumnElement[bool]:
    return Message.model.is_(None) if model is None else Message.model == model


def _outcome_is(outcome: str) -> ColumnElement[bool]:
    if outcome in (ERROR, STOPPED):
        return Message.status == outcome
    cut = Message.finish_reason == "length"
    if outcome == LENGTH:
        return and_(Message.status == Status.COMPLETE, cut)
    return and_(Message.status == Status.COMPLETE, or_(Message.finish_reason.is_(None), ~cut))


Condition = ColumnElement[bool] | TextClause


def conditions(scope: AnswerScope, *, finished: bool = True) -> list[Condition]:
    """The WHERE clause for ``scope`` (``finished``: leave out answers still being written)."""
    where: list[Condition] = [ANSWERS, mine()]
    if finished:
        where.append(Message.status != Status.STREAMING)
    if scope.start is not None:
        where.append(Message.created_at >= scope.start)
    if scope.end is not None:
        where.append(Message.created_at < scope.end)
    if scope.models:
        where.append(or_(*[_model_is(m) for m in scope.models]))
    if scope.tags:
        tagged = select(ChatTag.chat_id).join(Tag, Tag.id == ChatTag.tag_id)
        where.append(Message.chat_id.in_(tagged.where(Tag.name.in_(scope.tags))))
    if scope.outcome is not None:
        where.append(_outcome_is(scope.outcome))
    if scope.answer_id is not None:
        where.append(Message.id == scope.answer_id)
    return where


class InsightsRepository:
    def __init__(self, db: Session) -> None:
        self.db = db
        self.dialect = db.get_bind().dialect.name

    def snapshot(self) -> None:
        """Make the rest of this transaction see one state of the database (call first)."""
        if self.dialect == "postgresql":
            self.db.connection(execution_options={"isolation_level": "REPEATABLE READ"})

    # --- the period and the options -----------------------------------------------------------
    def span(self) -> tuple[datetime, datetime] | None:
        """The first and last answer's time (both ends of ``ix_answers_time``), or None.

        Asked as the first row of each end, not ``min()``/``max()``: with the owner condition
        PostgreSQL turned the aggregate into a hash join over every answer (77 ms at 1M), while
        it walks the index from the end for the first row (0.6 ms)."""
        ends = [
            self.db.scalar(
                select(Message.created_at).where(ANSWERS, mine()).order_by(order).limit(1)
            )
            for order in (Message.created_at.asc(), Message.created_at.desc())
        ]
        first, last = ends
        return None if first is None or last is None else (first, last)

    def models_used(self) -> list[str | None]:
        """Every model that wrote an answer, sorted (None: answers whose model is unknown): the
        finished ones from the rollup (PostgreSQL has no skip scan: a DISTINCT over the answers
        reads them all), the few being written from ``ix_messages_streaming``."""
        b = ANSWER_BUCKETS.c
        finished = (
            select(b.model, b.model_known)
            .where(b.owner_id == owner_value(), b.complete + b.length + b.stopped + b.error > 0)
            .distinct()
        )
        names = {model if known else None for model, known in self.db.execute(finished)}
        # The status alone, as ix_messages_streaming states it (with the sender too, SQLite
        # would rather walk an index of every answer).
        writing = self.db.execute(select(Message.model, Message.sender).where(STREAMING, mine()))
        names.update(model for model, sender in writing if sender == Sender.LLM)
        return sorted(names, key=lambda name: (name is None, name or ""))

    def count(self, scope: AnswerScope) -> int:
        """How many answers ``scope`` holds: the benchmark's baseline for every other question."""
        return self.db.scalar(select(func.count()).where(*conditions(scope))) or 0

    # --- aggregations (per day and model, and reach: core.repositories.insights_daily) ------
    def quantiles(
        self, measure: str, scope: AnswerScope, counts: dict[str | None, int], ps: Sequence[float]
    ) -> dict[str | None, dict[float, float]]:
        """Percentiles ``ps`` (0..1) of ``measure`` for each model of ``counts`` (model: how
        many of its answers in ``scope`` carry the measure)."""
        found: dict[str | None, dict[float, float]] = {}
        for model, n in counts.items():
            if n > 0:
                run = self._runs(measure, scope, [model], n)
                found[model] = {p: self._at_rank(run, n, p) for p in ps}
        return found

    def overall_quantile(
        self, measure: str, scope: AnswerScope, counts: dict[str | None, int], p: float
    ) -> float | None:
        """Percentile ``p`` of ``measure`` over every answer of the models in ``counts``."""
        models = [model for model, n in counts.items() if n > 0]
        total = sum(counts[model] for model in models)
        return self._at_rank(self._runs(measure, scope, models, total), total, p) if total else None

    def _runs(self, measure: str, scope: AnswerScope, models: list[str | None], n: int) -> Run:
        """The values of ``measure`` of ``models``' answers in ``scope``: a :class:`Run`, with the
        histogram (:mod:`core.repositories.insights_ranks`) when it covers them."""
        column = MEASURES[measure]
        hist = None
        if ranks.serves(scope.start, scope.end, scope.tags, scope != _whole(scope)):
            hist = ranks.bins(self.db, measure, models)
            hist = hist if hist.total == n else None  # not the same answers: walk from the start

        def bound(value: float) -> float | int:
            # An integer column against an integer (the edges of the length's bins are whole):
            # PostgreSQL compared with a float casts the column, and no longer ranges its index.
            return int(value) if measure == "length" else value

        def values(edge: float | None, limit: float | None = None) -> tuple[Select[Any], Any]:
            bounds = [] if edge is None else [column >= bound(edge)]
            bounds += [] if limit is None else [column < bound(limit)]
            runs = [
                select(column.label("x")).where(
                    *conditions(scope, finished=False),
                    _model_is(model),
                    column.is_not(None),
                    *bounds,
                )
                for model in models
            ]
            if len(runs) == 1:
                return runs[0], column
            merged = union_all(*runs).subquery()  # merged in order by both databases
            return select(merged.c.x), merged.c.x

        return Run(values, hist)

    def _at_rank(self, run: Run, n: int, p: float) -> float:
        """The value at percentile ``p`` of a run of ``n`` values, interpolated between the two
        closest ranks; read from the nearer end of the run, or from the bin that holds it."""
        position = p * (n - 1)
        low = int(position)
        fraction = position - low
        if low >= n - 1:  # the largest value
            query, column = run.values(None, None)
            values = list(self.db.scalars(query.order_by(column.desc()).limit(1)))
            below = above = values[0]
        elif run.bins is not None:
            edge, before = run.bins.start(low)
            query, column = run.values(edge, run.bins.end(low + 1))
            values = list(self.db.scalars(query.order_by(column).limit(2).offset(low - before)))
            below, above = values[0], values[-1]
        elif low < n / 2:
            query, column = run.values(None, None)
            values = list(self.db.scalars(query.order_by(column).limit(2).offset(low)))
            below, above = values[0], values[-1]
        else:
            query, column = run.values(None, None)
            values = list(
                self.db.scalars(query.order_by(column.desc()).limit(2).offset(n - 2 - low))
            )
            above, below = values[0], values[-1]
        return float(below) + fraction * (float(above) - float(below))

    # --- answers themselves ---------------------------------------------------------------------
    def latest(
        self, scope: AnswerScope, limit: int, extra: Sequence[Condition] = ()
    ) -> list[AnswerRow]:
        """The newest ``limit`` answers of ``scope`` (and ``extra`` conditions), newest first,
        with their chat's title: the end of ``ix_answers_time``, read backwards."""
        query = (
            select(
                Message.id,
                Message.chat_id,
                Chat.title,
                Message.created_at,
                Message.model,
                Message.status,
                Message.finish_reason,
                Message.prompt_tokens,
                Message.completion_tokens,
                Message.time_to_first_token,
                Message.tokens_per_second,
            )
            .join(Chat, Chat.id == Message.chat_id)
            .where(*conditions(scope), *extra)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        )
        return [_answer_row(row) for row in self.db.execute(query)]

    def points(self, scope: AnswerScope, limit: int) -> list[AnswerRow]:
        """The newest ``limit`` answers with both a prompt size and a time to first token (the
        scatter; how many there are in all is one of the daily sums)."""
        measured = [Message.prompt_tokens.is_not(None), Message.time_to_first_token.is_not(None)]
        return self.latest(scope, limit, measured)

    # --- the database itself --------------------------------------------------------------------
    def database_bytes(self) -> int | None:
        """The database's size: its files on SQLite (with the write-ahead log), what PostgreSQL
        reports for it otherwise; None when unknown (an in-memory database)."""
        if self.dialect == "postgresql":
            return int(self.db.scalar(select(func.pg_database_size(func.current_database()))) or 0)
        database = self.db.get_bind().engine.url.database
        if not database or database == ":memory:":
            return None
        files = [Path(database), Path(f"{database}-wal")]
        return sum(f.stat().st_size for f in files if f.exists())

    def fingerprint(self) -> tuple[Any, ...]:
        """Cheap to read, and different after anything that changes an aggregation: a new
        message (the highest id), an answer that ends (fewer streaming), a deleted chat or
        version (fewer chats, fewer messages counted on the chats), a tag given or taken.
        Of the whole database: another person's answer recomputes mine (never shows it)."""
        parts = (
            select(func.max(Message.id)),
            select(func.count()).select_from(Message).where(STREAMING),
            select(func.count()).select_from(Chat),
            select(func.coalesce(func.sum(Chat.message_count), 0)),
            select(func.count()).select_from(ChatTag),
        )
        row = self.db.execute(select(*[part.scalar_subquery() for part in parts])).one()
        return tuple(row)


def _answer_row(row: Any) -> AnswerRow:
    # id, chat_id, title, created_at, model, status, finish_reason, then the four measures.
    outcome = outcome_of(row.status, row.finish_reason)
    measures: tuple[Any, Any, Any, Any] = tuple(row[7:11])
    return AnswerRow(
        row.id, row.chat_id, row.title, aware_utc(row.created_at), row.model, outcome, *measures
    )


def aware_utc(moment: Any) -> datetime:
    """A timestamp from an aggregate (which skips the column type) as an aware UTC datetime."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    assert isinstance(moment, datetime)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
