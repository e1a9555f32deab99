"""CSV export of the chat history, streamed: one row per message, any database size.

Format (the same for every scope):

- Columns :data:`COLUMNS`: ``chat_id, chat_title, message_id, created_at, sender, role, content,
  reasoning, model, status, error, prompt_tokens, completion_tokens, time_to_first_token,
  tokens_per_second``. ``created_at`` is ISO-8601 UTC ending in ``Z``
  (``2025-11-25T13:05:07.123456Z``); ``role`` is the OpenAI role (``user``/``assistant``) beside the
  stored ``sender`` (``user``/``llm``); an unknown number is an empty cell.
- UTF-8 with a byte-order mark, so Excel and LibreOffice open accents, emoji and right-to-left text
  correctly instead of guessing a legacy code page; ``\\r\\n`` between records (RFC 4180). A cell is
  quoted when it holds a comma, a quote (doubled) or a line break; line breaks inside a message are
  kept as they are, inside the quotes.
- Rows come chat by chat (by chat id), each chat's messages in the order they were written.

Two modes:

- ``safe=True`` (default, "safe for spreadsheets"): a text cell whose first character is ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return gets a ``'`` put in front of it. Spreadsheet
  programs would otherwise run such a cell as a formula (``=HYPERLINK(…)``, ``@SUM(…)``) — a message
  or a model answer could make the reader's spreadsheet fetch URLs or run commands (CSV formula
  injection, OWASP). The rule applies to the text columns (``chat_title``, ``sender``, ``role``,
  ``content``, ``reasoning``, ``model``, ``status``, ``error``); ids, times and measurements are
  numbers or ISO dates, which a spreadsheet never takes for formulas. Safe mode adds that one
  character to those cells and changes nothing else; it cannot be undone exactly (a message that
  really starts with ``'=`` looks the same), so use exact mode for a faithful copy.
- ``safe=False`` (exact): every cell is the stored text, byte for byte. Use it to feed other
  programs (``pandas.read_csv(..., keep_default_na=False, dtype=str)`` gives back every message
  exactly).

How it streams: exporting a database of a million messages must not hold them all in memory. One
query per scope (a few for a long list of chats: :data:`IDS_PER_QUERY` ids each) runs with
``stream_results``/``yield_per`` (a server-side cursor on PostgreSQL; row-by-row stepping on
SQLite), so at most :data:`BATCH_ROWS` rows are in Python at a time; they are joined with ``\r\n``
and handed on about :data:`CHUNK_BYTES` bytes at a time. Memory is thus bounded by one batch (its
lines, and their joined copy) plus under one chunk waiting to be handed on, whatever the size of the
history: well under 1 MB with ordinary messages; with the longest lines the app stores (1 MB
messages) it is ``2 × BATCH_ROWS`` such lines. All the queries run on one connection in one read
transaction, so the file is one consistent snapshot of the database.

Why the database writes the lines: each CSV record is built in SQL (:func:`_line`), so a row goes
from the cursor to the output as one ready string, with no Python work per cell (the ``csv`` module
or pandas would touch every cell of every row). On SQLite the record is a single ``printf`` with
``%w`` doing CSV's quote doubling (:func:`_sqlite_line`), returned as UTF-8 bytes; a chain of
``||``, ``replace`` and ``substr`` (what PostgreSQL gets, :func:`_chained_line`) allocates and
copies the growing line once per cell and took twice as long.

Measured (``bench.storage.build``: 1,000,000 messages in 10,000 chats, SQLite, 2 cores; each
export beside ``sqlite3 -csv -header`` exporting the same rows with
``bench.storage.SQLITE_CLI_QUERY``, as ``bench.storage.measure_export`` does; six runs of each):
with the ``||`` chain 190–225 k rows/s, 0.40–0.49× the command-line tool; with ``printf``
330–350 k rows/s, 0.67–0.75× (the tool: 450–500 k rows/s). ``python -m bench --only storage``:
264 k rows/s, 0.70×. Peak memory of the exporting process: 52 MB before and after, interpreter and
libraries included. What is left is mostly SQLite itself: in a profile ``fetchmany`` is 2.55 s of
3.05 s, and the same ``printf`` query run by the ``sqlite3`` tool takes 2.2 s; SQLAlchemy's result
handling is most of the rest (~0.3 s).

Why no threads: splitting the export into ranges of chats read by two threads on two connections
(the GIL is released while SQLite steps) was prototyped and gained nothing: 2.6 s with two workers
against 2.5 s in one thread with ``printf``, 4.1–4.5 s against 4.1–4.4 s with the ``||`` chain;
each thread was busy only half the time. The cause is inside SQLite: the system library is built
to keep memory statistics (``SQLITE_DEFAULT_MEMSTATUS``), so every allocation, in any connection,
takes one process-wide mutex, and building a line allocates. With those statistics switched off
(in a throwaway experiment) two threads took half the time of one, so it is that lock and not the
machine; separate processes do run in parallel, but a process pool is far too heavy for a
download. Threads would have cost the single snapshot and held several ranges of rows in memory,
for nothing, so the export stays in one thread on one connection.

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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Executable,
    Label,
    LargeBinary,
    String,
    Text,
    case,
    cast,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import InstrumentedAttribute

from core.conf.db import get_engine
from core.models import Chat, Message
from core.repositories.messages import ROLE_BY_SENDER
from core.services.history import HistoryFilter, filter_conditions

COLUMNS = (
    "chat_id",
    "chat_title",
    "message_id",
    "created_at",
    "sender",
    "role",
    "content",
    "reasoning",
    "model",
    "status",
    "error",
    "prompt_tokens",
    "completion_tokens",
    "time_to_first_token",
    "tokens_per_second",
)
# The first characters that make a spreadsheet read a cell as a formula (safe mode).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TRIGGER_CODES = tuple(ord(c) for c in FORMULA_TRIGGERS)  # the same, as SQLite's unicode() gives
BOM = "\ufeff"
LINE_END = "\r\n"
BATCH_ROWS = 200  # rows fetched from the database at a time
CHUNK_BYTES = 64 * 1024  # about this much CSV per yielded chunk
IDS_PER_QUERY = 500  # chat ids per IN (...) when exporting a list of chats
MIME = "text/csv"

# Columns that are never NULL (NOT NULL in the schema, or computed from such columns).
_ALWAYS_SET = frozenset(
    {
        "chat_id",
        "chat_title",
        "message_id",
        "created_at",
        "sender",
        "role",
        "content",
        "reasoning",
        "status",
    }
)

Cell = ColumnElement[Any] | InstrumentedAttribute[Any]


def _iso_utc(dialect: str) -> ColumnElement[str]:
    """``created_at`` as ``2025-11-25T13:05:07.123456Z``, formatted by the database."""
    if dialect == "sqlite":
        # UTCDateTime stores UTC as 'YYYY-MM-DD HH:MM:SS.ffffff' text on SQLite.
        raw = type_coerce(Message.created_at, String)
        return type_coerce(func.replace(raw, " ", "T"), String) + "Z"
    utc = func.timezone("UTC", Message.created_at)
    return type_coerce(func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), String)


def _neutralised(cell: Cell) -> ColumnElement[Any]:
    """Safe mode's rule in SQL: ``'`` before a cell that starts with a formula trigger."""
    return case((func.substr(cell, 1, 1).in_(FORMULA_TRIGGERS), "'" + cell), else_=cell)


def _cells(dialect: str) -> tuple[dict[str, Cell], dict[str, Cell]]:
    """The export's columns as SQL: free text (quoted, neutralised in safe mode), then the rest."""
    role = case((Message.sender == "llm", ROLE_BY_SENDER["llm"]), else_=Message.sender)
    # Free text (a user's, a model's, a server's): quoted, and neutralised in safe mode.
    free_text: dict[str, Cell] = {
        "chat_title": Chat.title,
        "content": Message.content,
        "reasoning": Message.reasoning,
        "model": Message.model,
        "error": Message.error,
    }
    # Fixed vocabularies (user/llm, user/assistant, complete/…) and numbers: written as they are.
    plain: dict[str, Cell] = {
        "chat_id": Message.chat_id,
        "message_id": Message.id,
        "created_at": _iso_utc(dialect),
        "sender": Message.sender,
        "role": role,
        "status": Message.status,
        "prompt_tokens": Message.prompt_tokens,
        "completion_tokens": Message.completion_tokens,
        "time_to_first_token": Message.time_to_first_token,
        "tokens_per_second": Message.tokens_per_second,
    }
    return free_text, plain


