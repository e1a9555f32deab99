"""CSV export (``core.services.export``), on SQLite and on a real PostgreSQL (the ``db`` fixture).

Checked: what comes back through ``pandas.read_csv`` is exactly what was stored (accents, emoji,
right-to-left text, line breaks of every kind, quotes, commas, 1 MB messages, and any text
hypothesis can think of); the file's format (BOM, header, ``\\r\\n``, ISO-8601 UTC times, empty
cells for unknown numbers); the "safe for spreadsheets" rule and the exact mode; that SQLite's
``printf`` line is byte for byte the standard SQL line PostgreSQL gets; every scope; that
the export streams (many chunks, the first one before the rest is read, memory far below the file's
size); the file and download-button entry points.
"""

from __future__ import annotations

import csv
import io
import re
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from core.conf.db import get_engine, init_db, session_scope
from core.models import Chat, Message
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository
from core.services import export
from core.services.export import (
    COLUMNS,
    ExportScope,
    csv_bytes,
    csv_export,
    csv_sql,
    export_to_file,
    iter_csv,
)
from core.services.history import HistoryFilter

HOSTILE = [
    "Canción con acentos: áéíóú ñ ü ç — «comillas» ¿qué? ¡sí!",
    "Emoji: 😀👍🏽👨‍👩‍👧‍👦 🇪🇸 and a lone ZWJ \u200d",
    "עברית מימין לשמאל, والعربية أيضا \u202eRLO override\u202c",
    "line one\nline two\r\nline three\rline four\n\n",
    'He said "hello", then "bye"',
    "comma, separated, values,",
    '"',
    "",
    "   leading and trailing blanks   ",
    "tabs\tinside\tcells",
    "odd separators: \u2028 \u2029 \x85 \x0b \x0c \x1c \x1e",
    "NA",
    "null",
    "#not a comment",
    "123",
    "0001",
    "1e5",
]


def new_chat(title: str = "Export test") -> int:
    with session_scope(write=True) as db:
        return ChatRepository(db).create(title).id


def add(chat_id: int, sender: str, content: str, **fields: Any) -> int:
    with session_scope(write=True) as db:
        return MessageRepository(db).create_message(chat_id, sender, content, **fields).id


def read(data: bytes) -> pd.DataFrame:
    """What a user of pandas gets back from an export."""
    return pd.read_csv(io.BytesIO(data), keep_default_na=False, dtype=str)


# --- round trip ---------------------------------------------------------------------------------
def test_round_trip_keeps_every_text_exactly(db: str) -> None:
    chat_id = new_chat('Título «raro», con "comillas" y emoji 🎉')
    for text in HOSTILE:
        add(chat_id, "user", text)
        add(chat_id, "llm", text, reasoning=text[::-1], model="org/model_v1.gguf")
    frame = read(csv_bytes(ExportScope.chat(chat_id), safe=False))

    assert list(frame.columns) == list(COLUMNS)
    assert frame["content"].tolist() == [text for text in HOSTILE for _ in (0, 1)]
    assert frame["reasoning"].tolist() == [r for text in HOSTILE for r in ("", text[::-1])]
    assert set(frame["chat_title"]) == {'Título «raro», con "comillas" y emoji 🎉'}
    assert set(frame["model"]) == {"", "org/model_v1.gguf"}


def test_a_one_megabyte_message_with_line_breaks_survives(db: str) -> None:
    chat_id = new_chat()
    big = ('Línea con ñ y 😀, "comillas"\r\n' * 40_000)[:1_000_000]
    add(chat_id, "llm", big, reasoning="r\n" * 1000)
    frame = read(csv_bytes(ExportScope.chat(chat_id), safe=False))
    assert frame["content"].tolist() == [big]
    assert frame["reasoning"].tolist() == ["r\n" * 1000]


ANY_TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
    max_size=300,
)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(content=ANY_TEXT, reasoning=ANY_TEXT)
def test_property_any_text_comes_back_unchanged(db: str, content: str, reasoning: str) -> None:
    """Any text core accepts is exported and read back unchanged (exact mode), and safe mode
    changes it only by the documented leading quote."""
    chat_id = new_chat()
    add(chat_id, "llm", content, reasoning=reasoning)
    scope = ExportScope.chat(chat_id)

    exact = read(csv_bytes(scope, safe=False))
    assert exact["content"].tolist() == [content]
    assert exact["reasoning"].tolist() == [reasoning]

    safe = read(csv_bytes(scope, safe=True))
    assert safe["content"].tolist() == [export.neutralise(content)]
    assert safe["reasoning"].tolist() == [export.neutralise(reasoning)]


