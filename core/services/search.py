"""Full-text search over every message and its files, for the History page, "Find in this chat"
and the CLI.

:func:`search_messages` is the one entry point: the query language is :mod:`core.search.query`,
the index is migration 0008's (files: 0013's), the queries are :mod:`core.repositories.search`
(files: :mod:`core.repositories.search_files`).

**Order.** Best matches first — BM25 on SQLite (:func:`core.repositories.search.bm25`),
``ts_rank_cd`` on PostgreSQL — and the newer message first on a tie. Ranking looks at the newest
:data:`RANK_WINDOW` matching messages: every match when there are fewer (the total is then
exact), the best of the newest 500 when a word is everywhere. That bound is what keeps every query
under 20 ms at a million messages (``bench/search.py``): scoring all 580,000 messages that hold a
common word took 690 ms. Paging goes as far as the window; a person who wants more refines the
query (a filter, another word, a phrase).

**Total.** Exact when the window holds every match (``estimated`` false). Otherwise it is
estimated from how densely matches fill the window, extrapolated over the older messages, rounded
to two significant figures, and flagged (``estimated`` true): the pages say "about 35,000".

**What a search covers.** Every stored message: every version (a hit says whether it is on the
branch its chat shows, ``selected``), answers still being written (each progressive save is
indexed) and archived chats (found, flagged ``archived``). Deleted messages, versions and chats
are gone from the index with them.

**Files.** A message is also found by one of its files: the file's name and extracted text
together must match the whole query (:mod:`core.repositories.search_files`, migration 0013's
index). The query is matched against the message's own words or against one file, never a mix.
An excluded term (``-word``) leaves a message out on the side that matched: found by its words,
when they hold it; found by a file, when that file does. Such a hit's snippet is the file's name,
a colon and a snippet of its text (``in_file`` names the file); it ranks after a message whose own
words match as well (:data:`~core.repositories.search_files.FILE_WEIGHT`). Both candidate lists
are merged newest first before the window is cut, so the window and the estimate count messages,
however they were found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from math import floor, log10
from typing import TypedDict, Unpack

from core.conf.db import get_engine, session_scope
from core.errors import InputError
from core.repositories import search_terms
from core.repositories.messages import MessageRepository
from core.repositories.search import Candidate, HitRow, SearchFilters, SearchRepository
from core.repositories.search_files import FileSearch, FileText
from core.repositories.tags import clean_tag
from core.repositories.versions import VersionRepository
from core.search.query import Query, parse
from core.search.snippets import escape, snippet

__all__ = [
    "MAX_LIMIT",
    "RANK_WINDOW",
    "FilterArgs",
    "Jump",
    "SearchFilters",
    "SearchHit",
    "SearchPage",
    "find_in_chat",
    "reveal",
    "search_messages",
]

RANK_WINDOW = 500  # the newest matches ranked (see the module docstring)
MAX_LIMIT = 100  # hits per page at most


class FilterArgs(TypedDict, total=False):
    """The filters :func:`search_messages` takes as keywords (see :class:`SearchFilters`)."""

    chat_id: int
    model: str
    sender: str
    date_from: date
    date_to: date
    zone: tzinfo
    tag: str
    tags: tuple[str, ...]
    pinned: bool
    archived: bool


@dataclass(frozen=True)
class SearchHit:
    """One matching message."""

    chat_id: int
    message_id: int
    chat_title: str
    sender: str
    created_at: datetime
    snippet: str  # the matched words between ** marks (format: core.search.snippets)
    rank: float  # higher is better; comparable within one search only
    model: str | None = None
    in_reasoning: bool = False  # the snippet comes from the model's reasoning
    in_file: str | None = None  # the snippet comes from this file of the message (its name)
    selected: bool = True  # on the branch the chat shows (else: another version)
    pinned: bool = False
    archived: bool = False


@dataclass(frozen=True)
class SearchPage:
    """One page of a search's hits, best first."""

    query: str
    hits: tuple[SearchHit, ...]
    total: int  # matching messages (see ``estimated``)
    estimated: bool  # ``total`` is an estimate: more matched than were ranked
    offset: int
    limit: int
    reachable: int  # hits that paging can reach (at most RANK_WINDOW)
    parsed: Query

    @property
    def pages(self) -> int:
        return max(1, -(-self.reachable // self.limit))

    @property
    def page(self) -> int:
        """This page's number, from 0."""
        return self.offset // self.limit


def _filters(tags: tuple[str, ...], args: FilterArgs) -> SearchFilters:
    wanted = list(tags) + list(args.get("tags", ()))
    if args.get("tag"):
        wanted.append(args["tag"])
    cleaned = tuple(dict.fromkeys(clean_tag(tag) for tag in wanted))
    values = {key: value for key, value in args.items() if key not in ("tag", "tags")}
    return SearchFilters(tags=cleaned, **values)  # type: ignore[arg-type]


def _estimate(window: list[Candidate], lowest: int) -> int:
    """How many messages match in all, from how densely the newest ones did."""
    newest, oldest = window[0].id, window[-1].id
    guess = len(window) * (newest - lowest + 1) / max(1, newest - oldest + 1)
    guess = max(guess, len(window) + 1)
    digits = 10 ** max(0, floor(log10(guess)) - 1)
    return int(round(guess / digits) * digits)


def _file_snippet(files: list[FileText], query: Query) -> tuple[str, str] | None:
    """(the file's name, the snippet) of the first of ``files`` the query marks: the name (its
    matched words marked), a colon, and a snippet of the text."""
    for file in files:
        name, in_name = snippet(file.name, query)
        body, in_text = snippet(file.text, query) if file.text else ("", False)
        if in_name or in_text:
            if not in_name:
                name = escape(file.name)  # the whole name, not a cut of it
            return file.name, f"{name}: {body}" if body else name
    return None


def _hit(row: HitRow, rank: float, query: Query, files: list[FileText]) -> SearchHit:
    text, marked = snippet(row.content, query)
    in_reasoning = False
    in_file: str | None = None
    if not marked and row.reasoning:
        thought, found = snippet(row.reasoning, query)
        if found:
            text, in_reasoning, marked = thought, True, True
    if not marked:
        from_file = _file_snippet(files, query)
        if from_file is not None:
            in_file, text = from_file
        elif row.reasoning and not row.content:
            text, _ = snippet(row.reasoning, query)
            in_reasoning = True
    return SearchHit(
        chat_id=row.chat_id,
        message_id=row.id,
        chat_title=row.chat_title,
        sender=row.sender,
        created_at=row.created_at,
        snippet=text,
        rank=rank,
        model=row.model,
        in_reasoning=in_reasoning,
        in_file=in_file,
        selected=row.selected,
        pinned=row.pinned,
        archived=row.archived,
    )


def _merge(own: list[Candidate], by_file: list[Candidate], limit: int) -> list[Candidate]:
    """The newest ``limit`` messages found by their words or by a file; a message found both
    ways keeps its better score."""
    best = {c.id: c for c in by_file}
    for c in own:
        if c.id not in best or c.score >= best[c.id].score:
            best[c.id] = c
    return sorted(best.values(), key=lambda c: -c.id)[:limit]


def _fold_vocabulary(parsed: Query) -> None:
    """SQLite: before a prefix is expanded into words, add the words of messages written or
    changed since the last search to the vocabulary (:mod:`core.repositories.search_terms`), in a
    short write transaction of its own, and only when there is something to add."""
    if get_engine().dialect.name != "sqlite":
        return
    if not any(term.prefix for term in parsed.include + parsed.exclude):
        return
    with session_scope() as db:
        if not search_terms.pending(db):
            return
    with session_scope(write=True) as db:
        search_terms.fold_vocabulary(db)


def search_messages(
    query: str, *, limit: int = 20, offset: int = 0, **filters: Unpack[FilterArgs]
) -> SearchPage:
    """One page of the messages matching ``query`` (see :mod:`core.search.query`) and
    ``filters`` (:class:`FilterArgs`), best first. Never raises for what ``query`` holds; a query
    with no word to look for gives an empty page. ``tag:`` in the query adds to ``tag``/``tags``.
    """
    parsed = parse(query)
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    empty = SearchPage(query, (), 0, False, offset, limit, 0, parsed)
    try:
        flt = _filters(parsed.tags, filters)
    except InputError:  # a tag filter with an empty or over-long name: no chat carries it
        return empty
    if not parsed.searchable:
        return empty
    _fold_vocabulary(parsed)
    with session_scope() as db:
        repo = SearchRepository(db)
        files = FileSearch(db)
        found = _merge(
            repo.candidates(parsed, flt, RANK_WINDOW + 1),
            files.candidates(parsed, flt, RANK_WINDOW + 1),
            RANK_WINDOW + 1,
        )
        window = found[:RANK_WINDOW]
        estimated = len(found) > RANK_WINDOW
        total = _estimate(window, repo.lowest_id(flt)) if estimated else len(window)
        ranked = sorted(window, key=lambda c: (-c.score, -c.id))[offset : offset + limit]
        rows = repo.rows([c.id for c in ranked])
        shown = files.files([c.id for c in ranked])
    hits = tuple(
        _hit(rows[c.id], c.score, parsed, shown.get(c.id, [])) for c in ranked if c.id in rows
    )
    return SearchPage(query, hits, total, estimated, offset, limit, len(window), parsed)


def find_in_chat(chat_id: int, query: str, *, limit: int = 20, offset: int = 0) -> SearchPage:
    """The chat's messages matching ``query`` (every version), best first."""
    return search_messages(query, limit=limit, offset=offset, chat_id=chat_id)


@dataclass(frozen=True)
class Jump:
    """Where a hit lands: its chat, the message, and how many messages of the chat's shown branch
    (counted from the newest) the page must draw for the message to be among them."""

    chat_id: int
    message_id: int
    window: int


def reveal(message_id: int) -> Jump:
    """Make ``message_id`` visible in its chat: when it is on another version than the one shown,
    that version is selected (stored, as when the person picks it with the version arrows); the
    window returned reaches back to it. Raises :class:`~core.errors.MessageNotFound` when the
    message is gone."""
    with session_scope(write=True) as db:
        messages = MessageRepository(db)
        message = messages.get(message_id)
        if not message.selected:
            VersionRepository(db).select_version(message_id)
        length = messages.branch_length(message.chat_id)
    return Jump(message.chat_id, message_id, max(1, length - message.depth))
