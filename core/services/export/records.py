"""Chats with their messages, streamed from the database: what the JSON and Markdown exports read.

A CSV line is one message, so the CSV export reads one query of messages. JSON and Markdown nest
messages inside their chat, so they need each chat's fields, its tags and then its messages, chat
after chat, for any number of chats and without holding them all. :func:`chats_with_messages`
does it with two cursors open side by side on one connection and one read transaction (one
consistent snapshot; on PostgreSQL a ``REPEATABLE READ`` one, so the two queries see the same
database):

- the chats of the scope, in id order, fetched :data:`CHAT_BATCH` at a time; each batch's tags
  come from one extra query;
- their messages, in ``(chat_id, id)`` order, :data:`BATCH_ROWS` rows at a time (a server-side
  cursor on PostgreSQL, row-by-row stepping on SQLite).

The two are merged like a merge join: for each chat the caller gets an iterator of that chat's
messages, and reading it advances the message cursor to the next chat. Memory is one batch of each,
whatever the size of the history. Attachments (:func:`chats_with_files`, :func:`with_files`) are
read in the same snapshot: which files a batch of messages carries in one query, then each
file's bytes only when it is written, one file at a time. Times come formatted by the database
(ISO-8601 UTC, as in the CSV). Message ids grow along every path of a chat's tree (a message is
always written after its parent), so ``(chat_id, id)`` order lists every parent before its
children and the versions of a message in the order they were made.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Engine, Row, exists, false, select, true
from sqlalchemy.orm import Session, aliased

from core.conf.db import get_engine
from core.models import Chat, Message
from core.repositories.attachments import AttachmentRepository
from core.repositories.chats import SETTINGS_COLUMNS
from core.repositories.tags import TagRepository
from core.schemas import AttachmentRecord, ChatSettings
from core.services.export.csv_sql import iso_utc
from core.services.export.scope import ExportScope, restrict
from core.vocab import MESSAGE_FIELDS

CHAT_BATCH: Final = 200  # chats fetched at a time (and their tags in one query)
BATCH_ROWS: Final = 500  # messages fetched at a time
FILES_BATCH: Final = 200  # messages whose attachments are looked up in one query

# What a message of the export holds: :data:`core.vocab.MESSAGE_FIELDS` (the import's columns are
# derived from it too: core.repositories.imports).
# A message row's columns, in order: the writers read them by position (a Row's attribute access
# costs about as much as writing the value out, a million times per million messages).
MESSAGE_COLUMNS: Final = (*MESSAGE_FIELDS, "created_at", "shown_at")
AT: Final = {name: index for index, name in enumerate(MESSAGE_COLUMNS)}


@dataclass(frozen=True)
class ChatRecord:
    """One chat as exported: its fields, its own settings (``None``: it follows the defaults) and
    its tags; times as ISO-8601 UTC text."""

    id: int
    title: str
    title_by_user: bool
    created_at: str
    last_activity: str
    pinned: bool
    archived: bool
    source: str | None
    source_id: str | None
    settings: ChatSettings | None
    tags: tuple[str, ...]
    hidden_versions: bool = False  # some of its messages are off the selected branch


def _chat_query(dialect: str) -> Any:
    off_branch = aliased(Message, name="off_branch")
    hidden = exists().where(off_branch.chat_id == Chat.id, off_branch.selected == false())
    return select(
        Chat.id,
        Chat.title,
        Chat.title_by_user,
        iso_utc(Chat.created_at, dialect).label("created_at"),
        iso_utc(Chat.last_activity, dialect).label("last_activity"),
        Chat.pinned,
        Chat.archived,
        Chat.source,
        Chat.source_id,
        *SETTINGS_COLUMNS,
        hidden.label("hidden_versions"),
    ).order_by(Chat.id)


def _message_query(dialect: str, selected_only: bool) -> Any:
    columns = [getattr(Message, name) for name in MESSAGE_FIELDS]
    query = (
        select(
            *columns,
            iso_utc(Message.created_at, dialect).label("created_at"),
            iso_utc(Message.shown_at, dialect).label("shown_at"),
        )
        .join(Chat, Chat.id == Message.chat_id)
        .order_by(Message.chat_id, Message.id)
    )
    return query.where(Message.selected == true()) if selected_only else query


def _record(row: Row[Any], tags: tuple[str, ...]) -> ChatRecord:
    settings = None
    if row.own_settings:
        settings = ChatSettings.from_json(
            {
                **(row.options or {}),
                "model": row.model,
                "system_prompt": row.system_prompt,
                "temperature": row.temperature,
                "max_tokens": row.max_tokens,
            }
        )
    return ChatRecord(
        id=row.id,
        title=row.title,
        title_by_user=bool(row.title_by_user),
        created_at=row.created_at,
        last_activity=row.last_activity,
        pinned=bool(row.pinned),
        archived=bool(row.archived),
        source=row.source,
        source_id=row.source_id,
        settings=settings,
        tags=tags,
        hidden_versions=bool(row.hidden_versions),
    )


class _Merge:
    """The message cursor, walked alongside the chats (both in chat id order)."""

    def __init__(self, rows: Iterator[Row[Any]]) -> None:
        self._rows = rows
        self._next: Row[Any] | None = next(rows, None)

    def of_chat(self, chat_id: int) -> Iterator[Row[Any]]:
        # Rows of earlier chats were left unread by the caller: skip them.
        while self._next is not None and self._next.chat_id < chat_id:
            self._next = next(self._rows, None)
        while self._next is not None and self._next.chat_id == chat_id:
            yield self._next
            self._next = next(self._rows, None)


def _snapshot(connection: Connection) -> Connection:
    """The connection, set (before its first statement) to read one snapshot on PostgreSQL, whose
    default READ COMMITTED gives each statement its own; SQLite's read transaction already is one."""
    if connection.dialect.name == "postgresql":
        connection.execution_options(isolation_level="REPEATABLE READ")
    return connection


