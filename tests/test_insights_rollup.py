"""The Insights rollup (``answer_buckets``, migration 0015) on SQLite and PostgreSQL: after every
kind of write it holds exactly the sums of the answers in ``messages``, and the per-day figures it
gives equal the raw pass over the answers for periods, models and zones (across midnight, across a
change of clocks, a zone 5:45 from UTC); where it cannot be exact it is not used.

The expected table is recounted here in Python from the messages as stored, never through the
triggers or the repository.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete, select, update

from core.conf.db import session_scope
from core.identity import Identity, acting_as
from core.models import Chat, Message, User
from core.repositories import insights_ranks as ranks
from core.repositories.insights import OUTCOMES, AnswerScope, InsightsRepository, outcome_of
from core.repositories.insights_daily import DailyAggregates, served
from core.repositories.messages import MessageRepository
from core.rollups import (
    ANSWER_BUCKETS,
    ANSWER_HOURS,
    ANSWER_MEASURES,
    ANSWERED_QUESTIONS,
    CHAT_REACH,
    MEASURE_SCALES,
)
from core.services import chats as chat_service
from core.services import insights, users
from core.services.insights import InsightsFilter
from core.zones import day_shift, local_midnight
from tests.insights_rows import MODELS, START, ZONE, Row, fill
from tests.test_insights import _check

Sums = tuple[int, ...]


def _answers() -> list[tuple[int, Message]]:
    """Every answer as stored, with its chat's owner."""
    with session_scope() as db:
        query = select(Chat.owner_id, Message).join(Chat, Chat.id == Message.chat_id)
        return [(owner, m) for owner, m in db.execute(query.where(Message.sender == "llm"))]


def _recount(width: int = 900) -> dict[tuple[Any, ...], Sums]:
    """The rollup as it must be: the finished answers, summed per owner and slot of ``width``
    seconds (a quarter hour, an hour)."""
    found: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * 10)
    for owner, m in _answers():
        if m.status != "streaming":
            key = (
                owner,
                int(m.created_at.timestamp()) // width,
                m.model or "",
                m.model is not None,
            )
            sums = found[key]
            sums[OUTCOMES.index(outcome_of(m.status, m.finish_reason))] += 1
            for i, value in enumerate((
                m.prompt_tokens or 0, m.completion_tokens or 0,
                m.tokens_per_second is not None, m.time_to_first_token is not None,
                m.completion_tokens is not None,
                m.prompt_tokens is not None and m.time_to_first_token is not None,
            ), start=4):  # fmt: skip
                sums[i] += int(value)
    return {key: tuple(sums) for key, sums in found.items()}


def _rollup(table: Table = ANSWER_BUCKETS) -> dict[tuple[Any, ...], Sums]:
    b = table.c
    with session_scope() as db:
        rows = db.execute(
            select(b.owner_id, b.slot, b.model, b.model_known, b.complete, b.length, b.stopped, b.error,
                   b.tokens_in, b.tokens_out, b.with_speed, b.with_ttft, b.with_length,
                   b.with_points)
        ).all()  # fmt: skip
    kept = {(r[0], r[1], r[2], bool(r[3])): tuple(int(v) for v in r[4:]) for r in rows}
    return {key: sums for key, sums in kept.items() if any(sums)}  # emptied slots stay as zeros


def _histogram() -> dict[tuple[Any, ...], int]:
    m = ANSWER_MEASURES.c
    with session_scope() as db:
        rows = db.execute(
            select(m.owner_id, m.measure, m.model, m.model_known, m.bin, m.answers)
        ).all()
    return {(r[0], r[1], r[2], bool(r[3]), r[4]): int(r[5]) for r in rows if r[5]}


def _rebin() -> dict[tuple[Any, ...], int]:
    """The histogram as it must be: every answer's measures, binned in Python."""
    found: dict[tuple[Any, ...], int] = defaultdict(int)
    for owner, m in _answers():
        values = {"tps": m.tokens_per_second, "ttft": m.time_to_first_token,
                  "length": m.completion_tokens}  # fmt: skip
        for measure, value in values.items():
            if value is not None:
                key = (owner, measure, m.model or "", m.model is not None)
                found[(*key, math.floor(value * MEASURE_SCALES[measure]))] += 1
    return dict(found)


def _reach() -> tuple[dict[tuple[int, int], tuple[int, int]], dict[int, int]]:
    """(per chat: finished answers and questions they answer; per question: its answers), as
    the tables hold them and without rows of zeros."""
    with session_scope() as db:
        chats = db.execute(select(CHAT_REACH)).all()
        questions = db.execute(select(ANSWERED_QUESTIONS)).all()
    return (
        {
            (r.owner_id, r.chat_id): (int(r.answers), int(r.questions))
            for r in chats
            if r.answers or r.questions
        },
        {r[0]: int(r[1]) for r in questions if r[1]},
    )