def _line(dialect: str, safe: bool) -> Label[Any]:
    """One CSV record per row, written by the database itself.

    Formatting the time, adding the role, neutralising formula triggers and quoting are all done
    in SQL, so a row goes from the cursor into the output as one ready string: no Python work per
    cell. Text cells are always quoted (``"…"``, inner quotes doubled: RFC 4180), so commas, quotes
    and line breaks inside a message need no case analysis; numbers and times are never quoted; an
    unknown value (NULL) is an empty cell. On SQLite the record is one ``printf`` call
    (:func:`_sqlite_line`, returning UTF-8 bytes); elsewhere a chain of ``||``
    (:func:`_chained_line`, returning text). Both write the same characters.
    """
    return _sqlite_line(safe) if dialect == "sqlite" else _chained_line(dialect, safe)


def _chained_line(dialect: str, safe: bool) -> Label[str]:
    """The record as standard SQL: the cells joined with ``||`` (PostgreSQL; works on SQLite)."""
    free_text, plain = _cells(dialect)
    cells: list[ColumnElement[str]] = []
    for name in COLUMNS:
        if name in free_text:
            value = _neutralised(free_text[name]) if safe else free_text[name]
            cell = '"' + type_coerce(func.replace(value, '"', '""'), String) + '"'
        else:
            # || turns a number into text by itself, but COALESCE needs one type: cast the
            # nullable numbers (PostgreSQL rejects COALESCE(integer, '')).
            cell = (
                type_coerce(plain[name], String) if name in _ALWAYS_SET else cast(plain[name], Text)
            )
        # Only nullable columns need COALESCE (a NULL would blank the whole line).
        cells.append(cell if name in _ALWAYS_SET else func.coalesce(cell, ""))
    line = cells[0]
    for cell in cells[1:]:
        line = line + "," + cell
    return line.label("line")


