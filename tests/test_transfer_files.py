"""Files, images and presets in the exports and the Charla import, on SQLite and PostgreSQL.

Checked: the JSON export embeds each message's files (bytes in base64, a document's text) and
imports them back as the same stored files (an image carried twice is stored once); presets go
in only with the whole history, and importing them twice adds them once; the Markdown zip holds
each file once beside links to it, a single chat's ``.md`` names its files; a file that cannot be
used skips its conversation with the reason; exporting many files holds one at a time in memory.
The lossless round trip with files and presets is in ``test_transfer_export.py``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tracemalloc
import zipfile
from collections.abc import Callable

from core.conf.db import session_scope
from core.repositories.attachments import AttachmentRepository
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository
from core.services.attachments import attach_to_message, prepare
from core.services.export import ExportFormat, ExportScope, write_export
from core.services.history import HistoryFilter
from core.services.importers import import_uploads
from core.services.presets import list_presets
from tests.transfer_helpers import (
    NOTES,
    CountingSink,
    a_preset,
    empty_database,
    export_json,
    files_chat,
    rich_chats,
)

__all__ = ["empty_database"]  # a fixture, used by name


def stored_files() -> int:
    with session_scope() as db:
        return AttachmentRepository(db).count()


def test_json_embeds_the_files_and_imports_them_back_once(
    db: str, empty_database: Callable[[], None]
) -> None:
    chat_id = files_chat()
    (chat,) = json.loads(export_json(ExportScope.chat(chat_id)))["chats"]
    question, answer, again = chat["messages"]
    notes, photo = question["attachments"]
    assert (notes["name"], notes["kind"], notes["mime"]) == (
        "receta.md",
        "document",
        "text/plain",
    )
    assert notes["text"] == NOTES and base64.b64decode(notes["data_base64"]) == NOTES.encode()
    data = base64.b64decode(photo["data_base64"])
    assert (photo["kind"], photo["mime"], photo["width"], photo["height"]) == (
        "image",
        "image/png",
        64,
        48,
    )
    assert hashlib.sha256(data).hexdigest() == photo["sha256"] and photo["size"] == len(data)
    assert "text" not in photo and "attachments" not in answer
    assert again["attachments"] == [photo]

    document = export_json(ExportScope.chat(chat_id))
    empty_database()
    assert import_uploads([("files.json", document)]).ok
    assert stored_files() == 2  # the image both questions carry is stored once
    assert import_uploads([("files.json", document)]).duplicates == 1
    assert stored_files() == 2


def test_presets_go_with_the_whole_history_only(
    db: str, empty_database: Callable[[], None]
) -> None:
    ids = rich_chats()
    a_preset()
    everything = json.loads(export_json())
    assert [p["name"] for p in everything["presets"]] == ["Chef"]
    assert everything["presets"][0]["settings"]["temperature"] == 0.3
    for scope in (
        ExportScope.chat(ids["paella"]),
        ExportScope.chats([ids["paella"], ids["texts"]]),
        ExportScope.matching(HistoryFilter(text="paella")),
    ):
        assert "presets" not in json.loads(export_json(scope))

    home = import_uploads([("all.json", export_json())])  # the same preset: not added again
    assert home.presets == 0 and "Presets" not in home.summary()
    empty_database()
    # The presets key may come anywhere in the document: after the chats here.
    moved = {k: v for k, v in everything.items() if k != "presets"}
    moved["presets"] = everything["presets"]
    report = import_uploads([("all.json", json.dumps(moved).encode())])
    assert (report.chats, report.presets) == (3, 1)
    assert "Presets añadidos: 1." in report.summary("es")
    assert [(p.name, p.system_prompt) for p in list_presets()] == [("Chef", "Answer like a chef.")]
    assert import_uploads([("all.json", json.dumps(moved).encode())]).presets == 0


def test_markdown_zip_holds_each_file_once_with_links(db: str) -> None:
    chat_id = files_chat()
    other = rich_chats()["archive"]
    target = io.BytesIO()
    write_export(target, ExportScope.chats([chat_id, other]), ExportFormat.MARKDOWN)
    with zipfile.ZipFile(target) as box:
        names = box.namelist()
        files = sorted(n for n in names if n.startswith("attachments/"))
        assert len(files) == 2 and len(names) == 4
        notes = next(n for n in files if n.endswith(".md"))
        photo = next(n for n in files if n.endswith(".png"))
        assert box.read(notes) == NOTES.encode()
        assert notes == f"attachments/{hashlib.sha256(NOTES.encode()).hexdigest()}.md"
        text = box.read(f"{chat_id}-files.md").decode("utf-8")
    assert f"What is in these?\n\n- [receta.md]({notes})\n- ![paella.png]({photo})\n" in text
    assert f"And this one?\n\n- ![paella.png]({photo})\n" in text


def test_a_single_markdown_file_names_the_files(db: str) -> None:
    chat_id = files_chat()
    target = io.BytesIO()
    write_export(target, ExportScope.chat(chat_id), ExportFormat.MARKDOWN, lang="es")
    text = target.getvalue().decode("utf-8")
    assert "*Archivos: receta.md, paella.png (no están en este archivo:" in text
    assert "attachments/" not in text


def test_a_file_that_cannot_be_used_skips_its_conversation(
    db: str, empty_database: Callable[[], None]
) -> None:
    chat_id = files_chat()
    rich_chats()
    document = json.loads(export_json())
    files = next(c for c in document["chats"] if c["id"] == chat_id)
    files["messages"][0]["attachments"][0]["data_base64"] = "not base64!"
    empty_database()
    report = import_uploads([("all.json", json.dumps(document).encode())])
    assert report.chats == 3 and len(report.problems) == 1
    assert "receta.md" in report.problems[0].text() and "Files" in report.problems[0].text()
    assert stored_files() == 0


def test_exporting_many_files_holds_one_at_a_time(db: str) -> None:
    size = 400_000
    with session_scope(write=True) as dbs:
        chat_id = ChatRepository(dbs).create("Big files").id
        messages = MessageRepository(dbs)
        for number in range(24):  # 24 distinct files, 9.6 MB: over 20 MB of JSON (base64, text)
            text = f"file {number}\n" + (f"{number:03d} línea de texto\n" * (size // 20))
            message = messages.create_message(chat_id, "user", f"file {number}")
            attach_to_message(dbs, message.id, [prepare(f"f{number}.txt", text.encode())])
    for fmt in (ExportFormat.JSON, ExportFormat.MARKDOWN):
        sink = CountingSink()
        tracemalloc.start()
        try:
            scope = ExportScope.chats([chat_id, chat_id + 1])  # a zip for Markdown
            write_export(sink, scope, fmt)  # type: ignore[arg-type]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert sink.size > (20_000_000 if fmt is ExportFormat.JSON else 10_000)
        # One file's copies (bytes, text, base64, JSON text, UTF-8) at a time, not 24 files'.
        assert peak < 8_000_000, f"{fmt}: peak {peak:,} bytes for 9.6 MB of files"


def test_an_export_with_presets_and_no_chats_brings_the_presets(
    db: str, empty_database: Callable[[], None]
) -> None:
    a_preset()
    document = export_json()
    assert json.loads(document)["chats"] == []
    empty_database()
    report = import_uploads([("presets.json", document)])
    assert (report.ok, report.chats, report.presets) == (True, 0, 1)
    empty_database()
    nothing = import_uploads([("empty.json", export_json())])  # no chats, no presets
    assert [p.code for p in nothing.problems] == ["transfer.no_conversations"]