def _recount_reach() -> tuple[dict[tuple[int, int], tuple[int, int]], dict[int, int]]:
    answers: dict[tuple[int, int], int] = defaultdict(int)
    asked: dict[tuple[int, int], set[int]] = defaultdict(set)
    per_question: dict[int, int] = defaultdict(int)
    for owner, m in _answers():
        if m.status != "streaming":
            answers[(owner, m.chat_id)] += 1
            if m.parent_id is not None:
                asked[(owner, m.chat_id)].add(m.parent_id)
                per_question[m.parent_id] += 1
    return {c: (n, len(asked[c])) for c, n in answers.items()}, dict(per_question)


def _both_exact() -> bool:
    return (
        _rollup() == _recount()
        and _rollup(ANSWER_HOURS) == _recount(3600)
        and _histogram() == _rebin()
        and _reach() == _recount_reach()
    )


def test_the_migration_fills_the_rollup_and_every_write_keeps_it_exact(db: str) -> None:
    fill(60)
    assert _rollup() and _histogram()
    assert _both_exact()
    with session_scope(write=True) as s:  # an answer streams, then ends with its figures
        repo = MessageRepository(s)
        answer = repo.create_message(1, "llm", "", status="streaming", model="alpha-7b")
    assert _both_exact()
    with session_scope(write=True) as s:
        MessageRepository(s).update_message(
            answer.id, status="complete", finish_reason="length", prompt_tokens=12,
            completion_tokens=30, time_to_first_token=0.4, tokens_per_second=41.0,
        )  # fmt: skip
    assert _both_exact()
    with session_scope(write=True) as s:  # a model renamed, an error, a time moved a day on
        repo = MessageRepository(s)
        repo.update_message(2, model=None)
        repo.update_message(4, status="error", tokens_per_second=None)
        moved = START + timedelta(days=1, minutes=7)
        s.execute(update(Message).where(Message.id == 6).values(created_at=moved))
        repo.create_message(2, "user", "a question with no answer")
    assert _both_exact()
    with session_scope(write=True) as s:  # one message spliced out of its conversation
        MessageRepository(s).delete_message(8)
    chat_service.delete_version(11)  # a question and the answers after it
    chat_service.delete_chat(3)  # a chat (the cascade)
    assert _both_exact()
    with session_scope(write=True) as s:  # the answer being written is never counted
        repo = MessageRepository(s)
        repo.update_message(answer.id, status="streaming")
    assert _both_exact()


def _scope(first: date | None, last: date | None, zone: Any, models: Any = ()) -> AnswerScope:
    start = local_midnight(first, zone) if first else None
    end = local_midnight(last + timedelta(days=1), zone) if last else None
    return AnswerScope(start, end, models)


def test_the_rollup_gives_the_raw_figures_in_any_zone_period_and_models(db: str) -> None:
    fill()
    kathmandu = ZoneInfo("Asia/Kathmandu")  # +05:45
    st_johns = ZoneInfo("America/St_Johns")  # -03:30 / -02:30
    cases = [  # the zone, the scope, the coarsest rollup that answers it exactly
        (ZONE, _scope(None, None, ZONE), 3600),
        (ZONE, _scope(date(2026, 4, 3), date(2026, 4, 7), ZONE), 3600),  # clocks go back
        (ZONE, _scope(date(2026, 4, 5), None, ZONE, ("beta-3b", None)), 3600),
        (UTC, _scope(date(2026, 4, 1), date(2026, 4, 1), UTC, (MODELS[0],)), 3600),
        (kathmandu, _scope(None, date(2026, 4, 2), kathmandu), 900),
        (st_johns, _scope(None, None, st_johns), 900),
    ]
    with session_scope() as s:
        sums = DailyAggregates(s)
        for zone, scope, width in cases:
            shift = day_shift(zone, START - timedelta(days=2), START + timedelta(days=20))
            assert served(scope, shift) == width, zone
            raw = sums.from_answers(scope, shift)
            for narrower in {width, 900}:  # the hours, and the quarter hours too
                rolled = sums.from_rollup(scope, shift, narrower)
                assert rolled.rows, (zone, scope)
                assert rolled == raw, (zone, scope, narrower)
            assert sums.daily(scope, shift) == raw


