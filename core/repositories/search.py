"""``SearchRepository``: the queries over the full-text index (built by migration 0008).

**Which messages, in what order.** A search asks the database for the *newest* matching messages
(at most ``limit``, the service's ranking window), each with what ranking needs, and ranks them
itself (:mod:`core.services.search`). Newest-first is the order both indexes give cheaply —
FTS5 walks a term's row list backwards, PostgreSQL walks the primary key backwards or sorts a
bitmap of few rows — and it bounds the work whatever the query: measured on 1M messages, asking
FTS5 for the best ``bm25()`` matches of a word found in 580,000 messages took 690 ms, because it
must score them all (and ``bm25()`` first counts every row holding each phrase, 12–50 ms on its
own). The scores, per candidate:

- SQLite: what BM25 needs that FTS5 gives for one row without scanning others: the number of
  matched phrases in the content and in the reasoning (the marks ``highlight()`` puts in, counted
  in SQL) and their lengths. :func:`bm25` turns them into a score.
- PostgreSQL: ``ts_rank_cd(search_vector, query, 1)``: cover density (how often, and how close
  together, the query's words occur; weights A content / B reasoning), divided by 1 + log of the
  length. Plain ``ts_rank`` hardly counts repetitions: it ranked "a kiwi" above "kiwi kiwi kiwi,
  three kiwi".

**Plans.** With a ``chat_id`` filter ("Find in this chat") SQLite reads that chat's messages
through ``ix_messages_chat_id_id`` and asks FTS5 about each one (``CROSS JOIN`` fixes that order:
SQLite's planner would otherwise walk every match of a common word in the whole database, 185 ms
instead of 8 on a 2,000-message chat); otherwise it walks the index's matches newest first and
checks the filters on each. PostgreSQL chooses between its GIN index and the primary key from its
statistics (the query is built from constants, so it plans with the real words).

**Chats.** :func:`chat_condition` is the chat-level side, for History's table and export scopes: a
chat matches when its title matches the whole query, or one of its messages does, or one of its
messages' files does (migration 0013's index; the message-level side of files is
:mod:`core.repositories.search_files`).

Everything a person typed reaches SQL only as bound parameters; the SQL text is built from
constants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from math import ceil
from typing import Any

from sqlalchemy import ColumnElement, TextClause, and_, bindparam, func, select, text
from sqlalchemy.orm import Session

from core.models import Chat, Message, UTCDateTime
from core.repositories.scope import my_chats, owner_id
from core.repositories.search_terms import expansions
from core.search.query import Query, fts5_match

MARK = "\x01"  # what highlight() puts before each match, counted in SQL
REASONING_WEIGHT = 0.4  # a match in the reasoning counts this much (PostgreSQL's weight B)
BM25_K1 = 1.2
BM25_B = 0.75
RECENT_ROWS = 10_000  # PostgreSQL: the newest ids tried first (see _postgres_candidates)
WALK_ROWS = 200_000  # PostgreSQL: the longest older range walked in id order before the GIN index


@dataclass(frozen=True)
class SearchFilters:
    """Which messages a search may return; ``None`` / empty means "any".

    ``date_from`` / ``date_to`` are days of ``zone`` (the reader's time zone), both included, on
    the message's time; ``model`` is the model that wrote an answer; ``tags`` must all be on the
    message's chat; ``pinned`` / ``archived`` are about the chat.
    """

    chat_id: int | None = None
    model: str | None = None
    sender: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    zone: tzinfo = UTC
    tags: tuple[str, ...] = field(default=())
    pinned: bool | None = None
    archived: bool | None = None

    @property
    def touches_chats(self) -> bool:
        return self.pinned is not None or self.archived is not None


@dataclass(frozen=True)
class Candidate:
    """A matching message and what ranking needs to know about it."""

    id: int
    score: float = 0.0
    matches: float = 0.0  # SQLite: matched phrases (reasoning weighted)
    length: float = 0.0  # SQLite: characters (reasoning weighted)


@dataclass(frozen=True)
class HitRow:
    """What a hit shows of its message and chat."""

    id: int
    chat_id: int
    chat_title: str
    sender: str
    model: str | None
    created_at: datetime
    content: str
    reasoning: str
    selected: bool
    pinned: bool
    archived: bool


def day_start(day: date, zone: tzinfo = UTC) -> datetime:
    """00:00 of ``day`` in ``zone``, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=zone)


