"""The queries over the files' full-text index (migration 0013): messages found by a file.

A file (one link of ``message_attachments``: its name in that message and the attachment's
extracted text) matches when its name and text together match the whole query — words, phrases,
prefixes — and hold none of its excluded terms. :meth:`FileSearch.candidates` gives, like
:meth:`core.repositories.search.SearchRepository.candidates`, the newest matching *messages* with a
score, under the same filters (the owner's chats among them); :meth:`FileSearch.files` gives what a
hit shows of a message's files.

Scores are on the scale of the message search's, multiplied by :data:`FILE_WEIGHT`: a message
found by a file ranks after a message found by its own words with the same relevance.

- SQLite: the pooled BM25 of :func:`core.repositories.search.bm25` over the file candidates, from
  the matches ``highlight()`` marks in the name and the text (the index keeps its own copy of
  both, so this reads no other table) and their lengths.
- PostgreSQL: ``ts_rank_cd`` over the link's ``search_vector`` (name A, text B).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from core.repositories.search import (
    Candidate,
    SearchFilters,
    SearchRepository,
    bm25,
    pg_tsquery,
    plan_with_values,
)
from core.search.query import Query, fts5_match

FILE_WEIGHT = 0.5  # a file match counts this much against a match in the message itself
KEY = 65536  # SQLite: the index's rowid is message_id * KEY + position (migration 0013)
SHOWN_CHARS = 200_000  # what a hit's snippet may look at of a file's text (snippets.SCAN_CHARS)


@dataclass(frozen=True)
class FileText:
    """A file of a message, as a hit shows it."""

    message_id: int
    position: int
    name: str
    text: str


class FileSearch:
    def __init__(self, db: Session) -> None:
        self.db = db
        self.dialect = db.get_bind().dialect.name
        self._messages = SearchRepository(db)

    def candidates(self, query: Query, flt: SearchFilters, limit: int) -> list[Candidate]:
        """The newest ``limit`` messages with a file matching ``query``, under ``flt``, newest
        first, scored (``query`` must be ``searchable``). A message with several matching files
        counts its best one."""
        where, binds = self._messages._filters(flt)
        chats = " JOIN chats c ON c.id = m.chat_id" if flt.touches_chats else ""
        conditions = "".join(f" AND {condition}" for condition in where)
        binds.append(bindparam("limit", limit))
        if self.dialect == "sqlite":
            found = self._sqlite(flt, chats, conditions, binds, fts5_match(query))
        else:
            found = self._postgres(query, chats, conditions, binds)
        best: dict[int, Candidate] = {}
        for candidate in found:
            if candidate.id not in best or candidate.score > best[candidate.id].score:
                best[candidate.id] = candidate
        ordered = sorted(best.values(), key=lambda c: -c.id)[:limit]
        return [Candidate(c.id, c.score * FILE_WEIGHT, c.matches, c.length) for c in ordered]

    def _sqlite(
        self, flt: SearchFilters, chats: str, conditions: str, binds: list[Any], match: str
    ) -> list[Candidate]:
        if flt.chat_id is not None:  # that chat's messages, each one's files looked up by rowid
            source = f"messages m CROSS JOIN message_files_fts{chats}"
            join = f"message_files_fts.rowid BETWEEN m.id * {KEY} AND m.id * {KEY} + {KEY - 1} AND "
        else:  # the index's matches, newest first
            source = (
                f"message_files_fts JOIN messages m ON m.id = message_files_fts.rowid / {KEY}"
                f"{chats}"
            )
            join = ""
        marks = {
            column: f"highlight(message_files_fts, {number}, char(1), '')"
            for number, column in enumerate(("name", "text"))
        }
        statement = text(
            "SELECT id, length(marked_name) - length(replace(marked_name, char(1), ''))"
            " + length(marked_text) - length(replace(marked_text, char(1), '')) AS hits,"
            " length_ FROM ("
            f"SELECT m.id AS id, {marks['name']} AS marked_name, {marks['text']} AS marked_text,"
            " length(message_files_fts.name) + coalesce(length(message_files_fts.text), 0)"
            " AS length_"
            f" FROM {source} WHERE {join}message_files_fts MATCH :q{conditions}"
            " ORDER BY message_files_fts.rowid DESC LIMIT :limit)"
        )
        rows = self.db.execute(statement.bindparams(*binds, bindparam("q", match))).all()
        return bm25([Candidate(int(r.id), matches=r.hits, length=r.length_) for r in rows])

    def _postgres(
        self, query: Query, chats: str, conditions: str, binds: list[Any]
    ) -> list[Candidate]:
        plan_with_values(self.db)
        tsquery, params = pg_tsquery(query, "fq")
        binds += [bindparam(name, value) for name, value in params.items()]
        statement = text(
            f"SELECT m.id, ts_rank_cd(ma.search_vector, {tsquery}, 1) AS score"
            f" FROM message_attachments ma JOIN messages m ON m.id = ma.message_id{chats}"
            f" WHERE ma.search_vector @@ {tsquery}{conditions}"
            " ORDER BY ma.message_id DESC, ma.position LIMIT :limit"
        )
        rows = self.db.execute(statement.bindparams(*binds)).all()
        return [Candidate(int(row.id), float(row.score)) for row in rows]

    def files(self, message_ids: Sequence[int]) -> dict[int, list[FileText]]:
        """The files of these messages (name and the start of the text), in order."""
        if not message_ids:
            return {}
        rows = self.db.execute(
            text(
                "SELECT ma.message_id, ma.position, ma.name,"
                f" substr(coalesce(a.text, ''), 1, {SHOWN_CHARS}) AS text"
                " FROM message_attachments ma JOIN attachments a ON a.id = ma.attachment_id"
                " WHERE ma.message_id IN :ids ORDER BY ma.message_id, ma.position"
            ).bindparams(bindparam("ids", list(message_ids), expanding=True))
        ).all()
        found: dict[int, list[FileText]] = {}
        for row in rows:
            found.setdefault(int(row.message_id), []).append(
                FileText(int(row.message_id), int(row.position), row.name, row.text)
            )
        return found
