"""Issue 9 §3 without a browser: the day buckets (pure, exact cases across midnight and DST) and
the sidebar's day headers in the zone ``st.context`` reports.

The browser half (switching chats while an answer streams) is in
``tests/e2e/test_browser_polish.py``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from core.conf.db import session_scope
from core.models import Chat
from core.repositories.chats import ChatRepository
from tests.ui.conftest import reset_process_state
from ui import dates
from ui.dates import Bucket

MADRID = ZoneInfo("Europe/Madrid")
LA = ZoneInfo("America/Los_Angeles")
TONGA = ZoneInfo("Pacific/Tongatapu")  # UTC+13, no DST


def local(zone: tzinfo, *fields: int) -> datetime:
    return datetime(*fields, tzinfo=zone)  # type: ignore[misc]


# --- ui.dates: exact cases ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("moment", "now", "zone", "bucket"),
    [
        # Across midnight: a minute apart, different days.
        (local(MADRID, 2025, 6, 1, 23, 59), local(MADRID, 2025, 6, 2, 0, 1), MADRID, "yesterday"),
        (local(MADRID, 2025, 6, 2, 0, 0), local(MADRID, 2025, 6, 2, 23, 59), MADRID, "today"),
        # Madrid, clocks forward (2025-03-30 has 23 h): 23 h 20 min ago is already yesterday…
        (local(MADRID, 2025, 3, 30, 0, 10), local(MADRID, 2025, 3, 31, 0, 30), MADRID, "yesterday"),
        # …and clocks back (2025-10-26 has 25 h): 24 h 45 min ago is still today (UTC: yesterday).
        (local(MADRID, 2025, 10, 26, 0, 5), local(MADRID, 2025, 10, 26, 23, 50), MADRID, "today"),
        # The repeated hour 02:00-03:00 of that night, second time round, is that day too.
        (
            local(MADRID, 2025, 10, 26, 2, 30).replace(fold=1),
            local(MADRID, 2025, 10, 27, 9, 0),
            MADRID,
            "yesterday",
        ),
        # Los Angeles: the whole short day is today; one second before midnight is yesterday
        # (UTC would say the opposite of both).
        (local(LA, 2025, 3, 9, 0, 1), local(LA, 2025, 3, 9, 23, 59), LA, "today"),
        (local(LA, 2025, 11, 2, 23, 59, 59), local(LA, 2025, 11, 3, 0, 0, 30), LA, "yesterday"),
        # +13:00: half past midnight in Tonga is 11:30 UTC the day before.
        (local(TONGA, 2025, 6, 14, 23, 0), local(TONGA, 2025, 6, 15, 0, 30), TONGA, "yesterday"),
        (local(TONGA, 2025, 6, 15, 0, 1), local(TONGA, 2025, 6, 15, 0, 30), TONGA, "today"),
        # The week: 2 to 7 calendar days back; 8 is older.
        (local(MADRID, 2025, 6, 8, 23, 59), local(MADRID, 2025, 6, 10, 0, 1), MADRID, "week"),
        (local(MADRID, 2025, 6, 3, 0, 0), local(MADRID, 2025, 6, 10, 23, 59), MADRID, "week"),
        (local(MADRID, 2025, 6, 2, 23, 59), local(MADRID, 2025, 6, 10, 0, 0), MADRID, "older"),
        # A moment a little in the future (another machine's clock) is today.
        (local(MADRID, 2025, 6, 11, 0, 5), local(MADRID, 2025, 6, 10, 23, 59), MADRID, "today"),
    ],
)
def test_day_bucket_counts_calendar_days_in_the_zone(
    moment: datetime, now: datetime, zone: tzinfo, bucket: str
) -> None:
    assert dates.day_bucket(moment, now, zone) == bucket
    # The same instants given in UTC (as the database returns them) give the same answer.
    assert dates.day_bucket(moment.astimezone(UTC), now.astimezone(UTC), zone) == bucket


def test_the_zone_decides_and_utc_would_be_wrong() -> None:
    moment = local(TONGA, 2025, 6, 14, 23, 0)  # 10:00 UTC on the 14th
    now = local(TONGA, 2025, 6, 15, 0, 30)  # 11:30 UTC on the 14th
    assert dates.day_bucket(moment, now, TONGA) == Bucket.YESTERDAY
    assert dates.day_bucket(moment, now, UTC) == Bucket.TODAY
    # A naive datetime is UTC, as SQLite hands it back.
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    assert dates.day_bucket(naive, now, TONGA) == Bucket.YESTERDAY


def test_zone_from_prefers_the_name_then_the_offset_then_utc() -> None:
    assert dates.zone_from("Europe/Madrid", -120) == MADRID
    # JavaScript's getTimezoneOffset(): minutes *behind* UTC, so -780 is UTC+13.
    plus13 = dates.zone_from(None, -780)
    assert plus13.utcoffset(None) == timedelta(hours=13)
    assert dates.zone_from("Mars/Olympus_Mons", 60) == timezone(timedelta(hours=-1))
    assert dates.zone_from("../../etc/passwd", None) == UTC  # malformed: not a path lookup
    assert dates.zone_from("", None) == UTC
    assert dates.zone_from(None, None) == UTC
    assert dates.zone_from(None, 24 * 60) == UTC  # not an offset a browser sends
    # The offset zone gives the Tonga answer too.
    moment, now = local(TONGA, 2025, 6, 14, 23, 0), local(TONGA, 2025, 6, 15, 0, 30)
    assert dates.day_bucket(moment, now, plus13) == Bucket.YESTERDAY


def test_group_by_day_keeps_the_group_order_and_the_item_order() -> None:
    now = local(MADRID, 2025, 6, 10, 12, 0)
    items = [
        ("b", local(MADRID, 2025, 6, 10, 9, 0)),
        ("old", local(MADRID, 2025, 1, 1, 9, 0)),
        ("a", local(MADRID, 2025, 6, 10, 11, 0)),
        ("week", local(MADRID, 2025, 6, 5, 9, 0)),
    ]
    groups = dates.group_by_day(items, lambda item: item[1], now, MADRID)
    assert [(bucket, [name for name, _ in members]) for bucket, members in groups] == [
        (Bucket.TODAY, ["b", "a"]),
        (Bucket.WEEK, ["week"]),
        (Bucket.OLDER, ["old"]),
    ]  # no empty "Yesterday"
    assert dates.group_by_day([], lambda item: item, now, MADRID) == []


# --- the sidebar --------------------------------------------------------------------------------
HEADERS = {
    "en": ["Today", "Yesterday", "Previous 7 days", "Older"],
    "es": ["Hoy", "Ayer", "Últimos 7 días", "Anteriores"],
}


def _chat_at(title: str, last_activity: datetime) -> int:
    with session_scope(write=True) as db:
        chat_id = ChatRepository(db).create(title).id
        db.execute(update(Chat).where(Chat.id == chat_id).values(last_activity=last_activity))
    return chat_id


def _away_from_midnight(zone: tzinfo) -> datetime:
    """Now, after waiting out the last half minute of a day in ``zone`` (so the test's "today"
    is still today when the page runs)."""
    now = datetime.now(zone)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), zone)
    if (midnight - now).total_seconds() < 30:
        time.sleep((midnight - now).total_seconds() + 1)
    return datetime.now(UTC)


def _noon(now: datetime, zone: tzinfo, days_back: int) -> datetime:
    day = now.astimezone(zone).date() - timedelta(days=days_back)
    return datetime(day.year, day.month, day.day, 12, tzinfo=zone)


def sidebar_list(at: Any, lang: str = "en") -> list[str]:
    """The sidebar's day headers and chat buttons, in order."""
    found = []
    for node in at.sidebar:
        if node.type == "caption" and node.value in HEADERS[lang]:
            found.append(node.value)
        elif node.type == "button" and node.key and node.key.removeprefix("chat-").isdigit():
            found.append(node.label)
    return found


