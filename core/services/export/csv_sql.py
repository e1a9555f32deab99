"""The CSV record of one message, built by the database itself (SQLite and PostgreSQL).

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
- Rows come chat by chat (by chat id), each chat's messages in the order they were written: its
  selected branch (what the chat page shows), or every version of every message when asked
  (``all_versions``). The all-versions file has three more columns, :data:`VERSION_COLUMNS`:
  ``parent_id`` (the message a row follows; empty for a first message), ``version`` (``2/3``: the
  second of three versions at that place) and ``selected`` (``1`` on the selected branch, else
  ``0``), so the conversation tree can be rebuilt from the file.

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

Why the database writes the lines: each CSV record is built in SQL (:func:`line`), so a row goes
from the cursor to the output as one ready string, with no Python work per cell (the ``csv`` module
or pandas would touch every cell of every row). On SQLite the record is a single ``printf`` with
``%w`` doing CSV's quote doubling (:func:`sqlite_line`), returned as UTF-8 bytes; a chain of
``||``, ``replace`` and ``substr`` (what PostgreSQL gets, :func:`chained_line`) allocates and
copies the growing line once per cell and took twice as long.

The figures behind these choices are in ``bench/results/export-notes.md``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Label,
    LargeBinary,
    String,
    Text,
    case,
    cast,
    func,
    true,
    type_coerce,
)
from sqlalchemy.orm import InstrumentedAttribute

from core.models import Chat, Message
from core.vocab import Sender

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
VERSION_COLUMNS = ("parent_id", "version", "selected")  # the all-versions file's extra columns

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
        "version",
        "selected",
    }
)

Cell = ColumnElement[Any] | InstrumentedAttribute[Any]


def iso_utc(column: Cell, dialect: str) -> ColumnElement[str]:
    """A time column as ``2025-11-25T13:05:07.123456Z``, formatted by the database (every export
    format writes times this way)."""
    if dialect == "sqlite":
        # UTCDateTime stores UTC as 'YYYY-MM-DD HH:MM:SS.ffffff' text on SQLite.
        raw = type_coerce(column, String)
        return type_coerce(func.replace(raw, " ", "T"), String) + "Z"
    utc = func.timezone("UTC", column)
    return type_coerce(func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), String)


def _neutralised(cell: Cell) -> ColumnElement[Any]:
    """Safe mode's rule in SQL: ``'`` before a cell that starts with a formula trigger."""
    return case((func.substr(cell, 1, 1).in_(FORMULA_TRIGGERS), "'" + cell), else_=cell)


def _cells(dialect: str) -> tuple[dict[str, Cell], dict[str, Cell]]:
    """The export's columns as SQL: free text (quoted, neutralised in safe mode), then the rest."""
    role = case((Message.sender == Sender.LLM, Sender.LLM.role), else_=Message.sender)
    # Which version a row is: its place among the messages with the same parent, and how many.
    siblings = (Message.chat_id, Message.parent_id)
    place = func.row_number().over(partition_by=siblings, order_by=Message.id)
    count = func.count().over(partition_by=siblings)  # no ORDER BY: the whole partition
    version = (
        type_coerce(cast(place, String), String) + "/" + type_coerce(cast(count, String), String)
    )
    # Free text (a user's, a model's, a server's): quoted, and neutralised in safe mode.
    free_text: dict[str, Cell] = {
        "chat_title": Chat.title,
        "content": Message.content,
        "reasoning": Message.reasoning,
        "model": Message.model,
        "error": func.coalesce(Message.error, Message.error_code),  # old text, else the code
    }
    # Fixed vocabularies (user/llm, user/assistant, complete/…) and numbers: written as they are.
    plain: dict[str, Cell] = {
        "chat_id": Message.chat_id,
        "message_id": Message.id,
        "created_at": iso_utc(Message.created_at, dialect),
        "sender": Message.sender,
        "role": role,
        "status": Message.status,
        "prompt_tokens": Message.prompt_tokens,
        "completion_tokens": Message.completion_tokens,
        "time_to_first_token": Message.time_to_first_token,
        "tokens_per_second": Message.tokens_per_second,
        "parent_id": Message.parent_id,
        "version": version,
        "selected": case((Message.selected == true(), 1), else_=0),
    }
    return free_text, plain


def columns(all_versions: bool) -> tuple[str, ...]:
    """The file's columns, in order."""
    return COLUMNS + VERSION_COLUMNS if all_versions else COLUMNS


def line(dialect: str, safe: bool, all_versions: bool = False) -> Label[Any]:
    """One CSV record per row, written by the database itself.

    Formatting the time, adding the role, neutralising formula triggers and quoting are all done
    in SQL, so a row goes from the cursor into the output as one ready string: no Python work per
    cell. Text cells are always quoted (``"…"``, inner quotes doubled: RFC 4180), so commas, quotes
    and line breaks inside a message need no case analysis; numbers and times are never quoted; an
    unknown value (NULL) is an empty cell. On SQLite the record is one ``printf`` call
    (:func:`sqlite_line`, returning UTF-8 bytes); elsewhere a chain of ``||``
    (:func:`chained_line`, returning text). Both write the same characters.
    """
    names = columns(all_versions)
    return sqlite_line(safe, names) if dialect == "sqlite" else chained_line(dialect, safe, names)


def chained_line(dialect: str, safe: bool, names: tuple[str, ...] = COLUMNS) -> Label[str]:
    """The record as standard SQL: the cells joined with ``||`` (PostgreSQL; works on SQLite)."""
    free_text, plain = _cells(dialect)
    cells: list[ColumnElement[str]] = []
    for name in names:
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


def sqlite_line(safe: bool, names: tuple[str, ...] = COLUMNS) -> Label[bytes]:
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
    for name in names:
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


def neutralise(cell: str) -> str:
    """The safe-mode rule for one text cell: prefix ``'`` if it starts with a formula trigger."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell
