"""Charla JSON and Markdown exports (``core.services.export``), on SQLite and PostgreSQL.

Checked: the lossless round trip (export, import into an empty database, export again: the same
document, ids and export time aside) with every field a chat can hold; importing it twice, or back
into the database it came from, adds nothing; the JSON document's shape; Markdown's front matter
(real YAML), headings, reasoning block, code kept verbatim, a chat with versions, the zip of many
chats, Spanish headings; every scope; the files stream (memory far below the file's size); the
download callable and the file entry point.
"""

from __future__ import annotations

import io
import json
import re
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from core.services.export import (
    ExportFormat,
    ExportScope,
    deferred_export,
    download_name,
    export_file,
    mime_type,
    write_export,
)
from core.services.export.markdown_export import close_fences
from core.services.history import HistoryFilter
from core.services.importers import import_paths, import_uploads
from tests.test_export import fill
from tests.transfer_helpers import (
    CHATGPT,
    HOSTILE,
    CountingSink,
    a_preset,
    comparable,
    counts,
    empty_database,
    export_json,
    files_chat,
    rich_chats,
)

__all__ = ["empty_database"]  # a fixture, used by name

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def markdown(scope: ExportScope, lang: str = "en") -> bytes:
    target = io.BytesIO()
    write_export(target, scope, ExportFormat.MARKDOWN, lang=lang)
    return target.getvalue()


# --- JSON: lossless ------------------------------------------------------------------------------
def test_json_round_trip_through_an_empty_database_gives_the_same_document(
    db: str, empty_database: Callable[[], None]
) -> None:
    rich_chats()
    files_chat()
    a_preset()
    assert import_paths([str(CHATGPT)]).ok  # chats that came from elsewhere keep their origin
    first = export_json()
    assert len(json.loads(first)["presets"]) == 1

    empty_database()
    report = import_uploads([("charla.json", first)])
    assert report.ok, [p.text() for p in report.problems]
    assert report.chats == len(json.loads(first)["chats"]) == 6
    assert report.presets == 1 and "Presets added: 1." in report.summary()
    second = export_json()

    assert comparable(second) == comparable(first)
    assert second != first  # ids and the export time do differ: the comparison is not trivial


def test_importing_a_charla_export_again_or_back_home_adds_nothing(
    db: str, empty_database: Callable[[], None]
) -> None:
    rich_chats()
    document = export_json()
    before = counts()
    home = import_uploads([("charla.json", document)])  # into the database that made it
    assert (home.chats, home.duplicates, counts()) == (0, 3, before)

    empty_database()
    assert import_uploads([("charla.json", document)]).chats == 3
    again = import_uploads([("charla.json", document)])
    assert (again.chats, again.messages, again.duplicates) == (0, 0, 3)
    assert counts() == before


def test_json_document_shape(db: str) -> None:
    ids = rich_chats()
    document = json.loads(export_json(ExportScope.chats([ids["paella"], ids["archive"]])))
    assert (document["format"], document["version"]) == ("charla", 1)
    assert ISO_UTC.match(document["exported_at"])
    paella, archive = document["chats"]
    assert paella["title"] == 'Paella «valenciana»: "la de verdad" 🥘'
    assert (paella["title_by_user"], paella["pinned"], paella["archived"]) == (True, True, False)
    assert paella["tags"] == ["cooking", "work"]
    assert paella["settings"] == {
        "model": None,
        "system_prompt": "Sé breve.\nNunca uses «comillas».",
        "temperature": 0.7,
        "max_tokens": 512,
        "top_p": None,
        "top_k": 40,
        "repeat_penalty": None,
        "seed": -7,
        "stop": ["END", "\n\n"],
    }
    assert (paella["source"], paella["source_id"]) == (
        "charla",
        f"{paella['id']}@{paella['created_at']}",
    )
    assert all(ISO_UTC.match(paella[k]) for k in ("created_at", "last_activity"))
    question, first, failed, edited, stopped = paella["messages"]
    assert [m["parent"] for m in paella["messages"]] == [
        None, question["id"], question["id"], None, edited["id"],
    ]  # fmt: skip
    assert [m["selected"] for m in paella["messages"]] == [True, True, False, False, False]
    assert first["reasoning"] == "Arroz bomba: 17–20 min."
    assert first["params"] == {"temperature": 0.7, "max_tokens": 512, "stop": ["END"]}
    assert (first["time_to_first_token"], first["tokens_per_second"], first["load_time"]) == (
        0.1 + 0.2,
        12.345678901234,
        3.25,
    )
    assert (failed["status"], failed["error_code"]) == ("error", "error.timeout")
    assert failed["error_params"]["detail"] == "read timeout"
    assert stopped["status"] == "stopped"
    assert "reasoning" not in question and "model" not in question  # unset: left out
    # Shown again after the other versions were made: when, so a version goes back as it was.
    assert question["shown_at"] > failed["created_at"] and first["shown_at"] == question["shown_at"]
    assert "shown_at" not in failed  # never shown since it was made: its creation time
    assert (archive["archived"], archive["settings"], archive["messages"]) == (True, None, [])