# --- the file format ----------------------------------------------------------------------------
def test_format_bom_header_crlf_iso_times_and_empty_unknowns(db: str) -> None:
    chat_id = new_chat("Format")
    question = add(chat_id, "user", "two\nlines")
    answer = add(
        chat_id,
        "llm",
        "ok",
        model="qwen3-8b",
        status="stopped",
        error="interrupted",
        prompt_tokens=12,
        completion_tokens=34,
        time_to_first_token=0.125,
        tokens_per_second=42.5,
    )
    data = csv_bytes(ExportScope.chat(chat_id))

    assert data.startswith(b"\xef\xbb\xbfchat_id,chat_title,message_id,created_at,")
    assert data.startswith(("\ufeff" + ",".join(COLUMNS) + "\r\n").encode())
    assert data.endswith(b"\r\n")
    assert b'"two\nlines"' in data  # the line break is kept, inside quotes
    assert data.count(b"\r\n") == 3  # header + two records: the \n inside the cell is not one

    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [int(r["message_id"]) for r in rows] == [question, answer]
    first, second = rows
    assert (first["sender"], first["role"], second["sender"], second["role"]) == (
        "user",
        "user",
        "llm",
        "assistant",
    )
    assert first["chat_id"] == str(chat_id) and first["chat_title"] == "Format"
    assert first["model"] == first["error"] == first["prompt_tokens"] == ""  # unknown: empty
    assert first["status"] == "complete"
    assert (second["status"], second["error"], second["model"]) == (
        "stopped",
        "interrupted",
        "qwen3-8b",
    )
    assert (second["prompt_tokens"], second["completion_tokens"]) == ("12", "34")
    assert (second["time_to_first_token"], second["tokens_per_second"]) == ("0.125", "42.5")

    iso_utc = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
    assert all(iso_utc.match(r["created_at"]) for r in rows)
    with session_scope() as dbs:
        stored = MessageRepository(dbs).get(answer).created_at
    parsed = datetime.fromisoformat(second["created_at"])
    assert parsed == stored and parsed.utcoffset() == UTC.utcoffset(None)


def test_an_empty_export_is_just_the_header(db: str) -> None:
    frame = read(csv_bytes(ExportScope.everything()))
    assert list(frame.columns) == list(COLUMNS) and frame.empty
    assert read(csv_bytes(ExportScope.chat(new_chat()))).empty  # a chat with no messages


# --- safe for spreadsheets ----------------------------------------------------------------------
DANGEROUS = ["=1+1", "+x", "-x", "@x", "\tx", "\rx", '=HYPERLINK("http://evil")', "@SUM(A1)"]
HARMLESS = ["a=1", " =1", "'=1", "x-y", "1+1", "", "—dash", "＝fullwidth"]


def test_safe_mode_neutralises_formula_cells_and_nothing_else(db: str) -> None:
    chat_id = new_chat("=title")
    for text in DANGEROUS + HARMLESS:
        add(chat_id, "llm", text, reasoning=text, model=text or None, error=text or None)

    safe = read(csv_bytes(ExportScope.chat(chat_id)))  # safe is the default
    expected = ["'" + text for text in DANGEROUS] + HARMLESS
    assert safe["content"].tolist() == expected
    assert safe["reasoning"].tolist() == expected
    assert safe["model"].tolist() == expected
    assert safe["error"].tolist() == expected
    assert set(safe["chat_title"]) == {"'=title"}
    assert all(not cell.startswith(export.FORMULA_TRIGGERS) for cell in safe.to_numpy().ravel())

    exact = read(csv_bytes(ExportScope.chat(chat_id), safe=False))
    assert exact["content"].tolist() == DANGEROUS + HARMLESS
    assert set(exact["chat_title"]) == {"=title"}


def test_neutralise_rule() -> None:
    assert [export.neutralise(c) for c in DANGEROUS] == ["'" + c for c in DANGEROUS]
    assert [export.neutralise(c) for c in HARMLESS] == HARMLESS


# --- SQLite's printf line -----------------------------------------------------------------------
AWKWARD_NUMBERS = [0.125, 42.5, 42.0, 0.1 + 0.2, 1e-7, 1e20, 3.5e300, -0.0, 1 / 3, None]