def bm25(candidates: Sequence[Candidate]) -> list[Candidate]:
    """BM25 scores for SQLite's candidates, the query's phrases pooled into one: every candidate
    matched the same query, so the terms' IDF is a constant factor and the order depends only on
    how often the query matched and how long the message is (against the candidates' average)."""
    if not candidates:
        return []
    average = sum(c.length for c in candidates) / len(candidates) or 1.0
    scored = []
    for c in candidates:
        norm = BM25_K1 * (1 - BM25_B + BM25_B * c.length / average)
        score = c.matches * (BM25_K1 + 1) / (c.matches + norm) if c.matches else 0.0
        scored.append(Candidate(c.id, score, c.matches, c.length))
    return scored


def pg_tsquery(query: Query, prefix: str = "sq") -> tuple[str, dict[str, str]]:
    """The query as a PostgreSQL ``tsquery`` expression (SQL text with bound parameters).

    Each term goes through ``charla_fold`` and ``phraseto_tsquery`` — the very functions that
    built the stored vectors — so it is cut into words exactly as the messages were, and several
    words are a phrase. A prefix marks the phrase's last word (``'local' <-> 'priv':*``). Terms
    are joined with ``&&``, exclusions with ``&& !!``.
    """
    pieces: list[str] = []
    params: dict[str, str] = {}
    terms = [(term, False) for term in query.include] + [(term, True) for term in query.exclude]
    for number, (term, negative) in enumerate(terms):
        name = f"{prefix}_{number}"
        params[name] = term.text
        phrase = f"phraseto_tsquery('simple'::regconfig, charla_fold(:{name}))"
        if term.prefix:
            phrase = (
                f"(CASE WHEN numnode({phrase}) = 0 THEN {phrase}"
                f" ELSE ({phrase}::text || ':*')::tsquery END)"
            )
        pieces.append(f"!!{phrase}" if negative else phrase)
    return "(" + " && ".join(pieces) + ")", params


def plan_with_values(db: Session) -> None:
    """PostgreSQL: plan this transaction's queries with the words actually searched.

    psycopg prepares a statement on the server after 5 runs of the same SQL, and PostgreSQL then
    switches to a generic plan, made without the parameters' values. For a search that means
    without the words, so with a guessed selectivity: measured on 1M messages, a rare prefix went
    from 4 ms to 52 ms from the 11th search on. ``force_custom_plan`` (``SET LOCAL``: this
    transaction only) keeps planning with the values; planning costs under a millisecond.
    """
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def chat_condition(query: Query, dialect: str) -> ColumnElement[bool]:
    """Chats whose title, one of whose messages or one of those messages' files matches ``query``
    (``searchable`` only)."""
    if dialect == "sqlite":
        condition = text(
            "(chats.id IN (SELECT chats_fts.rowid FROM chats_fts WHERE chats_fts MATCH :sq_match)"
            " OR chats.id IN (SELECT found.chat_id FROM messages_fts"
            " JOIN messages AS found ON found.id = messages_fts.rowid"
            " WHERE messages_fts MATCH :sq_match)"
            " OR chats.id IN (SELECT filed.chat_id FROM message_files_fts"
            " JOIN messages AS filed ON filed.id = message_files_fts.rowid / 65536"
            " WHERE message_files_fts MATCH :sq_match))"
        ).bindparams(sq_match=fts5_match(query))
    else:
        tsquery, params = pg_tsquery(query)
        condition = text(
            f"(chats.search_vector @@ {tsquery} OR chats.id IN (SELECT found.chat_id FROM"
            f" messages AS found WHERE found.search_vector @@ {tsquery})"
            " OR chats.id IN (SELECT filed.chat_id FROM message_attachments AS files"
            " JOIN messages AS filed ON filed.id = files.message_id"
            f" WHERE files.search_vector @@ {tsquery}))"
        ).bindparams(**params)
    return and_(condition)  # typed as the boolean it is


class SearchRepository:
    def __init__(self, db: Session) -> None:
        self.db = db
        self.dialect = db.get_bind().dialect.name

    # --- filters --------------------------------------------------------------------------------
    def _others_own_chats(self, owner: int) -> bool:
        """Whether anyone but ``owner`` owns a chat. When nobody does (every single-user install)
        the owner condition is true of every message and is left out of the search: on
        PostgreSQL it costs more than the search itself (a hash of every chat, which also stops
        the newest-first walk from ending at the ``LIMIT``: 14 of a prefix search's 15 ms on 1M
        messages). Hits are read through :meth:`rows`, which keeps the condition, so a chat
        someone else creates meanwhile can at most change the count, never show a message."""
        query = "SELECT 1 FROM chats WHERE owner_id < :owner OR owner_id > :owner LIMIT 1"
        return self.db.execute(text(query), {"owner": owner}).first() is not None

    def _filters(self, flt: SearchFilters) -> tuple[list[str], list[Any]]:
        """WHERE conditions on ``m`` (messages) and ``c`` (chats) and their bound parameters."""
        where: list[str] = []
        binds: list[Any] = []
        owner = owner_id(self.db)
        if self._others_own_chats(owner):
            # Only the current owner's messages, whatever else is asked (core.repositories.scope).
            where.append("m.chat_id IN (SELECT id FROM chats WHERE owner_id = :f_owner)")
            binds.append(bindparam("f_owner", owner))
        if flt.chat_id is not None:
            where.append("m.chat_id = :f_chat")
            binds.append(bindparam("f_chat", flt.chat_id))
        if flt.sender:
            where.append("m.sender = :f_sender")
            binds.append(bindparam("f_sender", flt.sender))
        if flt.model:
            where.append("m.model = :f_model")
            binds.append(bindparam("f_model", flt.model))
        if flt.date_from is not None:
            where.append("m.created_at >= :f_since")
            binds.append(bindparam("f_since", day_start(flt.date_from, flt.zone), UTCDateTime()))
        if flt.date_to is not None:
            until = day_start(flt.date_to + timedelta(days=1), flt.zone)
            where.append("m.created_at < :f_until")
            binds.append(bindparam("f_until", until, UTCDateTime()))
        if flt.pinned is not None:
            where.append("c.pinned = :f_pinned")
            binds.append(bindparam("f_pinned", flt.pinned))
        if flt.archived is not None:
            where.append("c.archived = :f_archived")
            binds.append(bindparam("f_archived", flt.archived))
        for number, tag in enumerate(flt.tags):
            where.append(
                "EXISTS (SELECT 1 FROM chat_tags ct JOIN tags t ON t.id = ct.tag_id"
                f" WHERE ct.chat_id = m.chat_id AND t.name = :f_tag{number})"
            )
            binds.append(bindparam(f"f_tag{number}", tag))
        return where, binds

    # --- the candidates -----------------------------------------------------------------------
    def candidates(self, query: Query, flt: SearchFilters, limit: int) -> list[Candidate]:
        """The newest ``limit`` messages matching ``query`` and ``flt``, newest first, with what
        ranking needs (``query`` must be ``searchable``)."""
        where, binds = self._filters(flt)
        chats = " JOIN chats c ON c.id = m.chat_id" if flt.touches_chats else ""
        conditions = "".join(f" AND {condition}" for condition in where)
        if self.dialect == "sqlite":
            statement = self._sqlite_candidates(flt, chats, conditions)
            expanded = expansions(self.db, query.include + query.exclude)
            binds.append(bindparam("q", fts5_match(query, expanded)))
        else:
            plan_with_values(self.db)
            tsquery, params = pg_tsquery(query)
            binds += [bindparam(name, value) for name, value in params.items()]
            binds.append(bindparam("limit", limit))
            return self._postgres_candidates(query, tsquery, chats, conditions, binds, limit)
        binds.append(bindparam("limit", limit))
        rows = self.db.execute(statement.bindparams(*binds)).all()
        return bm25(
            [
                Candidate(
                    int(row.id),
                    matches=row.hits_content + REASONING_WEIGHT * row.hits_reasoning,
                    length=row.len_content + REASONING_WEIGHT * row.len_reasoning,
                )
                for row in rows
            ]
        )

    @staticmethod
    def _sqlite_candidates(flt: SearchFilters, chats: str, conditions: str) -> TextClause:
        marks = {
            column: f"highlight(messages_fts, {number}, char(1), '')"
            for number, column in enumerate(("content", "reasoning"))
        }
        if flt.chat_id is not None:  # that chat's messages, each looked up in the index
            source = f"messages m CROSS JOIN messages_fts{chats}"
            join = "messages_fts.rowid = m.id AND "
            order = "m.id"
        else:  # the index's matches, newest first
            source = f"messages_fts JOIN messages m ON m.id = messages_fts.rowid{chats}"
            join = ""
            order = "messages_fts.rowid"
        # The inner query is not flattened (it has a LIMIT), so each highlight() runs once.
        return text(
            "SELECT id,"
            f" length(marked_content) - length(replace(marked_content, char(1), '')) AS hits_content,"
            f" length(marked_reasoning) - length(replace(marked_reasoning, char(1), ''))"
            " AS hits_reasoning, len_content, len_reasoning FROM ("
            f"SELECT m.id AS id, {marks['content']} AS marked_content,"
            f" {marks['reasoning']} AS marked_reasoning,"
            " length(m.content) AS len_content, length(m.reasoning) AS len_reasoning"
            f" FROM {source} WHERE {join}messages_fts MATCH :q{conditions}"
            f" ORDER BY {order} DESC LIMIT :limit)"
        )

    def _postgres_candidates(
        self,
        query: Query,
        tsquery: str,
        chats: str,
        conditions: str,
        binds: list[Any],
        limit: int,
    ) -> list[Candidate]:
        """PostgreSQL's planner guesses how many messages hold a word from its statistics, and
        for a word they do not list (a rare word, any prefix) it guesses far too many: it then
        walks the primary key newest first, expecting to meet ``limit`` matches soon, and for a
        word in 1 message of 20,000 reads the whole table (417 ms on 1M messages). Forcing the
        GIN index instead is as bad the other way: a phrase of two common words made it recheck
        every message holding both (407 ms for a phrase in 4% of 1M messages). So the search walks
        id ranges newest first, each exact, and picks how to read the next from what the last
        held:

        1. the newest :data:`RECENT_ROWS` ids: ``limit`` matches there, and the word is common;
        2. if some matched, the older range that should hold the rest at that density (1.5 times
           it), when that is at most :data:`WALK_ROWS` ids;
        3. everything older through the GIN index's bitmap (forced by ordering on ``id + 0``,
           which no index provides): the matches are then rare, and the bitmap is the cheap way
           to all of them.
        """
        where = f"m.search_vector @@ {tsquery}{conditions}"

        def run(ids: str, order: str, want: int, **bounds: int) -> list[Candidate]:
            # Ranked outside: the planner may sort every match of the range, but only the
            # matches kept are scored (a prefix's estimate is often wrong; ts_rank_cd is not free).
            statement = text(
                f"SELECT w.id, ts_rank_cd(w.search_vector, {tsquery}, 1) AS score FROM"
                f" (SELECT m.id, m.search_vector FROM messages m{chats} WHERE {where}{ids}"
                f" ORDER BY {order} DESC LIMIT :limit) w ORDER BY w.id DESC"
            )
            rows = self.db.execute(statement.bindparams(*binds), {**bounds, "limit": want})
            return [Candidate(int(row.id), float(row.score)) for row in rows]

        top = int(self.db.scalar(select(func.max(Message.id))) or 0)
        high = top - RECENT_ROWS
        found = run(" AND m.id > :low", "m.id", limit, low=high)
        if len(found) >= limit:
            return found
        if found:
            span = ceil((limit - len(found)) * RECENT_ROWS / len(found) * 1.5)
            if span <= WALK_ROWS:
                low = high - span
                found += run(
                    " AND m.id > :low AND m.id <= :high", "m.id", limit - len(found), low=low,
                    high=high,
                )  # fmt: skip
                if len(found) >= limit:
                    return found
                high = low
        return found + run(" AND m.id <= :high", "m.id + 0", limit - len(found), high=high)

    # --- what the hits show ---------------------------------------------------------------------
    def rows(self, ids: Sequence[int]) -> dict[int, HitRow]:
        """The messages ``ids`` with their chat's title and flags (ids that are gone are left
        out: a message deleted since the search ran)."""
        if not ids:
            return {}
        found = self.db.execute(
            select(
                Message.id,
                Message.chat_id,
                Chat.title,
                Message.sender,
                Message.model,
                Message.created_at,
                Message.content,
                Message.reasoning,
                Message.selected,
                Chat.pinned,
                Chat.archived,
            )
            .join(Chat, Chat.id == Message.chat_id)
            .where(Message.id.in_(list(ids)), my_chats())
        )
        return {row.id: HitRow(*row) for row in found}

    def lowest_id(self, flt: SearchFilters) -> int:
        """The smallest message id a search with ``flt`` could find (for estimates)."""
        query = select(func.min(Message.id))
        if flt.chat_id is not None:
            query = query.where(Message.chat_id == flt.chat_id)
        return int(self.db.scalar(query) or 0)
