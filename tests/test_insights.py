"""Insights: every aggregation checked against numbers this test computes itself from the rows it
inserted, on SQLite and PostgreSQL, with answers on both sides of the reader's midnight.

The expected values never go through Charla's code: days are taken with ``zoneinfo`` in Python,
percentiles with ``statistics.quantiles(method="inclusive")`` (the same definition as
PostgreSQL's ``percentile_cont``), counts with plain loops over the inserted rows.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from core.conf.db import session_scope
from core.models import Chat, Message
from core.repositories.tags import TagRepository
from core.services import insights
from core.services.insights import InsightsFilter, Narrow
from core.zones import day_shift, local_midnight
from tests.insights_rows import START, ZONE, Row, fill, local_day, percentile


def _expect_models(rows: list[Row]) -> dict[str, dict[str, Any]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row.model or insights.UNKNOWN_MODEL].append(row)
    expected = {}
    for model, mine in grouped.items():
        tps = [r.tps for r in mine if r.tps is not None]
        ttft = [r.ttft for r in mine if r.ttft is not None]
        length = [float(r.completion_tokens) for r in mine if r.completion_tokens is not None]
        expected[model] = {
            "answers": len(mine),
            "outcomes": Counter(r.outcome for r in mine),
            "in": sum(r.prompt_tokens or 0 for r in mine),
            "out": sum(r.completion_tokens or 0 for r in mine),
            "last": max(r.created_at for r in mine),
            "speed": {p: percentile(tps, p) for p in insights.SPEED_PS} if tps else None,
            "ttft": {p: percentile(ttft, p) for p in insights.TTFT_PS} if ttft else None,
            "length": percentile(length, 0.5) if length else None,
        }
    return expected


def _check(view: insights.Overview, rows: list[Row]) -> None:
    assert view.answers == len(rows)
    assert view.chats == len({r.chat_id for r in rows})
    assert view.questions == len({r.parent_id for r in rows})
    assert view.messages == view.answers + view.questions
    assert view.tokens_in == sum(r.prompt_tokens or 0 for r in rows)
    assert view.tokens_out == sum(r.completion_tokens or 0 for r in rows)
    assert view.median_speed == pytest.approx(percentile([r.tps for r in rows if r.tps], 0.5))
    assert view.median_ttft == pytest.approx(percentile([r.ttft for r in rows if r.ttft], 0.5))
    for outcome in insights.OUTCOMES:
        assert view.outcome_total(outcome) == sum(r.outcome == outcome for r in rows)
    per_day: Counter[tuple[date, str]] = Counter()
    tokens_day: Counter[date] = Counter()
    for row in rows:
        per_day[(local_day(row), row.model or "")] += 1
        tokens_day[local_day(row)] += (row.prompt_tokens or 0) + (row.completion_tokens or 0)
    assert {(d.day, d.model): d.answers for d in view.days} == dict(per_day)
    shown: Counter[date] = Counter()
    for d in view.days:
        shown[d.day] += d.tokens_in + d.tokens_out
    assert shown == tokens_day
    expected = _expect_models(rows)
    assert [m.model for m in view.models] == sorted(expected)
    for stats in view.models:
        want = expected[stats.model]
        assert stats.answers == want["answers"]
        assert stats.outcomes == {o: want["outcomes"].get(o, 0) for o in insights.OUTCOMES}
        assert (stats.tokens_in, stats.tokens_out) == (want["in"], want["out"])
        assert stats.last_used == want["last"]
        assert stats.error_rate == pytest.approx(want["outcomes"]["error"] / want["answers"])
        if want["speed"] is None:
            assert stats.speed is None
        else:
            assert stats.speed is not None
            for p, value in want["speed"].items():
                assert stats.speed[p] == pytest.approx(value), (stats.model, p)
            assert stats.ttft is not None
            for p, value in want["ttft"].items():
                assert stats.ttft[p] == pytest.approx(value), (stats.model, p)
            assert stats.median_length == pytest.approx(want["length"])
    measured = sorted(
        (r for r in rows if r.prompt_tokens is not None and r.ttft is not None),
        key=lambda r: (r.created_at, r.id),
        reverse=True,
    )
    assert view.points_total == len(measured)
    assert [p.id for p in view.points] == [r.id for r in measured[: insights.POINTS]]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    insights.forget()


def test_every_figure_matches_the_rows_inserted(db: str) -> None:
    rows = fill()
    view = insights.overview(InsightsFilter(zone=ZONE))
    assert view.history and not view.empty
    _check(view, rows)
    assert view.database_bytes and view.database_bytes > 0


def test_a_date_range_is_the_readers_days_across_midnight_and_a_change_of_clocks(db: str) -> None:
    rows = fill()
    first, last = date(2026, 4, 3), date(2026, 4, 7)  # Auckland's clocks go back on 5 April
    inside = [r for r in rows if first <= local_day(r) <= last]
    # The test is only worth something if answers sit close to the reader's midnights and some
    # UTC day holds answers of two different local days.
    assert any(r.created_at.astimezone(ZONE).hour == 23 for r in inside)
    assert len({r.created_at.date() for r in inside}) != len({local_day(r) for r in inside})
    view = insights.overview(InsightsFilter(first, last, ZONE))
    _check(view, inside)
    assert {d.day for d in view.days} <= {first + timedelta(days=n) for n in range(5)}


def test_models_and_tags_narrow_every_figure(db: str) -> None:
    rows = fill()
    tagged = {2, 3, 5, 8, 13, 21}
    with session_scope(write=True) as session:
        TagRepository(session).add(sorted(tagged), "work")
        TagRepository(session).add([1], "home")
    view = insights.overview(InsightsFilter(zone=ZONE, models=("beta-3b", "gamma-1b")))
    _check(view, [r for r in rows if r.model in ("beta-3b", "gamma-1b")])
    view = insights.overview(InsightsFilter(zone=ZONE, tags=("work",)))
    _check(view, [r for r in rows if r.chat_id in tagged])
    view = insights.overview(InsightsFilter(zone=ZONE, models=(insights.UNKNOWN_MODEL,)))
    _check(view, [r for r in rows if r.model is None])
    options = insights.filter_options()
    assert options.models == (*sorted({r.model for r in rows if r.model}), "")
    assert options.tags == ("home", "work")


def test_a_click_lists_the_answers_behind_a_bar_or_a_point(db: str) -> None:
    rows = fill()
    flt = InsightsFilter(zone=ZONE)
    newest = sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)

    day = local_day(rows[0])
    page = insights.answers(flt, Narrow(day=day), limit=500)
    assert [a.id for a in page.rows] == [r.id for r in newest if local_day(r) == day]
    assert page.total == len(page.rows)

    picked = [r for r in newest if r.model == "alpha-7b" and r.outcome == "error"]
    page = insights.answers(flt, Narrow(model="alpha-7b", outcome="error"), limit=3)
    assert [a.id for a in page.rows] == [r.id for r in picked[:3]]
    assert page.total == len(picked)
    assert all(a.chat_title == f"chat {a.chat_id}" for a in page.rows)

    page = insights.answers(flt, Narrow(outcome="length"), limit=1000)
    assert [a.id for a in page.rows] == [r.id for r in newest if r.outcome == "length"]

    one = rows[17]
    page = insights.answers(flt, Narrow(answer_id=one.id))
    assert [(a.id, a.chat_id, a.tokens_per_second) for a in page.rows] == [
        (one.id, one.chat_id, one.tps)
    ]


def test_an_empty_history_and_a_filter_that_matches_nothing_say_which(db: str) -> None:
    view = insights.overview(InsightsFilter(zone=ZONE))
    assert not view.history and view.empty and not view.days and not view.models
    fill(10)
    view = insights.overview(InsightsFilter(date(2001, 1, 1), date(2001, 1, 2), ZONE))
    assert view.history and view.empty and not view.models


def test_an_overview_is_reused_until_the_history_changes(db: str) -> None:
    rows = fill(20)
    flt = InsightsFilter(zone=ZONE)
    first = insights.overview(flt)
    assert insights.overview(flt) is first  # nothing changed: not computed again
    with session_scope(write=True) as session:
        session.execute(
            insert(Message),
            [
                {
                    "chat_id": 1,
                    "sender": "llm",
                    "content": "new",
                    "status": "complete",
                    "model": "delta",
                    "tokens_per_second": 1.0,
                    "created_at": START,
                }
            ],
        )
    second = insights.overview(flt)
    assert second is not first and second.answers == len(rows) + 1
    with session_scope(write=True) as session:  # a deleted chat is noticed too
        session.query(Chat).filter(Chat.id == 2).delete()
    third = insights.overview(flt)
    assert third.answers == second.answers - sum(r.chat_id == 2 for r in rows)


def test_day_shift_finds_each_change_of_clocks_to_the_second() -> None:
    madrid = ZoneInfo("Europe/Madrid")
    shift = day_shift(madrid, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert shift.offsets == (3600, 7200, 3600)
    assert shift.changes == (
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    )
    fixed = day_shift(UTC, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert fixed.offsets == (0,) and fixed.changes == ()
    assert local_midnight(date(2026, 4, 5), ZONE) == datetime(2026, 4, 4, 11, 0, tzinfo=UTC)
    assert local_midnight(date(2026, 4, 6), ZONE) == datetime(2026, 4, 5, 12, 0, tzinfo=UTC)


def test_the_page_gets_the_overview_from_before_at_once_while_the_new_one_is_computed(
    db: str,
) -> None:
    rows = fill(20)
    flt = InsightsFilter(zone=ZONE)
    first = insights.overview_at_once(flt)  # never shown before: computed now
    assert not first.updating and first.overview.answers == len(rows)
    with session_scope(write=True) as session:
        session.execute(
            insert(Message),
            [{"chat_id": 1, "sender": "llm", "content": "new", "status": "complete",
              "model": "delta", "created_at": START}],
        )  # fmt: skip
    shown = insights.overview_at_once(flt)
    assert shown.updating and shown.overview is first.overview  # at once: the one from before
    prepared: list[insights.Overview] = []
    insights.update(flt, prepare=prepared.append)  # what the page does once it has drawn them
    deadline = time.monotonic() + 30
    while not insights.updated(flt):
        assert time.monotonic() < deadline, "the background update never ended"
        time.sleep(0.02)
    after = insights.overview_at_once(flt)
    assert not after.updating and after.overview.answers == len(rows) + 1
    assert prepared == [after.overview]  # prepared (the page: its charts) before it was kept