def test_sqlite_printf_line_is_the_standard_sql_line_byte_for_byte() -> None:
    """SQLite writes each record with one ``printf`` (fast); PostgreSQL with a chain of ``||``.
    Run both on SQLite (which understands both) over every kind of value: same bytes, both modes.
    """
    init_db()  # the test's own SQLite database (conftest's isolated_env)
    chat_id = new_chat('=Título «raro», con "comillas"')
    texts = HOSTILE + DANGEROUS + HARMLESS
    for i, text in enumerate(texts):
        number = AWKWARD_NUMBERS[i % len(AWKWARD_NUMBERS)]
        add(chat_id, "user", text)
        add(
            chat_id,
            "llm",
            text[::-1],
            reasoning=text,
            model=text or None,
            error=None if i % 3 else text,
            status="error" if i % 2 else "complete",
            prompt_tokens=None if number is None else i * 1000,
            completion_tokens=None if number is None else -i,
            time_to_first_token=number,
            tokens_per_second=None if number is None else -number,
        )
    for safe in (True, False):
        query = (
            select(csv_sql.sqlite_line(safe), csv_sql.chained_line("sqlite", safe))
            .join(Chat, Chat.id == Message.chat_id)
            .order_by(Message.id)
        )
        with get_engine().connect() as connection:
            rows = connection.execute(query).all()
        assert len(rows) == 2 * len(texts)
        for fast, standard in rows:
            assert isinstance(fast, bytes)
            assert fast == standard.encode("utf-8")


# --- scopes -------------------------------------------------------------------------------------
def chat_ids_in(data: bytes) -> list[int]:
    return [int(i) for i in read(data)["chat_id"]]


def test_scopes_select_the_right_messages_in_chat_then_message_order(db: str) -> None:
    paella = new_chat("Paella")
    gazpacho = new_chat("Gazpacho")
    empty = new_chat("Empty")
    add(paella, "user", "rice")
    add(gazpacho, "user", "tomato")  # interleaved on purpose
    add(paella, "llm", "saffron", model="qwen3-8b")
    add(gazpacho, "llm", "cucumber", model="smollm2")

    assert chat_ids_in(csv_bytes(ExportScope.chat(paella))) == [paella, paella]
    assert read(csv_bytes(ExportScope.chat(paella)))["content"].tolist() == ["rice", "saffron"]
    assert chat_ids_in(csv_bytes(ExportScope.everything())) == [paella, paella, gazpacho, gazpacho]
    assert chat_ids_in(csv_bytes(ExportScope.chats([gazpacho, empty]))) == [gazpacho, gazpacho]
    assert chat_ids_in(csv_bytes(ExportScope.chats([]))) == []
    by_text = ExportScope.matching(HistoryFilter(text="TOMATO"))
    assert chat_ids_in(csv_bytes(by_text)) == [gazpacho, gazpacho]  # the whole matching chat
    by_model = ExportScope.matching(HistoryFilter(model="qwen3-8b"))
    assert chat_ids_in(csv_bytes(by_model)) == [paella, paella]


def test_a_long_list_of_chats_is_exported_in_several_queries(db: str) -> None:
    with session_scope(write=True) as dbs:
        chats, messages = ChatRepository(dbs), MessageRepository(dbs)
        ids = []
        for i in range(export.IDS_PER_QUERY * 2 + 7):
            ids.append(chats.create(f"c{i}").id)
            messages.create_message(ids[-1], "user", f"m{i}")
    wanted = ids[::-1][: export.IDS_PER_QUERY + 3] + ids[: export.IDS_PER_QUERY]
    assert chat_ids_in(csv_bytes(ExportScope.chats(wanted))) == sorted(set(wanted))


def test_file_names_say_what_is_inside() -> None:
    day = datetime(2025, 11, 25).date()
    assert export.file_name(ExportScope.chat(12), day) == "charla-chat-12.csv"
    assert export.file_name(ExportScope.everything(), day) == "charla-all-2025-11-25.csv"
    assert (
        export.file_name(ExportScope.matching(HistoryFilter()), day) == "charla-all-2025-11-25.csv"
    )
    flt = HistoryFilter(text="x")
    assert export.file_name(ExportScope.matching(flt), day) == "charla-chats-2025-11-25.csv"
    assert (
        export.file_name(ExportScope.chat(12).with_versions(), day)
        == "charla-chat-12-all-versions.csv"
    )


# --- versions -------------------------------------------------------------------------------------
def test_the_selected_branch_by_default_every_version_on_request(db: str) -> None:
    chat_id = new_chat()
    question = add(chat_id, "user", "Q")
    first = add(chat_id, "llm", "A1")
    add(chat_id, "user", "follow-up")
    with session_scope(write=True) as dbs:  # regenerate the first answer: A2 beside A1
        second = MessageRepository(dbs).create_message(chat_id, "llm", "A2", parent_id=question).id
    add(chat_id, "user", "after A2")

    shown = read(csv_bytes(ExportScope.chat(chat_id)))
    assert list(shown.columns) == list(COLUMNS)
    assert shown["content"].tolist() == ["Q", "A2", "after A2"]

    every = read(csv_bytes(ExportScope.chat(chat_id).with_versions()))
    assert list(every.columns) == [*COLUMNS, "parent_id", "version", "selected"]
    rows = {row.content: row for row in every.itertuples()}
    assert list(rows) == ["Q", "A1", "follow-up", "A2", "after A2"]
    assert (rows["A1"].version, rows["A1"].selected) == ("1/2", "0")
    assert (rows["A2"].version, rows["A2"].selected) == ("2/2", "1")
    assert (rows["follow-up"].version, rows["follow-up"].selected) == ("1/1", "0")
    assert (rows["Q"].parent_id, rows["A1"].parent_id, rows["A2"].parent_id) == (
        "", str(question), str(question),
    )  # fmt: skip
    assert rows["follow-up"].parent_id == str(first)
    assert rows["after A2"].parent_id == str(second)


