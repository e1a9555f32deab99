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

Why it streams, and why with the ``csv`` module: exporting a database of a million messages must not
hold them all in memory. The query runs with ``stream_results``/``yield_per`` (a server-side cursor
on PostgreSQL; row-by-row stepping on SQLite), so at most :data:`BATCH_ROWS` rows are in Python at a
time. A ``csv.writer`` turns each batch into text, which is handed on as UTF-8 bytes about
:data:`CHUNK_CHARS` characters at a time. Memory is thus bounded by one batch and one chunk (a few
MB with ordinary messages), whatever the size of the history. ``pandas.DataFrame.to_csv`` would
need each batch turned into a DataFrame first (a copy of every value, plus pandas' own quoting and
NA rules to undo) for no gain; the ``csv`` module is C code that writes rows straight from the
tuples the database returns, with exactly the quoting rules above.

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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Executable,
    Label,
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
BOM = "\ufeff"
LINE_END = "\r\n"
BATCH_ROWS = 200  # rows fetched from the database at a time
CHUNK_CHARS = 64 * 1024  # about this much CSV text per yielded chunk
IDS_PER_QUERY = 500  # chat ids per IN (...) when exporting a list of chats
MIME = "text/csv"

TEXT_COLUMNS = ("chat_title", "sender", "role", "content", "reasoning", "model", "status", "error")
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


def _iso_utc(dialect: str) -> ColumnElement[str]:
    """``created_at`` as ``2025-11-25T13:05:07.123456Z``, formatted by the database."""
    if dialect == "sqlite":
        # UTCDateTime stores UTC as 'YYYY-MM-DD HH:MM:SS.ffffff' text on SQLite.
        raw = type_coerce(Message.created_at, String)
        return type_coerce(func.replace(raw, " ", "T"), String) + "Z"
    utc = func.timezone("UTC", Message.created_at)
    return type_coerce(func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), String)


def _neutralised(cell: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    """Safe mode's rule in SQL: ``'`` before a cell that starts with a formula trigger."""
    return case((func.substr(cell, 1, 1).in_(FORMULA_TRIGGERS), "'" + cell), else_=cell)


def _line(dialect: str, safe: bool) -> Label[str]:
    """One CSV record per row, written by the database itself.

    Formatting the time, adding the role, neutralising formula triggers and quoting are all done
    in SQL, so a row goes from the cursor into the output as one ready string: no Python work per
    cell. This is how ``sqlite3 -csv`` is fast, and it keeps the export within reach of it.
    Text cells are always quoted (``"…"``, inner quotes doubled: RFC 4180), so commas, quotes and
    line breaks inside a message need no case analysis; numbers and times are never quoted; an
    unknown value (NULL) is an empty cell.
    """
    role = case((Message.sender == "llm", ROLE_BY_SENDER["llm"]), else_=Message.sender)
    # Free text (a user's, a model's, a server's): quoted, and neutralised in safe mode.
    free_text: dict[str, ColumnElement[Any] | InstrumentedAttribute[Any]] = {
        "chat_title": Chat.title,
        "content": Message.content,
        "reasoning": Message.reasoning,
        "model": Message.model,
        "error": Message.error,
    }
    # Fixed vocabularies (user/llm, user/assistant, complete/…) and numbers: written as they are.
    plain: dict[str, ColumnElement[Any] | InstrumentedAttribute[Any]] = {
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


def iso_utc(moment: datetime) -> str:
    """``2025-11-25T13:05:07.123456Z`` (``moment`` is an aware UTC datetime, as stored)."""
    return moment.isoformat(timespec="microseconds").removesuffix("+00:00") + "Z"


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
    """(bytes, rows in them): the header first, then about :data:`CHUNK_CHARS` at a time."""
    parts: list[str] = []
    size = 0

    def take() -> bytes:
        data = "".join(parts).encode("utf-8")
        parts.clear()
        return data

    yield (BOM + ",".join(COLUMNS) + LINE_END).encode("utf-8"), 0
    engine = engine or get_engine()
    # One connection (one read transaction: a consistent snapshot) for the whole export; leaving
    # the generator early (a closed download) closes the cursor and the connection.
    with engine.connect() as connection:
        streaming = connection.execution_options(stream_results=True, yield_per=batch_rows)
        pending = 0
        for query in _queries(scope, engine.dialect.name, safe):
            # Closed explicitly: a server-side cursor must not be left to the garbage collector.
            with streaming.execute(query) as result:
                for lines in result.scalars().partitions():
                    text = LINE_END.join(lines) + LINE_END
                    parts.append(text)
                    size += len(text)
                    pending += len(lines)
                    if size >= CHUNK_CHARS:
                        yield take(), pending
                        pending = size = 0
        if pending:
            yield take(), pending


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
