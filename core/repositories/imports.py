"""``ImportRepository``: storing a whole imported conversation at once.

The chat page adds messages one at a time (``MessageRepository.create_message``: find the leaf,
lock the chat, select the path, insert). An import knows the whole tree in advance, so it writes it
as a bulk load instead, which is what makes importing years of chats take seconds:

- the chat row is inserted with its final ``message_count`` and ``last_activity``, unless a chat
  of the same person with the same origin (``owner_id``, ``source``, ``source_id``: unique
  together, ``ix_chats_owner_source``) is already there — one
  ``INSERT … ON CONFLICT DO NOTHING`` both checks and inserts, and two imports racing for the same
  conversation meet at the index (the second one inserts nothing);
- the messages' ids are reserved up front (:meth:`ImportRepository.reserve_message_ids`), so every
  row can name its parent, and all of them go in with one ``executemany``, ``depth`` and
  ``selected`` already computed. The ids are handed out in the order of the rows, parents first,
  so they grow along every path, as the tree requires (:mod:`core.models`).

**The bulk insert goes to the driver as tuples** (:meth:`ImportRepository.add_messages`): each
value is first put in the form its column's SQLAlchemy type gives it (the types' own bind
processors: UTC times, booleans, JSON), then one ``exec_driver_sql`` executemany sends them all.
A Core ``insert()`` executemany would build a parameter dictionary per row and run the processors
through it, and that bookkeeping cost more than SQLite's own inserting (``bench/transfer.py``).
The statement is built once per dialect, from the table, with the driver's placeholder.

Reserving ids: on PostgreSQL, ``nextval`` of the ``messages`` sequence, as many times as needed (safe
alongside any other writer). On SQLite, the ids after the highest one: the caller's write
transaction (``BEGIN IMMEDIATE``) holds the database's only write lock until it commits, so no one
else can take them meanwhile; ``messages.id`` is a plain ``INTEGER PRIMARY KEY`` (no
``AUTOINCREMENT``), for which SQLite itself would choose exactly these. The highest id is read
once per repository (one per transaction: the import writes many conversations in one), then
counted on.

It works on a ``Connection`` (Core only, no ORM session: a session's bookkeeping is the largest
cost of a small transaction), flushes nothing and never commits: the caller runs the
transaction, a savepoint per conversation (:mod:`core.services.importers.load`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, Final, cast

from sqlalchemy import Connection, Dialect, Table, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.models import Chat, Message, UTCDateTime
from core.vocab import MESSAGE_FIELDS

_CHATS = cast(Table, Chat.__table__)
_MESSAGES = cast(Table, Message.__table__)

# The columns of a message row handed to add_messages(), in this order: the stored fields (as an
# export has them), the depth the import computes after the parent, and the times.
_PARENT_AT: Final = MESSAGE_FIELDS.index("parent_id") + 1
MESSAGE_COLUMNS: Final = (
    *MESSAGE_FIELDS[:_PARENT_AT],
    "depth",
    *MESSAGE_FIELDS[_PARENT_AT:],
    "created_at",
    "shown_at",
)

# Built once: an import runs them for every conversation.
_INSERT_CHAT: Final = {
    "sqlite": sqlite_insert(_CHATS).on_conflict_do_nothing().returning(_CHATS.c.id),
    "postgresql": postgresql_insert(_CHATS).on_conflict_do_nothing().returning(_CHATS.c.id),
}
_NATIVE: Final = select(_CHATS.c.id).where(
    _CHATS.c.id == bindparam("chat_id"),
    _CHATS.c.owner_id == bindparam("owner_id"),
    _CHATS.c.source.is_(None),
    _CHATS.c.created_at == bindparam("created_at", type_=UTCDateTime()),
)
_HIGHEST_ID: Final = select(func.coalesce(func.max(_MESSAGES.c.id), 0))
_NEXT_IDS_PG: Final = text(
    "SELECT nextval(pg_get_serial_sequence('messages', 'id')) FROM generate_series(1, :count)"
)

Processor = Callable[[Any], Any]


@cache
def _bulk_insert(dialect: Dialect) -> tuple[str, tuple[tuple[int, Processor], ...]]:
    """The driver-level INSERT for :data:`MESSAGE_COLUMNS`, and the (position, processor) of the
    columns whose type converts values on the way in."""
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(_MESSAGES.name)} ({', '.join(quote(c) for c in MESSAGE_COLUMNS)}) "
        f"VALUES ({', '.join(marker for _ in MESSAGE_COLUMNS)})"
    )
    processors = []
    for position, name in enumerate(MESSAGE_COLUMNS):
        column_type = _MESSAGES.c[name].type
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors.append((position, processor))
    return sql, tuple(processors)


class ImportRepository:
    """Used within one transaction (the ids it reserves on SQLite are only theirs until it ends;
    a savepoint rolled back leaves a gap, which is fine: ids need only grow)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._next_id: int | None = None  # SQLite: the next id to hand out, once known

    def native_exists(self, chat_id: int, created_at: datetime, owner_id: int) -> bool:
        """Whether this database made chat ``chat_id`` at ``created_at`` for ``owner_id`` (a
        Charla export of it is coming home; someone else's chat of that id is not theirs)."""
        found = self.connection.execute(
            _NATIVE, {"chat_id": chat_id, "created_at": created_at, "owner_id": owner_id}
        )
        return found.scalar() is not None

    def add_chat(self, values: dict[str, Any]) -> int | None:
        """Insert a chat row (every column given, ``owner_id`` included); returns its id, or None
        if a chat of the same owner, ``source`` and ``source_id`` is already there (nothing is
        inserted then)."""
        statement = _INSERT_CHAT[self.connection.dialect.name]
        found = self.connection.execute(statement, values).scalar()
        return None if found is None else int(found)

    def reserve_message_ids(self, count: int) -> list[int]:
        """``count`` new message ids, ascending (see the module docstring)."""
        if count <= 0:
            return []
        if self.connection.dialect.name == "postgresql":
            return sorted(self.connection.execute(_NEXT_IDS_PG, {"count": count}).scalars())
        if self._next_id is None:
            self._next_id = int(self.connection.execute(_HIGHEST_ID).scalar_one()) + 1
        first = self._next_id
        self._next_id += count
        return list(range(first, first + count))

    def add_messages(self, rows: Sequence[list[Any]]) -> None:
        """Insert message rows (lists of :data:`MESSAGE_COLUMNS` values: ids, parents, depth and
        flags given; ``None`` is NULL) with one executemany. The lists are converted in place."""
        if not rows:
            return
        sql, processors = _bulk_insert(self.connection.dialect)
        for row in rows:
            for position, processor in processors:
                value = row[position]
                if value is not None:
                    row[position] = processor(value)
        self.connection.exec_driver_sql(sql, [tuple(row) for row in rows])