def test_the_sidebar_groups_chats_by_day_in_the_browsers_zone(app_db: None, page: Any) -> None:
    now = _away_from_midnight(MADRID)
    _chat_at("Older chat", _noon(now, MADRID, 40))
    _chat_at("Last week", _noon(now, MADRID, 4))
    _chat_at("Yesterday noon", _noon(now, MADRID, 1))
    _chat_at("Earlier today", now - timedelta(seconds=1))
    _chat_at("Just now", now)
    at = page("chat")
    at.context["timezone"] = "Europe/Madrid"
    at.run()
    assert not at.exception

    assert sidebar_list(at) == [
        "Today",
        "Just now",
        "Earlier today",
        "Yesterday",
        "Yesterday noon",
        "Previous 7 days",
        "Last week",
        "Older",
        "Older chat",
    ]


def _offset_where_now_is(now: datetime, hour: int, minute: int) -> int:
    """``st.context.timezone_offset`` (minutes behind UTC) of a zone where it is now hh:mm."""
    shift = (hour * 60 + minute - (now.hour * 60 + now.minute)) % (24 * 60)
    shift = shift - 24 * 60 if shift > 14 * 60 else shift
    return -shift


def test_the_offset_alone_decides_the_day_and_headers_are_translated(
    app_db: None, page: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("APP_LANGUAGE", "es")
    reset_process_state()
    now = datetime.now(UTC)
    _chat_at("Hace una hora", now - timedelta(hours=1))

    def shown_at(hour: int, minute: int) -> list[str]:
        at = page("chat")
        at.context["timezone_offset"] = _offset_where_now_is(now, hour, minute)
        at.run()
        assert not at.exception
        return sidebar_list(at, "es")

    # The same chat: at 00:30 local, an hour ago was yesterday; at 01:30, it was today.
    assert shown_at(0, 30) == ["Ayer", "Hace una hora"]
    assert shown_at(1, 30) == ["Hoy", "Hace una hora"]


def test_paging_still_works_under_the_headers(app_db: None, page: Any) -> None:
    now = datetime.now(UTC)
    for i in range(35):
        _chat_at(f"Chat {i}", now - timedelta(days=i))
    at = page("chat").run()
    assert len([x for x in sidebar_list(at) if x.startswith("Chat")]) == 30
    at.sidebar.button(key="chat-more").click().run()
    listed = sidebar_list(at)
    assert [x for x in listed if x.startswith("Chat")] == [f"Chat {i}" for i in range(35)]
    assert [x for x in listed if not x.startswith("Chat")] == HEADERS["en"]
    assert not [b for b in at.sidebar.button if b.key == "chat-more"]
