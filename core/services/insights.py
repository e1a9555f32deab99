"""Insights: how the models did, from the answers Charla stored — what the Insights page shows.

:func:`overview` answers everything the page shows for an :class:`InsightsFilter` (a period in the
reader's time zone, some models, some tags) in one :class:`Overview`: the key figures, the rows of
the six charts and the per-model table. :func:`answers` lists the answers behind a point or a bar
(a :class:`Narrow`). Every number is computed by the database
(:mod:`core.repositories.insights`); what comes back is a few hundred rows at most, which pandas
then only shapes for the charts.

**Days are the reader's days.** "Answers per day" means calendar days where the reader is: an
answer at 23:30 in Madrid counts for that day although it is already the next day in UTC. The
page passes the browser's zone; :func:`day_shift` works out that zone's UTC offsets over the
period (where summer time starts and ends), and the database shifts each answer by its offset
before taking the date. The date filter is in the same days (:func:`local_midnight`).

**Fresh, not recomputed on every rerun.** The per-day sums, the percentiles, the chats and
questions reached and the models offered read rollups that triggers keep (migration 0015), so the
first view no longer grows with the history as it did (seconds at a million messages); with a
period, models or tags some of them still read the answers, and building the charts costs about
as much again (``make bench`` measures each step): too long for a page that reruns on every
click. An overview is therefore kept per person and filter until the history changes: before
reusing it, a
:meth:`~core.repositories.insights.InsightsRepository.fingerprint` of the database (a few
index look-ups: highest message id, answers being written, chats, messages counted on the chats,
tags given) must still match, and it is never older than :data:`MAX_AGE`. A new answer, a finished
one, a deleted chat or version, a tag: the next :func:`overview` computes again. The page asks
:func:`overview_at_once` instead: it shows the overview kept from before at once, says it is being
updated, starts :func:`update` (a background thread, :mod:`core.services.kept`) and reruns when
the new one is in.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Final

from core.conf.db import get_engine, session_scope
from core.identity import current_owner_id
from core.repositories.insights import (
    ERROR,
    LENGTH,
    OUTCOMES,
    STOPPED,
    AnswerRow,
    AnswerScope,
    InsightsRepository,
)
from core.repositories.insights_daily import DailyAggregates, DailyRow
from core.repositories.scope import owner_id
from core.repositories.tags import TagRepository
from core.services.kept import Kept
from core.zones import day_shift, local_midnight

__all__ = [
    "ERROR", "LENGTH", "OUTCOMES", "STOPPED", "UNKNOWN_MODEL", "AnswerRow", "AnswersPage",
    "DayRow", "FilterOptions", "InsightsFilter", "ModelStats", "Narrow", "Overview", "Quantiles",
    "Shown", "answers", "day_shift", "filter_options", "forget", "local_midnight", "overview",
    "overview_at_once", "update", "updated",
]  # fmt: skip

log = logging.getLogger("charla.insights")

UNKNOWN_MODEL: Final = ""  # how an answer without a model is named (rows from before models)
POINTS: Final = 2_000  # answers drawn in the prompt size / first token scatter, newest first
MAX_AGE: Final = 300.0  # seconds an overview is reused even when nothing seems to change
CACHED: Final = 16  # overviews kept (one per filter)
UPDATE_AFTER: Final = 0.3  # seconds between the page's request of an update and its start
SPEED_PS: Final = (0.05, 0.25, 0.5, 0.75, 0.95)  # the speed chart's whiskers, box and median
TTFT_PS: Final = (0.5, 0.95)


@dataclass(frozen=True)
class InsightsFilter:
    """What the page shows: a period of the reader's days (both ends included; None: open), in
    ``zone``; some models (:data:`UNKNOWN_MODEL` for answers without one) and some tags (answers
    in chats carrying any of them). Empty means everything."""

    date_from: date | None = None
    date_to: date | None = None
    zone: tzinfo = UTC
    models: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Narrow:
    """What a click on a chart picked: a day, a model, an outcome, or one answer."""

    day: date | None = None
    model: str | None = None
    outcome: str | None = None
    answer_id: int | None = None

    @property
    def is_empty(self) -> bool:
        return self == Narrow()


@dataclass(frozen=True)
class Quantiles:
    """Percentiles of one measure, by fraction (0.5: the median)."""

    values: dict[float, float]

    def __getitem__(self, p: float) -> float:
        return self.values[p]


@dataclass(frozen=True)
class ModelStats:
    """One row of the per-model table."""

    model: str
    answers: int
    outcomes: dict[str, int]  # complete, length, stopped, error
    tokens_in: int
    tokens_out: int
    last_used: datetime
    speed: Quantiles | None  # tokens per second: SPEED_PS
    ttft: Quantiles | None  # time to first token (s): TTFT_PS
    median_length: float | None  # completion tokens

    @property
    def error_rate(self) -> float:
        return self.outcomes.get(ERROR, 0) / self.answers if self.answers else 0.0


@dataclass(frozen=True)
class DayRow:
    """Answers and tokens of one model on one of the reader's days."""

    day: date
    model: str
    answers: int
    tokens_in: int
    tokens_out: int