def _sqlite_line(safe: bool) -> Label[bytes]:
    """The record as one SQLite ``printf`` (the same text as the ``||`` chain, at half the cost).

    A chain of ``||`` allocates and copies the growing line once per cell, and ``replace`` and
    ``substr`` allocate again; that was most of the export's time. ``printf`` writes the line in one
    buffer, and its ``%w`` conversion doubles ``"`` — exactly CSV's quoting — while copying.
    ``%s`` writes NULL as nothing (an empty cell) and a number as ``CAST(… AS TEXT)`` would; ``%w``
    would write NULL as ``(NULL)``, so the nullable text columns get their own ``CASE``. The
    formula test reads the first character's code (``unicode()``), which allocates nothing.
    ``CAST(… AS BLOB)`` hands the UTF-8 bytes to Python as they are: no decoding into ``str`` and
    encoding back.
    """
    free_text, plain = _cells("sqlite")
    formats: list[str] = []
    args: list[Any] = []
    for name in COLUMNS:
        if name not in free_text:
            formats.append("%s")
            args.append(plain[name])
            continue
        value = free_text[name]
        quoted: list[Any] = [value]
        if safe:
            trigger = func.unicode(value).in_(TRIGGER_CODES)
            quoted.insert(0, case((trigger, "'"), else_=""))
        text_format = '"' + "%s" * (len(quoted) - 1) + '%w"'
        if name in _ALWAYS_SET:
            formats.append(text_format)
            args.extend(quoted)
        else:
            formats.append("%s")
            args.append(case((value.is_(None), ""), else_=func.printf(text_format, *quoted)))
    line = func.printf(",".join(formats), *args)
    return type_coerce(cast(line, LargeBinary), LargeBinary).label("line")


@dataclass(frozen=True)
class ExportScope:
    """Which chats to export. Build one with :meth:`chat`, :meth:`chats`, :meth:`matching` or
    :meth:`everything`; it holds plain values only (safe to keep, cache and pass to threads)."""

    chat_ids: tuple[int, ...] | None = None  # None: not limited to a list
    filter: HistoryFilter | None = None  # None: no filter

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


def file_name(scope: ExportScope, today: date | None = None) -> str:
    """A download name that says what is inside: ``charla-chat-12.csv``, ``charla-all-2025-11-25.csv``."""
    day = (today or date.today()).isoformat()
    if scope.chat_ids is not None and len(scope.chat_ids) == 1 and scope.filter is None:
        return f"charla-chat-{scope.chat_ids[0]}.csv"
    if scope.chat_ids is None and (scope.filter is None or scope.filter.is_empty):
        return f"charla-all-{day}.csv"
    return f"charla-chats-{day}.csv"


def neutralise(cell: str) -> str:
    """The safe-mode rule for one text cell: prefix ``'`` if it starts with a formula trigger."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def _queries(scope: ExportScope, dialect: str, safe: bool) -> Iterator[Executable]:
    """The statements whose rows, in turn, make the export (several for a long list of ids)."""
    base = (
        select(_line(dialect, safe))
        .join(Chat, Chat.id == Message.chat_id)
        .order_by(Message.chat_id, Message.id)
    )
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

    yield (BOM + ",".join(COLUMNS) + LINE_END).encode("utf-8"), 0
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
    ``scope`` and ``safe``) and finds the database through the process-wide engine.

    It streams the export into an anonymous temporary file and returns it (a raw ``io.FileIO``,
    which Streamlit accepts, closing itself once read): the database rows never pile up in memory,
    and the only full copy is the one Streamlit itself keeps to serve the download (its media
    storage is in memory — a Streamlit limit; :func:`export_to_file` is the way to export a very
    large history).
    """

    def build() -> io.RawIOBase:
        spool = _Spool.create()
        try:
            for data in iter_csv(scope, safe):
                spool.write(data)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool

    return build
