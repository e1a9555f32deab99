"""Where a percentile's walk starts: the histogram of each model's measures (``answer_measures``,
migration 0015, kept by triggers on ``messages``).

A percentile of a model is the value at rank *k* of its answers ordered by the measure; the
index ``(model, measure)`` gives that order, but reaching rank *k* walks *k* entries — half the
model's answers for a median, half a million at a few million messages. The histogram counts the
answers per bin of values (``floor(value * scale)``, the scale a power of two so that a bin's
lower edge ``bin / scale`` is exact): the bins before rank *k* say how many values lie below that
bin's edge, and the walk starts at the edge (``WHERE x >= edge ORDER BY x OFFSET k - below``),
through one bin at most. The result is the value the full walk finds, not an estimate.

The histogram knows models, not times, tags or outcomes: it serves the percentiles of a scope
without a period or tags (:func:`serves`); others walk from the start as before. And only when
its count equals the scope's (the caller checks): anything else walks from the start too.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core.repositories.scope import owner_value
from core.rollups import ANSWER_MEASURES, MEASURE_SCALES


@dataclass(frozen=True)
class Bins:
    """The non-empty bins of some models' values, in order: each one's lower edge and how many
    values lie below it."""

    edges: tuple[float, ...]
    below: tuple[int, ...]
    total: int

    def _bin(self, rank: int) -> int:
        return max(0, bisect_right(self.below, rank) - 1)

    def start(self, rank: int) -> tuple[float, int]:
        """(edge, values below it) of the bin holding the value at ``rank`` (0-based)."""
        at = self._bin(rank)
        return self.edges[at], self.below[at]

    def end(self, rank: int) -> float | None:
        """Where the bin after the one holding ``rank`` begins (None: it is the last): values at
        ``rank`` and before lie below it. Bounding the walk on both sides keeps it to a bin or
        two whatever plan the database picks (PostgreSQL may sort a union instead of merging)."""
        at = self._bin(rank) + 1
        return self.edges[at] if at < len(self.edges) else None


def serves(start: object, end: object, tags: Sequence[str], narrowed: bool) -> bool:
    """Whether the histogram covers a scope: no period, no tags, no outcome or single answer."""
    return start is None and end is None and not tags and not narrowed


def bins(db: Session, measure: str, models: Sequence[str | None]) -> Bins:
    """The bins of ``measure`` over the answers of ``models`` together."""
    m = ANSWER_MEASURES.c
    named = [~m.model_known if name is None else and_(m.model_known, m.model == name)
             for name in models]  # fmt: skip
    total = func.sum(m.answers)
    query = (
        select(m.bin, total)
        .where(m.owner_id == owner_value(), m.measure == measure, or_(*named))
        .group_by(m.bin)
        .having(total > 0)
        .order_by(m.bin)
    )
    scale = MEASURE_SCALES[measure]
    edges, below, count = [], [], 0
    for number, answers in db.execute(query):
        edges.append(int(number) / scale)
        below.append(count)
        count += int(answers)
    return Bins(tuple(edges), tuple(below), count)
