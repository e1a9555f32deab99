"""The Insights page's largest question — per local day, model and outcome: answers, tokens in
and out, how many answers carry each measure — answered from the rollup when it can be, from the
answers themselves otherwise, with the same result either way.

**From the rollup** (``answer_buckets``, migration 0015, kept by triggers on ``messages``): the
finished answers summed per owner, quarter-hour *slot* of UTC time, model and outcome. A reader's
day is a run of whole slots whenever their zone's offsets, its changes of clocks and the filter's
ends fall on quarter hours — true of every zone in use — so summing slots by
``(slot * 900 + offset) // 86400`` (the offset of the slot's segment, as :func:`local_day` shifts
each answer) gives exactly the raw query's figures, reading a row per busy quarter hour instead
of a row per answer. When they all fall on whole hours (most zones), ``answer_hours`` — the same
sums per hour — gives the same days from four times fewer rows. :func:`served` says which applies:
none for a tag filter (tags belong to chats; the rollup does not know them), an outcome or a
single answer (the drill-down), or a zone off the quarter hour (a historical local mean time);
those take the raw path.

The latest answer per model (the table's "last used") is no sum: the rollup gives the last busy
slot of each model, and the answers of that slot alone (a short range of ``ix_answers_time``) give
its time.

"Chats and questions reached" (:meth:`DailyAggregates.reach`) lives here too: over the whole
history a sum of ``chat_reach`` (same migration), otherwise a pass over ``ix_answers_reach``.

**From the answers** (the raw path): one pass over ``ix_answers_time``, grouped by the local day
(:func:`~core.repositories.insights.local_day`), model, status and finish reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from core.models import Message
from core.repositories.insights import (
    OUTCOMES,
    AnswerScope,
    DayShift,
    aware_utc,
    conditions,
    local_day,
    outcome_of,
)
from core.repositories.scope import owner_value
from core.rollups import ANSWER_BUCKETS, ANSWER_HOURS, CHAT_REACH

SLOT: Final = 900  # seconds in a slot of answer_buckets (migration 0015)
HOUR: Final = 3600  # answer_hours: the same sums, per hour
TABLES: Final = {HOUR: ANSWER_HOURS, SLOT: ANSWER_BUCKETS}  # the coarsest first
DAY: Final = 86_400
EPOCH: Final = date(1970, 1, 1)
MEASURED: Final = ("tps", "ttft", "length", "points")  # "points": a prompt size and a first token


@dataclass(frozen=True)
class DailyRow:
    """The answers of one model on one of the reader's days."""

    day: date
    model: str | None
    outcomes: dict[str, int]  # answers by outcome (all of OUTCOMES)
    tokens_in: int
    tokens_out: int
    counts: dict[str, int]  # answers with each measure set (MEASURED)

    @property
    def answers(self) -> int:
        return sum(self.outcomes.values())


@dataclass(frozen=True)
class Daily:
    rows: list[DailyRow]  # by day and model
    last_used: dict[str | None, datetime]  # each model's latest answer in the scope

    def total(self, measure: str) -> int:
        return sum(row.counts[measure] for row in self.rows)


def _on_slot(moment: datetime, width: int) -> bool:
    return moment.microsecond == 0 and int(moment.timestamp()) % width == 0


def served(scope: AnswerScope, shift: DayShift) -> int:
    """The width (seconds) of the coarsest rollup that answers ``scope`` in the days ``shift``
    describes exactly: an hour when the zone's offsets, its changes of clocks and the period's
    ends fall on whole hours, else a quarter hour when they fall on quarter hours; 0: none."""
    if scope.tags or scope.outcome is not None or scope.answer_id is not None:
        return 0
    edges = [m for m in (scope.start, scope.end) if m is not None] + list(shift.changes)
    for width in TABLES:
        if all(_on_slot(edge, width) for edge in edges) and not any(
            offset % width for offset in shift.offsets
        ):
            return width
    return 0


def _slot(moment: datetime, width: int) -> int:
    return int(moment.timestamp()) // width