class Files:
    """The attachments of exported messages, read in the export's snapshot: which files each
    message carries (:meth:`of`, a batch of messages in one query, no bytes) and one file's
    bytes and text when it is written (:meth:`content`), so memory holds one file at a time."""

    def __init__(self, session: Session) -> None:
        self._repository = AttachmentRepository(session)

    def of(self, message_ids: Iterable[int]) -> dict[int, tuple[AttachmentRecord, ...]]:
        return self._repository.for_messages(message_ids)

    def content(self, record: AttachmentRecord) -> tuple[bytes, str | None]:
        """(bytes, a document's text: None for an image) of one attachment."""
        found = self._repository.data(record.id)
        data = found[1] if found is not None else b""
        return data, None if record.is_image else self._repository.text(record.id)


MessageWithFiles = tuple[Row[Any], tuple[AttachmentRecord, ...]]


def with_files(
    rows: Iterable[Row[Any]], files: Files, batch: int = FILES_BATCH
) -> Iterator[MessageWithFiles]:
    """Each message row with the attachments it carries (records only: bytes come from
    :meth:`Files.content`), looked up :data:`FILES_BATCH` messages per query."""
    pending: list[Row[Any]] = []
    message_id = AT["id"]

    def flush() -> Iterator[MessageWithFiles]:
        found = files.of(row[message_id] for row in pending)
        for row in pending:
            yield row, found.get(row[message_id], ())
        pending.clear()

    for row in rows:
        pending.append(row)
        if len(pending) >= batch:
            yield from flush()
    yield from flush()


def chats_with_messages(
    scope: ExportScope,
    *,
    engine: Engine | None = None,
    selected_only: bool = False,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[tuple[ChatRecord, Iterator[Row[Any]]]]:
    """Each chat of ``scope`` in id order, with an iterator of its messages (every version, or
    the selected branch with ``selected_only``), oldest first.

    Read each chat's messages before asking for the next chat: what is left unread is skipped.
    Message rows carry :data:`MESSAGE_FIELDS`, and ``created_at`` and ``shown_at`` (when the
    message was last on the shown branch; None if never recorded) as ISO-8601 UTC text.
    """
    for chat, rows, _files in chats_with_files(
        scope, engine=engine, selected_only=selected_only, batch_rows=batch_rows
    ):
        yield chat, rows


def chats_with_files(
    scope: ExportScope,
    *,
    engine: Engine | None = None,
    selected_only: bool = False,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[tuple[ChatRecord, Iterator[Row[Any]], Files]]:
    """:func:`chats_with_messages`, with a :class:`Files` reading the attachments in the same
    snapshot (see :func:`with_files`)."""
    engine = engine or get_engine()
    dialect = engine.dialect.name
    chats_query = _chat_query(dialect)
    messages_query = _message_query(dialect, selected_only)
    chat_options = {"stream_results": True, "yield_per": CHAT_BATCH}
    message_options = {"stream_results": True, "yield_per": batch_rows}
    with engine.connect() as connection, Session(bind=_snapshot(connection)) as session:
        # The session (for the tags) joins the connection's transaction: one snapshot.
        chat_pages = restrict(chats_query, scope, dialect, Chat.id)
        message_pages = restrict(messages_query, scope, dialect, Message.chat_id)
        for chats_sql, messages_sql in zip(chat_pages, message_pages, strict=True):
            with (
                connection.execute(chats_sql, execution_options=chat_options) as chats,
                connection.execute(messages_sql, execution_options=message_options) as messages,
            ):
                merge = _Merge(iter(messages))
                files = Files(session)
                for batch in chats.partitions():
                    tags = TagRepository(session).tags_of(row.id for row in batch)
                    for row in batch:
                        yield _record(row, tags.get(row.id, ())), merge.of_chat(row.id), files