@dataclass(frozen=True)
class Overview:
    """Everything the Insights page draws for one filter."""

    history: bool  # any answer at all, whatever the filter (else: explain, draw nothing)
    chats: int = 0
    questions: int = 0
    answers: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    median_speed: float | None = None
    median_ttft: float | None = None
    database_bytes: int | None = None
    days: tuple[DayRow, ...] = ()
    models: tuple[ModelStats, ...] = ()
    points: tuple[AnswerRow, ...] = ()  # newest first, at most POINTS
    points_total: int = 0  # answers with a prompt size and a first token, in all
    computed_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def messages(self) -> int:
        """The answers and the questions they answer."""
        return self.questions + self.answers

    @property
    def empty(self) -> bool:
        return not self.answers

    def outcome_total(self, outcome: str) -> int:
        return sum(m.outcomes.get(outcome, 0) for m in self.models)


@dataclass(frozen=True)
class AnswersPage:
    rows: tuple[AnswerRow, ...]
    total: int


def _model_key(name: str | None) -> str:
    return UNKNOWN_MODEL if name is None else name


def _stored_model(key: str) -> str | None:
    return None if key == UNKNOWN_MODEL else key


def _scope(flt: InsightsFilter, narrow: Narrow = Narrow()) -> AnswerScope:
    start = local_midnight(flt.date_from, flt.zone) if flt.date_from else None
    end = local_midnight(flt.date_to + timedelta(days=1), flt.zone) if flt.date_to else None
    if narrow.day is not None:
        day_start = local_midnight(narrow.day, flt.zone)
        day_end = local_midnight(narrow.day + timedelta(days=1), flt.zone)
        start = day_start if start is None else max(start, day_start)
        end = day_end if end is None else min(end, day_end)
    models = tuple(_stored_model(m) for m in flt.models)
    if narrow.model is not None:
        models = (_stored_model(narrow.model),)
    return AnswerScope(start, end, models, flt.tags, narrow.outcome, narrow.answer_id)


# --- the cache ------------------------------------------------------------------------------------
_fresh = Kept(size=CACHED, max_age=MAX_AGE)


def forget() -> None:
    """Drop every kept result (tests; the next call computes)."""
    _fresh.clear()


def _fingerprint() -> tuple[Any, ...]:
    with session_scope() as db:
        return InsightsRepository(db).fingerprint()


def _database() -> tuple[str, int]:
    """The database and the owner: what a kept result is of (the overview is personal)."""
    me = current_owner_id()
    if me is None:  # the local user (single-user mode), whether set for the run or not
        with session_scope() as db:
            me = owner_id(db)
    return get_engine().url.render_as_string(hide_password=True), me


# --- what the page asks -------------------------------------------------------------------------
@dataclass(frozen=True)
class FilterOptions:
    models: tuple[str, ...]  # every model that answered (UNKNOWN_MODEL for none)
    tags: tuple[str, ...]


def filter_options() -> FilterOptions:
    """The models and tags the filters offer."""

    def read() -> FilterOptions:
        with session_scope() as db:
            models = InsightsRepository(db).models_used()
            tags = TagRepository(db).counts()
        return FilterOptions(tuple(_model_key(m) for m in models), tuple(name for name, _ in tags))

    value: FilterOptions = _fresh.get(("options", _database()), _fingerprint(), read)
    return value


def overview(flt: InsightsFilter, *, fresh: bool = False) -> Overview:
    """Everything the page shows for ``flt``; reused while the history is unchanged (``fresh``:
    compute now, and keep the result)."""
    key = ("overview", _database(), flt)
    fingerprint = (time.monotonic(),) if fresh else _fingerprint()
    value: Overview = _fresh.get(key, fingerprint, lambda: _compute(flt))
    return value


@dataclass(frozen=True)
class Shown:
    """What the page draws at once: the overview, and whether it is still being updated."""

    overview: Overview
    updating: bool  # an older overview, shown while the new one is computed in the background


def overview_at_once(flt: InsightsFilter) -> Shown:
    """The overview of ``flt`` without waiting for a recomputation: after the history changed,
    the overview kept from before is returned (``updating``); :func:`update` then computes the
    new one in the background. Only a filter never shown before waits."""
    value, current = _fresh.get_or_stale(
        ("overview", _database(), flt), _fingerprint(), lambda: _compute(flt)
    )
    return Shown(value, not current)