def test_every_version_is_written_whatever_the_scope_says(db: str) -> None:
    ids = rich_chats()
    one = json.loads(export_json(ExportScope.chat(ids["paella"])))
    assert len(one["chats"][0]["messages"]) == 5
    also = json.loads(export_json(ExportScope.chat(ids["paella"]).with_versions(False)))
    assert also == {**one, "exported_at": also["exported_at"]}


def test_scopes_pick_the_chats(db: str) -> None:
    ids = rich_chats()
    titles = lambda data: [c["title"] for c in json.loads(data)["chats"]]  # noqa: E731
    assert titles(export_json(ExportScope.chats([ids["texts"], ids["archive"]]))) == [
        "Archive",
        "Texts",
    ]
    assert titles(export_json(ExportScope.matching(HistoryFilter(text="ÁRABE")))) == []
    # The History search reads the reasoning too ("Arroz bomba" is only there).
    assert titles(export_json(ExportScope.matching(HistoryFilter(text="bomba")))) == [
        'Paella «valenciana»: "la de verdad" 🥘'
    ]
    assert titles(export_json(ExportScope.matching(HistoryFilter(text="cordero")))) == []
    assert titles(export_json(ExportScope.matching(HistoryFilter(text="arroz")))) == [
        'Paella «valenciana»: "la de verdad" 🥘'
    ]
    assert len(json.loads(export_json())["chats"]) == 3


# --- Markdown ------------------------------------------------------------------------------------
def front_matter(text: str) -> dict[str, object]:
    assert text.startswith("---\n")
    head, _, _ = text[4:].partition("\n---\n")
    return dict(yaml.safe_load(head))


def test_markdown_of_one_chat(db: str) -> None:
    ids = rich_chats()
    scope = ExportScope.chat(ids["paella"])
    assert download_name(ExportFormat.MARKDOWN, scope) == f"charla-chat-{ids['paella']}.md"
    assert mime_type(ExportFormat.MARKDOWN, scope) == "text/markdown"
    text = markdown(scope).decode("utf-8")

    matter = front_matter(text)
    assert matter["title"] == 'Paella «valenciana»: "la de verdad" 🥘'
    assert matter["models"] == ["org/qwen3-8b.gguf"]
    assert matter["tags"] == ["cooking", "work"] and matter["pinned"] is True
    assert matter["settings"]["stop"] == ["END", "\n\n"]  # type: ignore[index]
    assert matter["messages"] == 2
    assert isinstance(matter["created"], str) and ISO_UTC.match(matter["created"])
    assert '\n# Paella «valenciana»: "la de verdad" 🥘\n' in text
    assert "other versions, not shown here" in text  # the failed answer and the edit are not
    assert "## You · " in text and "## Assistant · org/qwen3-8b.gguf · " in text
    assert (
        "<details>\n<summary>Reasoning</summary>\n\nArroz bomba: 17–20 min.\n\n</details>" in text
    )
    assert "Unos 18 minutos.\n\n```python\nprint('arroz')\n```\n" in text  # code verbatim
    assert "Unos\n" not in text.split("# Paella", 1)[1]  # the failed version is not shown


