"""Day buckets for the sidebar's chat list — Today, Yesterday, Previous 7 days, Older — in the
reader's time zone. Pure: no Streamlit, no clock, no database.

Why a module of its own: "yesterday" is a question about *calendar days in one place*, not about
24-hour spans. A chat written at 23:50 in Madrid is "yesterday" ten minutes after midnight there,
while in UTC it may still be "today"; on the day clocks go forward a day has 23 hours, so
"now minus 24 h" would land two calendar days back. So every instant is first converted to the
reader's zone and only then compared by date (:func:`day_bucket`). Everything the answer depends
on — the instant, ``now`` and the zone — is an argument, so the tests can pin each case exactly
(across midnight, across DST changes, in a +13:00 zone).

The zone comes from the browser (:func:`zone_from`): its IANA name when Python knows it (DST
rules included), else the fixed offset the browser reported for *now* (right for recent chats,
which are what the buckets are about), else UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

T = TypeVar("T")

WEEK_DAYS = 7  # "Previous 7 days" reaches this many calendar days back (before yesterday: 2..7)


class Bucket(StrEnum):
    """A group of the chat list, in the order they are shown (values name the locale keys)."""

    TODAY = "today"
    YESTERDAY = "yesterday"
    WEEK = "week"
    OLDER = "older"


ORDER: tuple[Bucket, ...] = tuple(Bucket)


def zone_from(name: str | None, offset_minutes: int | None) -> tzinfo:
    """The reader's zone from what the browser says (``st.context.timezone`` / ``.timezone_offset``).

    ``offset_minutes`` follows JavaScript's ``Date.getTimezoneOffset()``: minutes *behind* UTC,
    so Madrid in winter is ``-60``. An unknown or malformed name (a browser newer than this
    machine's tz database, or no database at all) falls back to the offset; no usable offset
    falls back to UTC.
    """
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    if offset_minutes is not None and abs(offset_minutes) < 24 * 60:
        return timezone(-timedelta(minutes=offset_minutes))
    return UTC


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """``moment`` in ``zone``; a naive ``moment`` is taken as UTC (how the database stores times)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)


def day_bucket(moment: datetime, now: datetime, zone: tzinfo) -> Bucket:
    """Which group a chat last active at ``moment`` falls in, seen at ``now`` from ``zone``.

    Calendar days in ``zone``: the same date as ``now`` is Today (a moment after ``now`` — a clock
    a little ahead on another machine — too), the day before is Yesterday, 2 to
    :data:`WEEK_DAYS` days before is the previous week, anything earlier is Older.
    """
    days = (in_zone(now, zone).date() - in_zone(moment, zone).date()).days
    if days <= 0:
        return Bucket.TODAY
    if days == 1:
        return Bucket.YESTERDAY
    if days <= WEEK_DAYS:
        return Bucket.WEEK
    return Bucket.OLDER


def group_by_day(
    items: Iterable[T], moment_of: Callable[[T], datetime], now: datetime, zone: tzinfo
) -> list[tuple[Bucket, list[T]]]:
    """``items`` under their buckets: non-empty groups in :data:`ORDER`, items in their given order.

    The chat list arrives newest first, so each group is already sorted; grouping by bucket
    rather than by runs keeps the result right even if it did not.
    """
    groups: dict[Bucket, list[T]] = {}
    for item in items:
        groups.setdefault(day_bucket(moment_of(item), now, zone), []).append(item)
    return [(bucket, groups[bucket]) for bucket in ORDER if bucket in groups]