# --- streaming ----------------------------------------------------------------------------------
STREAMED = 20_000


def fill(count: int) -> None:
    """``count`` messages of ~1,000 characters in 100 chats, inserted in bulk (fast)."""
    with session_scope(write=True) as dbs:
        chats = [ChatRepository(dbs).create(f"chat {i}").id for i in range(100)]
        now = datetime.now(UTC)
        rows = [
            {
                "chat_id": chats[i % 100],
                "sender": "user" if i % 2 == 0 else "llm",
                "content": f"message {i}: " + 'ñ😀 texto, "citado"\n' * 50,
                "reasoning": "",
                "status": "complete",
                "created_at": now,
            }
            for i in range(count)
        ]
        for start in range(0, count, 5000):
            dbs.execute(insert(Message), rows[start : start + 5000])


def test_export_streams_in_chunks_without_holding_the_whole_file(db: str) -> None:
    fill(STREAMED)
    chunks = iter_csv(ExportScope.everything(), safe=True)

    header = next(chunks)
    assert header == ("\ufeff" + ",".join(COLUMNS) + "\r\n").encode()
    first = next(chunks)  # the first rows arrive before the rest has been read or written
    first_rows = len(read(header + first))
    assert 0 < first_rows < STREAMED / 4

    tracemalloc.start()
    try:
        total, count = len(header) + len(first), 2
        for chunk in chunks:  # consumed and dropped, as a file or an HTTP response would
            total += len(chunk)
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count > 10
    assert total > 20_000_000
    assert peak < total / 4, f"peak {peak:,} bytes while exporting {total:,}"


def test_stopping_early_releases_the_database(db: str) -> None:
    fill(2_000)
    chunks = iter_csv(ExportScope.everything(), batch_rows=100)
    next(chunks), next(chunks)
    chunks.close()  # a cancelled download: the cursor and connection are closed
    with session_scope(write=True) as dbs:  # and writing is not blocked by a reader left behind
        ChatRepository(dbs).create("after")
    assert len(read(csv_bytes(ExportScope.everything()))) == 2_000


# --- entry points -------------------------------------------------------------------------------
def test_export_to_file_writes_the_same_bytes_and_counts_messages(db: str, tmp_path: Path) -> None:
    chat_id = new_chat()
    for text in HOSTILE:
        add(chat_id, "user", text)
    target = tmp_path / "exports" / "out.csv"
    target.parent.mkdir()
    assert export_to_file(target, ExportScope.everything(), safe=False) == len(HOSTILE)
    assert target.read_bytes() == csv_bytes(ExportScope.everything(), safe=False)
    assert list(target.parent.iterdir()) == [target]  # no temporary file left behind


def test_a_failed_export_leaves_no_file(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(new_chat(), "user", "hello")
    target = tmp_path / "exports" / "out.csv"
    target.parent.mkdir()
    target.write_bytes(b"previous export")

    real_queries = csv_export._queries

    def broken(*args: Any) -> Any:  # the first query's rows are written, then the export fails
        yield from real_queries(*args)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(csv_export, "_queries", broken)
    with pytest.raises(RuntimeError):
        export_to_file(target, ExportScope.everything())
    assert list(target.parent.iterdir()) == [target]
    assert target.read_bytes() == b"previous export"  # the old file is untouched


def test_download_callable_needs_no_script_context(db: str) -> None:
    chat_id = new_chat()
    add(chat_id, "user", "=1+1 and ñ")
    build = export.deferred_csv(ExportScope.chat(chat_id), safe=True)
    handle = build()  # called like Streamlit does: later, outside any script run
    assert isinstance(handle, io.RawIOBase)
    handle.seek(0)
    data = handle.read()
    assert handle.closed  # read whole: it closed itself (Streamlit never closes it)
    assert data == csv_bytes(ExportScope.chat(chat_id))
    assert read(data)["content"].tolist() == ["'=1+1 and ñ"]
