"""Which chats an export holds, and what its file is called.

An :class:`ExportScope` holds plain values only (ids, a frozen filter, flags), so it can be cached,
kept across reruns and handed to a thread that builds a download.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import InstrumentedAttribute

from core.repositories.scope import my_chats
from core.services.history import HistoryFilter, filter_conditions

IDS_PER_QUERY = 500  # chat ids per IN (...) when exporting a list of chats

Query = TypeVar("Query", bound=Select[Any])


@dataclass(frozen=True)
class ExportScope:
    """Which chats to export, and which of their messages.

    Build one with :meth:`chat`, :meth:`chats`, :meth:`matching` or :meth:`everything`. By default
    each chat's *selected branch* is exported (what the chat page shows); :meth:`with_versions`
    exports every version of every message instead.
    """

    chat_ids: tuple[int, ...] | None = None  # None: not limited to a list
    filter: HistoryFilter | None = None  # None: no filter
    all_versions: bool = False

    @classmethod
    def chat(cls, chat_id: int) -> ExportScope:
        return cls(chat_ids=(int(chat_id),))

    @classmethod
    def chats(cls, chat_ids: Iterable[int]) -> ExportScope:
        return cls(chat_ids=tuple(sorted({int(i) for i in chat_ids})))

    @classmethod
    def matching(cls, flt: HistoryFilter) -> ExportScope:
        """The chats ``flt`` selects, at the time the export runs (no list of ids to carry)."""
        return cls(filter=flt)

    @classmethod
    def everything(cls) -> ExportScope:
        return cls()

    def with_versions(self, all_versions: bool = True) -> ExportScope:
        return replace(self, all_versions=all_versions)


def file_name(scope: ExportScope, today: date | None = None, *, extension: str = "csv") -> str:
    """A download name that says what is inside: ``charla-chat-12.csv``,
    ``charla-all-2025-11-25.csv``, ``charla-chats-…-all-versions.csv``."""
    day = (today or date.today()).isoformat()
    if scope.chat_ids is not None and len(scope.chat_ids) == 1 and scope.filter is None:
        stem = f"charla-chat-{scope.chat_ids[0]}"
    elif scope.chat_ids is None and (scope.filter is None or scope.filter.is_empty):
        stem = f"charla-all-{day}"
    else:
        stem = f"charla-chats-{day}"
    if scope.all_versions:
        stem += "-all-versions"
    return f"{stem}.{extension}"


def restrict(
    query: Query,
    scope: ExportScope,
    dialect: str,
    chat_id: ColumnElement[int] | InstrumentedAttribute[int],
) -> Iterator[Query]:
    """``query`` (which reads ``chats``) limited to the chats of ``scope``: one statement, or one
    per :data:`IDS_PER_QUERY` ids of a long list, in id order. ``chat_id`` is the column the ids
    are compared with (``messages.chat_id`` lets a query of messages use its own index).

    Every export format selects its chats here, so the CSV, JSON and Markdown files of one scope
    hold the same chats, and "the filtered chats" are always those the History page shows. It is
    also where every export is limited to the current owner's chats (:func:`my_chats`): a list of
    someone else's ids exports nothing, and "everything" is everything of mine.
    """
    query = query.where(my_chats())
    if scope.filter is not None:
        query = query.where(*filter_conditions(scope.filter, dialect))
    if scope.chat_ids is None:
        yield query
        return
    ids = sorted(set(scope.chat_ids))
    for start in range(0, len(ids), IDS_PER_QUERY):
        yield query.where(chat_id.in_(ids[start : start + IDS_PER_QUERY]))
