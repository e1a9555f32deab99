"""Calendar days in the reader's time zone, for questions the database answers in UTC. Pure.

The database stores UTC instants; a person means *their* days. :func:`local_midnight` turns one of
their days into the UTC instant it begins (for date filters), and :func:`day_shift` describes a
zone's UTC offsets over a period — where summer time starts and ends — so that the database can
shift each instant by the right offset before taking its date (SQLite knows no time zones; see
:func:`core.repositories.insights.local_day`). Everything is an argument, so the tests pin each
case: across midnight, across a change of clocks, in a +13:00 zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as clock

from core.repositories.insights import DayShift

__all__ = ["DayShift", "day_shift", "local_midnight"]


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The UTC instant the reader's ``day`` begins."""
    return datetime.combine(day, clock.min, tzinfo=zone).astimezone(UTC)


def _offset(moment: datetime, zone: tzinfo) -> int:
    delta = moment.astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def day_shift(zone: tzinfo, start: datetime, end: datetime) -> DayShift:
    """``zone``'s UTC offsets from ``start`` to ``end`` (UTC) and the instants they change, found
    a day at a time and then to the second (a zone changes at most a few times a year)."""
    offsets, changes = [_offset(start, zone)], []
    moment = start
    while moment < end:
        step = min(moment + timedelta(days=1), end)
        if _offset(step, zone) == offsets[-1]:
            moment = step
            continue
        low, high = moment, step  # the offset changes in (low, high]
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            low, high = (middle, high) if _offset(middle, zone) == offsets[-1] else (low, middle)
        changes.append(high.replace(microsecond=0))
        offsets.append(_offset(high, zone))
        moment = high
    return DayShift(tuple(offsets), tuple(changes))