def update(flt: InsightsFilter, prepare: Callable[[Overview], object] | None = None) -> None:
    """Compute ``flt``'s overview anew in a background thread (see :func:`updated`), and then
    ``prepare(overview)`` there too (the page builds its charts: the rerun that shows the new
    figures then only draws them). It starts :data:`UPDATE_AFTER` seconds later: the page asks
    at the end of its run, and a computation beside it would slow down what is left of it
    (sending the page; they share the interpreter)."""

    def make() -> Overview:
        value = _compute(flt)
        if prepare is not None:
            try:
                prepare(value)
            except Exception:  # the page prepares it when drawing it, as for a first view
                log.exception("preparing an overview failed")
        return value

    key = ("overview", _database(), flt)
    _fresh.refresh(key, _fingerprint(), make, after=UPDATE_AFTER)


def updated(flt: InsightsFilter) -> bool:
    """Whether no background update of ``flt``'s overview is running (any has ended)."""
    return not _fresh.computing(("overview", _database(), flt))


def _per_model(
    rows: Iterable[DailyRow], last_used: dict[str | None, datetime]
) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        model = found.setdefault(
            _model_key(row.model),
            {"answers": 0, "in": 0, "out": 0, "last": last_used[row.model],
             "outcomes": defaultdict(int), "counts": defaultdict(int)},
        )  # fmt: skip
        model["answers"] += row.answers
        model["in"] += row.tokens_in
        model["out"] += row.tokens_out
        for outcome, n in row.outcomes.items():
            model["outcomes"][outcome] += n
        for measure, n in row.counts.items():
            model["counts"][measure] += n
    return found


def _days(rows: Iterable[DailyRow]) -> tuple[DayRow, ...]:
    merged: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        sums = merged[(row.day, _model_key(row.model))]
        sums[0] += row.answers
        sums[1] += row.tokens_in
        sums[2] += row.tokens_out
    return tuple(DayRow(day, model, *sums) for (day, model), sums in sorted(merged.items()))


def _compute(flt: InsightsFilter) -> Overview:
    scope = _scope(flt)
    with session_scope() as db:
        repo = InsightsRepository(db)
        repo.snapshot()
        span = repo.span()
        if span is None:
            return Overview(history=False, database_bytes=repo.database_bytes())
        start = scope.start or span[0]
        end = scope.end or span[1]
        shift = day_shift(flt.zone, start - timedelta(days=1), end + timedelta(days=1))
        sums = DailyAggregates(db)
        daily = sums.daily(scope, shift)
        size = repo.database_bytes()
        if not daily.rows:
            return Overview(history=True, database_bytes=size)
        chats, questions = sums.reach(scope)
        models = _per_model(daily.rows, daily.last_used)

        def counts(measure: str) -> dict[str | None, int]:
            return {_stored_model(m): v["counts"][measure] for m, v in models.items()}

        speed = repo.quantiles("tps", scope, counts("tps"), SPEED_PS)
        ttft = repo.quantiles("ttft", scope, counts("ttft"), TTFT_PS)
        length = repo.quantiles("length", scope, counts("length"), (0.5,))
        median_speed = repo.overall_quantile("tps", scope, counts("tps"), 0.5)
        median_ttft = repo.overall_quantile("ttft", scope, counts("ttft"), 0.5)
        points = repo.points(scope, POINTS)
    stats = []
    for name, v in sorted(models.items()):
        stored = _stored_model(name)
        stats.append(
            ModelStats(
                model=name,
                answers=v["answers"],
                outcomes={o: v["outcomes"].get(o, 0) for o in OUTCOMES},
                tokens_in=v["in"],
                tokens_out=v["out"],
                last_used=v["last"],
                speed=Quantiles(speed[stored]) if stored in speed else None,
                ttft=Quantiles(ttft[stored]) if stored in ttft else None,
                median_length=length[stored][0.5] if stored in length else None,
            )
        )
    return Overview(
        history=True,
        chats=chats,
        questions=questions,
        answers=sum(m.answers for m in stats),
        tokens_in=sum(m.tokens_in for m in stats),
        tokens_out=sum(m.tokens_out for m in stats),
        median_speed=median_speed,
        median_ttft=median_ttft,
        database_bytes=size,
        days=_days(daily.rows),
        models=tuple(stats),
        points=tuple(points),
        points_total=daily.total("points"),
    )


def answers(flt: InsightsFilter, narrow: Narrow = Narrow(), *, limit: int = 50) -> AnswersPage:
    """The newest ``limit`` answers of ``flt`` narrowed to what a click picked, and how many
    there are in all (each row names its chat, for a link)."""
    scope = _scope(flt, narrow)
    with session_scope() as db:
        repo = InsightsRepository(db)
        repo.snapshot()
        rows = repo.latest(scope, limit)
        total = repo.count(scope) if len(rows) == limit else len(rows)
    return AnswersPage(tuple(rows), total)
