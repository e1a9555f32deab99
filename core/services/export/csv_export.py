"""Streaming the CSV export: any database size, one consistent snapshot, bounded memory.

How it streams: exporting a database of a million messages must not hold them all in memory. One
query per scope (a few for a long list of chats: :data:`IDS_PER_QUERY` ids each) runs with
``stream_results``/``yield_per`` (a server-side cursor on PostgreSQL; row-by-row stepping on
SQLite), so at most :data:`BATCH_ROWS` rows are in Python at a time; they are joined with ``\r\n``
and handed on about :data:`CHUNK_BYTES` bytes at a time. Memory is thus bounded by one batch (its
lines, and their joined copy) plus under one chunk waiting to be handed on, whatever the size of the
history: well under 1 MB with ordinary messages; with the longest lines the app stores (1 MB
messages) it is ``2 × BATCH_ROWS`` such lines. All the queries run on one connection in one read
transaction, so the file is one consistent snapshot of the database.

Entry points: :func:`iter_csv` (an iterator of byte chunks: an HTTP response, a file, the
benchmark), :func:`export_to_file` (written beside the target and renamed into place, so a failed
export never leaves a half file under the final name), :func:`csv_bytes` (small exports, tests), and
:func:`deferred_csv` (the ``data=`` callable of ``st.download_button``). Scopes are
:class:`ExportScope` values: one chat, a list of chats, the chats matching a
:class:`~core.services.history.HistoryFilter`, or everything.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO

from sqlalchemy import Engine, Executable, select, true

from core.conf.db import get_engine
from core.models import Chat, Message
from core.services.export.csv_sql import columns, line
from core.services.export.scope import ExportScope, restrict
from core.services.export.spool import deferred
from core.services.export.writing import replace_atomically

BOM = "\ufeff"
LINE_END = "\r\n"
BATCH_ROWS = 200  # rows fetched from the database at a time
CHUNK_BYTES = 64 * 1024  # about this much CSV per yielded chunk
MIME = "text/csv"


def _queries(scope: ExportScope, dialect: str, safe: bool) -> Iterator[Executable]:
    """The statements whose rows, in turn, make the export (several for a long list of ids)."""
    base = (
        select(line(dialect, safe, scope.all_versions))
        .join(Chat, Chat.id == Message.chat_id)
        .order_by(Message.chat_id, Message.id)
    )
    if not scope.all_versions:
        base = base.where(Message.selected == true())
    yield from restrict(base, scope, dialect, Message.chat_id)


def _chunks(
    scope: ExportScope, safe: bool, engine: Engine | None, batch_rows: int
) -> Iterator[tuple[bytes, int]]:
    """(bytes, rows in them): the header first, then about :data:`CHUNK_BYTES` at a time."""
    parts: list[bytes] = []
    size = 0

    def take() -> bytes:
        data = b"".join(parts)
        parts.clear()
        return data

    yield (BOM + ",".join(columns(scope.all_versions)) + LINE_END).encode("utf-8"), 0
    engine = engine or get_engine()
    dialect = engine.dialect.name
    # SQLite's lines come as UTF-8 bytes (see _sqlite_line), the others' as text.
    join = _join_bytes if dialect == "sqlite" else _join_text
    # One connection (one read transaction: a consistent snapshot) for the whole export; leaving
    # the generator early (a closed download) closes the cursor and the connection.
    with engine.connect() as connection:
        streaming = connection.execution_options(stream_results=True, yield_per=batch_rows)
        pending = 0
        for query in _queries(scope, dialect, safe):
            # Closed explicitly: a server-side cursor must not be left to the garbage collector.
            with streaming.execute(query) as result:
                for lines in result.scalars().partitions():
                    data = join(lines)
                    parts.append(data)
                    size += len(data)
                    pending += len(lines)
                    if size >= CHUNK_BYTES:
                        yield take(), pending
                        pending = size = 0
        if pending:
            yield take(), pending


_LINE_END_BYTES = LINE_END.encode()


def _join_bytes(lines: Sequence[bytes]) -> bytes:
    return _LINE_END_BYTES.join(lines) + _LINE_END_BYTES


def _join_text(lines: Sequence[str]) -> bytes:
    return (LINE_END.join(lines) + LINE_END).encode("utf-8")


def iter_csv(
    scope: ExportScope,
    safe: bool = True,
    *,
    engine: Engine | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[bytes]:
    """The export as an iterator of UTF-8 byte chunks (BOM and header first)."""
    for data, _rows_in_chunk in _chunks(scope, safe, engine, batch_rows):
        yield data


def write_csv(
    target: BinaryIO,
    scope: ExportScope,
    safe: bool = True,
    *,
    engine: Engine | None = None,
) -> int:
    """Write the export to an open binary file; returns the number of messages written."""
    written = 0
    for data, rows in _chunks(scope, safe, engine, BATCH_ROWS):
        target.write(data)
        written += rows
    return written


def export_to_file(
    path: str | os.PathLike[str],
    scope: ExportScope,
    safe: bool = True,
    *,
    engine: Engine | None = None,
) -> int:
    """Write the export to ``path``; returns the number of messages written.

    The file is written under a temporary name in the same folder and renamed at the end, so
    ``path`` is either the previous file or the complete new one, never a half-written export.
    """
    return replace_atomically(path, lambda target: write_csv(target, scope, safe, engine=engine))


def csv_bytes(scope: ExportScope, safe: bool = True, *, engine: Engine | None = None) -> bytes:
    """The whole export in memory: for one chat or other small exports, and tests."""
    return b"".join(iter_csv(scope, safe, engine=engine))


def deferred_csv(scope: ExportScope, safe: bool = True) -> Callable[[], io.RawIOBase]:
    """The ``data=`` callable for ``st.download_button``: the export is made only on click.

    Streamlit runs this callable when the button is clicked, in a server thread with no script
    context: no ``st.session_state``, no page. So it captures only plain values (the frozen
    ``scope``, ``safe`` and the current owner, whose chats alone it exports) and finds the
    database through the process-wide engine.

    It streams the export into an anonymous temporary file and returns it (a raw ``io.FileIO``,
    which Streamlit accepts, closing itself once read): the database rows never pile up in memory,
    and the only full copy is the one Streamlit itself keeps to serve the download (its media
    storage is in memory — a Streamlit limit; :func:`export_to_file` is the way to export a very
    large history).
    """
    return deferred(lambda target: write_csv(target, scope, safe), suffix=".csv")
