"""Importing what is not a good export, and importing a large one (``core.services.importers``),
on SQLite and PostgreSQL.

Checked: every kind of bad input (not JSON, truncated, an unknown shape, empty, a zip without an
export, a zip bomb, ``../`` paths, a file over the size limit…) gets a sentence in both languages
and changes nothing; text no database can store is handled as the chat page does; a large export is
streamed, a conversation at a time.
"""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest

from core.services.importers import import_paths, import_uploads, sources
from tests.test_transfer_import import by_source, ok, stored
from tests.transfer_helpers import CHATGPT, LMSTUDIO, counts


# --- bad input: a sentence, and nothing changes ---------------------------------------------------
def _zip(members: dict[str, bytes]) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as box:
        for name, content in members.items():
            box.writestr(name, content)
    return data.getvalue()


SAMPLE = CHATGPT.read_bytes()
BAD_INPUT = {
    "not JSON": (b"Hello, this is my chat history.\n", "not a chat export"),
    "an image": (b"\x89PNG\r\n\x1a\n" + bytes(100), "not a chat export"),
    "truncated JSON": (SAMPLE[: len(SAMPLE) * 3 // 5], "the JSON ends too early"),
    "broken JSON": (b'[{"title": "x", "mapping": {}},, ]', "not valid JSON"),
    "not UTF-8": (b'[{"title": "\xff\xfe", "mapping": {}}]', "not UTF-8 text"),
    "JSON of an unknown shape": (
        b'{"name": "x", "items": [1, 2]}',
        "not a chat export Charla knows",
    ),
    "an array of numbers": (b"[1, 2, 3]", "not a chat export Charla knows"),
    "no conversations": (b"[]", "holds no conversations"),
    "an empty file": (b"", "the file is empty"),
    "only blanks": (b"  \n\t ", "the file is empty"),
    "a newer Charla": (b'{"format": "charla", "version": 2, "chats": []}', "version 2"),
    "a zip without an export": (
        _zip({"readme.txt": b"hi", "user.json": b'{"id": 1}', "photo.jpg": b"\xff\xd8"}),
        "no chat export inside",
    ),
    "a zip bomb": (_zip({"conversations.json": b"[" + b" " * 30_000_000 + b"]"}), "would expand"),
    "a zip with ../": (
        _zip({"../evil.json": SAMPLE}),
        "a path that points outside it (../evil.json)",
    ),
    "a zip with an absolute path": (_zip({"/etc/x.json": SAMPLE}), "points outside it"),
    "a damaged zip": (b"PK\x03\x04" + bytes(40), "a damaged zip"),
}


@pytest.mark.parametrize("content, expected", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_gets_a_sentence_and_changes_nothing(
    db: str, content: bytes, expected: str
) -> None:
    ok(import_paths([str(LMSTUDIO)]))  # something already there, which must stay as it is
    before = stored()
    report = import_uploads([("upload.json", content)])
    assert (report.chats, report.messages) == (0, 0)
    (problem,) = report.problems
    assert problem.text().startswith("upload.json")
    assert expected in problem.text(), problem.text()
    assert problem.text("es") != problem.text()  # said in Spanish too
    assert [(c["chat"].id, c["tree"]) for c in stored()] == [
        (c["chat"].id, c["tree"]) for c in before
    ]


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "MAX_IMPORT_BYTES", 10_000)
    report = import_paths([str(CHATGPT)])
    (problem,) = report.problems
    assert problem.text() == f"{CHATGPT}: 12.4 KB, over the import limit of 9.77 KB."
    assert counts() == (0, 0)
    report = import_uploads([("x.zip", _zip({"a.json": SAMPLE, "b.json": SAMPLE}))])
    assert "over the import limit" in report.problems[0].text()


def test_a_path_that_does_not_exist(db: str, tmp_path: Path) -> None:
    report = import_paths([str(tmp_path / "nowhere.json"), str(tmp_path)])
    assert [p.text() for p in report.problems] == [
        f"{tmp_path / 'nowhere.json'}: no such file or folder.",
        f"{tmp_path}: no chat export inside (looked for ChatGPT's conversations.json, LM Studio's "
        "conversation files, Open WebUI's and Charla's JSON).",
    ]


def test_a_byte_order_mark_is_fine(db: str) -> None:
    assert ok(import_uploads([("bom.json", b"\xef\xbb\xbf" + LMSTUDIO.read_bytes())])).chats == 1


# --- text no database can store -----------------------------------------------------------------
def _chatgpt(conversation_id: str, question: str, answer: str, title: str = "T") -> dict[str, Any]:
    def node(key: str, parent: str | None, role: str, text: str) -> dict[str, Any]:
        message = {
            "id": key,
            "author": {"role": role},
            "create_time": 1.7e9,
            "content": {"content_type": "text", "parts": [text]},
        }
        return {"id": key, "parent": parent, "children": [], "message": message}

    return {
        "title": title,
        "id": conversation_id,
        "current_node": "a",
        "mapping": {
            "q": node("q", None, "user", question),
            "a": node("a", "q", "assistant", answer),
        },
    }


def test_text_no_database_can_store_is_handled_as_the_chat_page_does(db: str) -> None:
    """A person's NUL or unpaired surrogate is refused with the chat page's sentence (that
    conversation is skipped); in a model's answer or a title it becomes U+FFFD."""
    export = json.dumps(
        [
            _chatgpt("nul-question", "a\u0000b", "fine", title="NUL"),
            _chatgpt("lone-question", "broken \ud83d emoji", "fine", title="Half an emoji"),
            _chatgpt("nul-answer", "fine", "x\u0000y", title="Bad \u0000 title"),
            _chatgpt("lone-answer", "fine", "and \udc00 here \ud83d", title="Lone"),
            _chatgpt("pair", "a whole 😀 emoji", "\\ud83d is how JSON escapes it"),
        ]
    ).encode()
    assert b"\\u0000" in export and b"\\ud83d emoji" in export  # escaped, as apps write them
    report = import_uploads([("conversations.json", export)])
    assert report.chats == 3
    assert [p.text() for p in report.problems] == [
        "conversations.json, conversation «NUL»: The text contains a NUL character, which cannot "
        "be stored. Remove it and try again.",
        "conversations.json, conversation «Half an emoji»: The text contains characters that "
        "cannot be stored (a broken emoji or an unpaired surrogate). Remove them and try again.",
    ]
    chats = {c["chat"].source_id: c for c in by_source("chatgpt")}
    assert set(chats) == {"nul-answer", "lone-answer", "pair"}
    assert chats["nul-answer"]["chat"].title == "Bad \ufffd title"
    assert [m.content for m in chats["nul-answer"]["messages"]] == ["fine", "x\ufffdy"]
    assert chats["lone-answer"]["messages"][1].content == "and \ufffd here \ufffd"
    assert [m.content for m in chats["pair"]["messages"]] == [
        "a whole 😀 emoji",
        "\\ud83d is how JSON escapes it",
    ]


# --- memory ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_large_export_is_streamed_a_conversation_at_a_time(db: str, tmp_path: Path) -> None:
    """Python's allocations during the import stay far below the file's size: the JSON is read
    with ijson, one conversation at a time (the benchmark measures the whole process on 1 GB)."""
    from bench.transfer import write_chatgpt_export

    export = tmp_path / "conversations.json"
    conversations = write_chatgpt_export(export, 15_000)
    size = export.stat().st_size
    assert size > 8_000_000
    tracemalloc.start()
    try:
        report = import_paths([str(export)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (report.chats, report.messages, report.ok) == (conversations, 15_000, True)
    assert peak < size / 4, f"peak {peak:,} bytes while importing {size:,} bytes"