def test_markdown_keeps_every_text_and_marks_what_failed(db: str) -> None:
    ids = rich_chats()
    text = markdown(ExportScope.chat(ids["texts"])).decode("utf-8")
    assert front_matter(text)["title"] == "Texts"
    for sample in HOSTILE:
        assert sample[::-1] in text  # the answers, verbatim
    assert 'He said "hello", then \\"bye\\" &lt;/details> ```' in text  # the reasoning block
    assert text.count("\n</details>\n") == len(HOSTILE)  # …still ends where it should

    spanish = markdown(ExportScope.chat(ids["paella"]), "es").decode("utf-8")
    assert "## Tú · " in spanish and "<summary>Razonamiento</summary>" in spanish


def test_an_answer_cut_inside_a_code_block_does_not_swallow_the_rest() -> None:
    assert close_fences("Here:\n```python\nx = 1") == "Here:\n```python\nx = 1\n```"
    assert close_fences("````\n```\n") == "````\n```\n````"
    assert close_fences("a ``` b") == "a ``` b"  # not a fence: not at a line start
    assert close_fences("~~~\ncode\n~~~\n") == "~~~\ncode\n~~~\n"


def test_markdown_of_many_chats_is_a_zip_of_one_file_each(db: str) -> None:
    ids = rich_chats()
    scope = ExportScope.everything()
    assert download_name(ExportFormat.MARKDOWN, scope).endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(markdown(scope))) as box:
        names = box.namelist()
        assert names == [
            f"{ids['paella']}-paella-valenciana-la-de-verdad.md",
            f"{ids['archive']}-archive.md",
            f"{ids['texts']}-texts.md",
        ]
        archive = box.read(names[1]).decode("utf-8")
        assert front_matter(archive)["archived"] is True
        assert front_matter(archive)["messages"] == 0
        stamp = box.getinfo(names[0]).date_time
    assert datetime(*stamp).year == datetime.now().year


# --- streaming and entry points ------------------------------------------------------------------
@pytest.mark.parametrize("fmt", [ExportFormat.JSON, ExportFormat.MARKDOWN])
def test_json_and_markdown_stream_without_holding_the_file(db: str, fmt: ExportFormat) -> None:
    fill(20_000)  # 20,000 messages of ~1,000 characters in 100 chats
    sink = CountingSink()
    tracemalloc.start()
    try:
        written = write_export(sink, ExportScope.everything(), fmt)  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written.messages == 20_000 and written.chats == 100
    # JSON: over 20 MB written; Markdown: the same 20 MB of text, compressed in the zip.
    assert sink.size > (20_000_000 if fmt is ExportFormat.JSON else 100_000)
    assert peak < 8_000_000, f"peak {peak:,} bytes while exporting 20 MB of messages"


def test_export_file_and_download_callable(db: str, tmp_path: Path) -> None:
    ids = rich_chats()
    target = tmp_path / "out" / "all.json"
    target.parent.mkdir()
    written = export_file(target, ExportScope.everything(), ExportFormat.JSON)
    assert (written.chats, written.messages) == (3, 5 + 2 * len(HOSTILE))
    assert list(target.parent.iterdir()) == [target]  # no temporary file left

    build = deferred_export(ExportScope.chat(ids["paella"]), ExportFormat.MARKDOWN, lang="es")
    handle = build()  # as Streamlit runs it: later, outside the script
    handle.seek(0)
    data = handle.read()
    assert handle.closed
    assert data.decode("utf-8").startswith("---\ntitle: ")
    assert download_name(ExportFormat.JSON, ExportScope.chat(3)) == "charla-chat-3.json"
    names = download_name(ExportFormat.CSV, ExportScope.everything().with_versions())
    assert names.endswith("-all-versions.csv")
    assert not download_name(ExportFormat.JSON, ExportScope.everything().with_versions()).endswith(
        "-all-versions.json"
    )