def test_what_the_rollup_cannot_answer_exactly_is_read_from_the_answers(db: str) -> None:
    fill(20)
    odd = timezone(timedelta(hours=5, minutes=20))  # no zone in use, but a day the slots cut
    shift = day_shift(odd, START - timedelta(days=2), START + timedelta(days=20))
    assert not served(_scope(None, None, odd), shift)
    utc = day_shift(UTC, START - timedelta(days=2), START + timedelta(days=20))
    assert not served(AnswerScope(tags=("work",)), utc)
    assert not served(AnswerScope(outcome="error"), utc)
    assert not served(AnswerScope(start=datetime(2026, 4, 1, 0, 5, tzinfo=UTC)), utc)
    with session_scope() as s:  # and the raw pass still gives that zone's days
        daily = DailyAggregates(s).daily(_scope(None, None, odd), shift)
    assert sum(row.answers for row in daily.rows) == 20


def test_the_histogram_says_where_each_rank_begins(db: str) -> None:
    """For every rank of every measure, of each model and of all together: the bin the
    histogram names begins at or below the value at that rank, and exactly the values below
    its edge come before it — so a walk from there finds the value a full walk finds."""
    rows = fill()
    columns = {"tps": "tps", "ttft": "ttft", "length": "completion_tokens"}
    groups: list[tuple[str | None, ...]] = [(m,) for m in (*MODELS, None)] + [(*MODELS, None)]
    with session_scope() as s:
        for measure, field in columns.items():
            for models in groups:
                values = sorted(
                    float(getattr(r, field)) for r in rows
                    if r.model in models and getattr(r, field) is not None
                )  # fmt: skip
                bins = ranks.bins(s, measure, list(models))
                assert bins.total == len(values), (measure, models)
                for rank, value in enumerate(values):
                    edge, before = bins.start(rank)
                    assert edge <= value
                    assert before == sum(v < edge for v in values), (measure, models, rank)
                    limit = bins.end(rank)  # the walk's other bound: the value is below it
                    assert limit is None or sum(v < limit for v in values) > rank
                    assert limit is not None or bins.start(len(values) - 1)[0] == edge


def test_the_models_offered_are_those_of_the_finished_answers_and_of_those_being_written(
    db: str,
) -> None:
    rows = fill(20)
    with session_scope(write=True) as s:
        repo = MessageRepository(s)
        repo.create_message(1, "llm", "", status="streaming", model="zeta-writing")
        repo.create_message(2, "user", "a question", model="never-an-answer")
    with session_scope(write=True) as s:  # every answer of one model deleted: no longer offered
        gone = [r.id for r in rows if r.model == MODELS[2]]
        s.execute(delete(Message).where(Message.id.in_(gone)))
    with session_scope() as s:
        used = InsightsRepository(s).models_used()
    finished = sorted({r.model for r in rows if r.model and r.model != MODELS[2]})
    unknown = [None] if any(r.model is None for r in rows) else []
    assert used == [*sorted([*finished, "zeta-writing"]), *unknown]


def test_each_person_counts_only_their_own_answers(db: str) -> None:
    """Alice and Bob answered with the same models in the same quarter hours: the rollups keep
    them apart (from the triggers, through a chat changing hands and a person leaving), and each
    one's first view — read from the rollups — is exactly what their own rows say."""
    alice = users.sign_in(Identity("http://idp", "alice", "alice@example.com", "Alice"))
    bob = users.sign_in(Identity("http://idp", "bob", "bob@example.com", "Bob"))
    with acting_as(alice.id):
        hers = fill()
    with acting_as(bob.id):
        his = fill(100, seed=11, first_id=10_000)
    shared = {(r.model, int(r.created_at.timestamp()) // 900) for r in hers}
    assert any((r.model, int(r.created_at.timestamp()) // 900) in shared for r in his)
    assert _both_exact()

    def check(owner: int, rows: list[Row]) -> None:
        insights.forget()
        with acting_as(owner):
            flt = InsightsFilter(zone=ZONE)
            view = insights.overview(flt)
            _check(view, rows)
            # the writing answer is each one's own: fill() gives each the same models
            assert set(insights.filter_options().models) == {r.model or "" for r in rows}

    shift = day_shift(ZONE, START - timedelta(days=2), START + timedelta(days=20))
    assert served(AnswerScope(), shift) and ranks.serves(None, None, (), False)  # rollups read
    check(alice.id, hers)
    check(bob.id, his)
    with acting_as(None):  # the local user has answered nothing
        insights.forget()
        assert not insights.overview(InsightsFilter()).history
    moved = hers[0].chat_id  # one of Alice's chats becomes Bob's
    with session_scope(write=True) as s:
        s.execute(update(Chat).where(Chat.id == moved).values(owner_id=bob.id))
    assert _both_exact()
    check(alice.id, [r for r in hers if r.chat_id != moved])
    check(bob.id, his + [r for r in hers if r.chat_id == moved])
    with session_scope(write=True) as s:  # Alice leaves: her chats go with her
        s.execute(delete(User).where(User.id == alice.id))
    assert _both_exact()
    check(bob.id, his + [r for r in hers if r.chat_id == moved])
