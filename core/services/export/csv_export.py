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
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from sqlalchemy import Engine, Executable, select, true

from core.conf.db import get_engine
from core.identity import acting_as, current_owner_id
from core.models import Chat, Message
from core.repositories.scope import my_chats
from core.services.export.csv_sql import columns, line
from core.services.export.scope import IDS_PER_QUERY, ExportScope
from core.services.history import filter_conditions

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
        .where(my_chats())  # "everything" is everything of the current owner's
        .order_by(Message.chat_id, Message.id)
    )
    if not scope.all_versions:
        base = base.where(Message.selected == true())
    if scope.filter is not None:
        base = base.where(*filter_conditions(scope.filter, dialect))
    if scope.chat_ids is None:
        yield base
        return
    ids = sorted(set(scope.chat_ids))
    for start in range(0, len(ids), IDS_PER_QUERY):
        yield base.where(Message.chat_id.in_(ids[start : start + IDS_PER_QUERY]))


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
    target = Path(path)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, renamed on success
        "wb", dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
    )
    written = 0
    try:
        with handle:
            for data, rows in _chunks(scope, safe, engine, BATCH_ROWS):
                handle.write(data)
                written += rows
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return written


def csv_bytes(scope: ExportScope, safe: bool = True, *, engine: Engine | None = None) -> bytes:
    """The whole export in memory: for one chat or other small exports, and tests."""
    return b"".join(iter_csv(scope, safe, engine=engine))


class _Spool(io.FileIO):
    """An anonymous temporary file that closes itself once it has been read whole.

    Streamlit reads a download's file object once (``seek(0)``, ``read()``) and never closes it;
    closing here frees the descriptor and the disk space at once instead of at garbage collection.
    """

    @classmethod
    def create(cls) -> _Spool:
        descriptor, name = tempfile.mkstemp(prefix="charla-export-", suffix=".csv")
        os.unlink(name)  # anonymous: the space is freed when the descriptor is closed
        return cls(descriptor, "w+b")

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        if size is None or size < 0:
            self.close()
        return data or b""


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

    owner = current_owner_id()  # the click runs in a thread without the session's owner

    def build() -> io.RawIOBase:
        spool = _Spool.create()
        try:
            with acting_as(owner):
                for data in iter_csv(scope, safe):
                    spool.write(data)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool

    return build