class DailyAggregates:
    def __init__(self, db: Session) -> None:
        self.db = db
        self.dialect = db.get_bind().dialect.name

    def daily(self, scope: AnswerScope, shift: DayShift) -> Daily:
        """Per local day (in the zone ``shift`` describes), model and outcome, the answers of
        ``scope``; and each model's latest answer."""
        if served(scope, shift):
            return self.from_rollup(scope, shift)
        return self.from_answers(scope, shift)

    def reach(self, scope: AnswerScope) -> tuple[int, int]:
        """(chats, questions) the answers in ``scope`` belong to and answer. Over the whole
        history, a sum over ``chat_reach`` (kept by triggers, migration 0015); otherwise one pass
        over ``ix_answers_reach`` (chat, question, ...) in its order, a group per question — no
        sort, unlike ``count(DISTINCT ...)``."""
        if scope == AnswerScope():
            c = CHAT_REACH.c
            row = self.db.execute(
                select(func.count(case((c.answers > 0, 1))), func.sum(c.questions)).where(
                    c.owner_id == owner_value()
                )
            ).one()
            return int(row[0]), int(row[1] or 0)
        questions = (
            select(Message.chat_id)
            .where(*conditions(scope))
            .group_by(Message.chat_id, Message.parent_id)
            .subquery()
        )
        row = self.db.execute(
            select(func.count(func.distinct(questions.c.chat_id)), func.count())
        ).one()
        return int(row[0]), int(row[1])

    # --- the rollup ---------------------------------------------------------------------------
    def _where(self, scope: AnswerScope, width: int) -> list[ColumnElement[bool]]:
        b = TABLES[width].c
        where: list[ColumnElement[bool]] = [b.owner_id == owner_value()]  # the owner's range
        if scope.start is not None:
            where.append(b.slot >= _slot(scope.start, width))
        if scope.end is not None:
            where.append(b.slot < _slot(scope.end, width))
        if scope.models:
            named = [~b.model_known if m is None else and_(b.model_known, b.model == m)
                     for m in scope.models]  # fmt: skip
            where.append(or_(*named))
        return where

    def from_rollup(self, scope: AnswerScope, shift: DayShift, width: int = 0) -> Daily:
        """The per-day sums from the rollup of ``width`` seconds (0: the coarsest that
        :func:`served` allows)."""
        width = width or served(scope, shift)
        b = TABLES[width].c
        where = self._where(scope, width)
        offset: Any = literal(shift.offsets[0])
        if len(shift.offsets) > 1:
            whens = [
                (b.slot < _slot(at, width), off)
                for at, off in zip(shift.changes, shift.offsets, strict=False)
            ]
            offset = case(*whens, else_=shift.offsets[-1])
        # Grouped outside the subquery, as the raw path (PostgreSQL and repeated parameters).
        answers = b.complete + b.length + b.stopped + b.error
        slots = select(
            ((b.slot * width + offset) // DAY).label("day"),
            b.slot, b.model, b.model_known, b.complete, b.length, b.stopped, b.error,
            b.tokens_in, b.tokens_out, b.with_speed, b.with_ttft, b.with_length, b.with_points,
            answers.label("answers"),
        ).where(*where).subquery()  # fmt: skip
        c = slots.c
        summed = (c[o] for o in (*OUTCOMES, "tokens_in", "tokens_out", "with_speed",
                                 "with_ttft", "with_length", "with_points"))  # fmt: skip
        query = (
            select(
                c.day,
                c.model,
                c.model_known,
                *map(func.sum, summed),
                func.max(case((c.answers > 0, c.slot))),
            )  # the last busy slot
            .group_by(c.day, c.model, c.model_known)
            .having(func.sum(c.answers) > 0)
        )
        rows: list[DailyRow] = []
        last_slots: dict[str | None, int] = {}
        for day, model, known, *numbers, last in self.db.execute(query):
            values = [int(n) for n in numbers]
            outcomes = dict(zip(OUTCOMES, values[:4], strict=True))
            counts = dict(zip(MEASURED, values[6:], strict=True))
            stored = model if known else None
            day_value = EPOCH + timedelta(days=int(day))
            rows.append(DailyRow(day_value, stored, outcomes, values[4], values[5], counts))
            last_slots[stored] = max(int(last), last_slots.get(stored, 0))
        rows.sort(key=lambda r: (r.day, r.model is None, r.model or ""))
        return Daily(rows, self._last_used(last_slots, width))

    def _last_used(self, slots: dict[str | None, int], width: int) -> dict[str | None, datetime]:
        """Each model's latest answer, read in its last busy slot (``slots``)."""
        found: dict[str | None, datetime] = {}
        for model, slot in slots.items():
            begins = datetime.fromtimestamp(slot * width, UTC)
            last = AnswerScope(begins, begins + timedelta(seconds=width), (model,))
            moment = self.db.scalar(select(func.max(Message.created_at)).where(*conditions(last)))
            if moment is not None:
                found[model] = aware_utc(moment)
        return found

    # --- the answers themselves ---------------------------------------------------------------
    def from_answers(self, scope: AnswerScope, shift: DayShift) -> Daily:
        m = Message
        # The day is computed in a subquery and grouped on outside: PostgreSQL would not take a
        # GROUP BY whose expression repeats the SELECT's with parameters of its own.
        rows_in = select(
            local_day(m.created_at, shift, self.dialect).label("day"),
            m.model, m.status, m.finish_reason, m.prompt_tokens, m.completion_tokens,
            m.tokens_per_second, m.time_to_first_token, m.created_at,
        ).where(*conditions(scope)).subquery()  # fmt: skip
        c = rows_in.c
        both = case((and_(c.prompt_tokens.is_not(None), c.time_to_first_token.is_not(None)), 1))
        query = select(
            c.day, c.model, c.status, c.finish_reason, func.count(),
            func.coalesce(func.sum(c.prompt_tokens), 0),
            func.coalesce(func.sum(c.completion_tokens), 0),
            func.count(c.tokens_per_second), func.count(c.time_to_first_token),
            func.count(c.completion_tokens), func.count(both), func.max(c.created_at),
        ).group_by(c.day, c.model, c.status, c.finish_reason)  # fmt: skip
        found: dict[tuple[date, str | None], list[Any]] = {}
        last_used: dict[str | None, datetime] = {}
        for d, model, status, finish, n, t_in, t_out, *counted, last in self.db.execute(query):
            day = d if isinstance(d, date) else date.fromisoformat(str(d))
            sums = found.setdefault((day, model), [dict.fromkeys(OUTCOMES, 0), 0, 0,
                                                   dict.fromkeys(MEASURED, 0)])  # fmt: skip
            sums[0][outcome_of(status, finish)] += int(n)
            sums[1] += int(t_in)
            sums[2] += int(t_out)
            for measure, value in zip(MEASURED, counted, strict=True):
                sums[3][measure] += int(value)
            moment = aware_utc(last)
            last_used[model] = max(moment, last_used.get(model, moment))
        rows = [DailyRow(day, model, *sums) for (day, model), sums in found.items()]
        rows.sort(key=lambda r: (r.day, r.model is None, r.model or ""))
        return Daily(rows, last_used)
