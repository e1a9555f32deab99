"""The History page's Export and Import sections (``ui/history_export.py``, ``ui/history_import.py``)
with AppTest.

Streamlit 1.67's AppTest can upload: ``file_uploader.set_value([(name, bytes, mime), …])`` hands the
files to the script as the browser would, so the whole import runs here — the progress bar, the
summary and the problems — and the browser test (``tests/e2e/test_browser_transfer.py``) only
checks the real upload path. Downloads are captured where Streamlit registers their builder and
run as Streamlit runs them, after the script.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

from tests.transfer_helpers import CHATGPT, LMSTUDIO, OPENWEBUI, counts
from tests.ui.conftest import texts
from tests.ui.test_history_page import chat_with, downloads, table_titles

__all__ = ["downloads"]  # a fixture, used by name


def built(build: Callable[[], Any]) -> bytes:
    handle = build()
    handle.seek(0)
    return bytes(handle.read())


def test_export_offers_csv_json_and_markdown_with_csv_options_only_for_csv(
    app_db: None, page: Any, downloads: dict[str, Callable[[], Any]]
) -> None:
    paella = chat_with("Paella", ("¿arroz?", "sí"))
    chat_with("Travel", ("Lisbon?", "lovely"))
    at = page("history").run()
    radio = at.radio(key="hist.format")
    assert radio.value == "csv"
    assert radio.options == ["CSV", "JSON (Charla)", "Markdown"]
    assert at.toggle(key="hist.safe").value is True  # CSV: the spreadsheet options
    assert [b.label for b in at.download_button] == [
        "Selected chat",
        "Filtered chats (2)",
        "Everything (2)",
    ]

    radio.set_value("json").run()
    assert not at.toggle  # the CSV options are for CSV only
    assert "every version of every message" in " ".join(c.value for c in at.caption)
    document = json.loads(built(downloads[next(n for n in downloads if n.endswith(".json"))]))
    assert (document["format"], len(document["chats"])) == ("charla", 2)

    at.selectbox(key="hist.pick").set_value(paella).run()
    assert not at.download_button[0].disabled
    one = json.loads(built(downloads[f"charla-chat-{paella}.json"]))
    assert [c["title"] for c in one["chats"]] == ["Paella"]

    at.radio(key="hist.format").set_value("markdown").run()
    single = built(downloads[f"charla-chat-{paella}.md"]).decode("utf-8")
    assert single.startswith('---\ntitle: "Paella"\n') and "## You · " in single
    everything = next(n for n in downloads if n.startswith("charla-all-") and n.endswith(".zip"))
    with zipfile.ZipFile(io.BytesIO(built(downloads[everything]))) as box:
        assert len(box.namelist()) == 2


def test_import_shows_progress_summary_and_every_problem(app_db: None, page: Any) -> None:
    at = page("history").run()
    assert "No chats yet" in texts(at)
    assert at.button(key="hist.import.run").disabled  # nothing chosen yet
    at.file_uploader[0].set_value(
        [
            ("conversations.json", CHATGPT.read_bytes(), "application/json"),
            (LMSTUDIO.name, LMSTUDIO.read_bytes(), "application/json"),
            (OPENWEBUI.name, OPENWEBUI.read_bytes(), "application/json"),
            ("notes.json", b'{"hello": "world"}', "application/json"),
        ]
    ).run()
    assert counts() == (0, 0)  # choosing files imports nothing
    at.button(key="hist.import.run").click().run()
    assert not at.exception

    assert counts() == (5, 21)
    (bar,) = at.get("progress")
    assert (bar.proto.value, bar.proto.text) == (100, "5 / 5 conversations")
    assert [w.value for w in at.warning] == [
        "Chats added: 5; messages: 21; already here, skipped: 0."
    ]
    captions = [c.value for c in at.caption]
    assert "conversations.json: chats added: 2; messages: 9; already here: 0." in captions
    assert "notes.json: chats added: 0; messages: 0; already here: 0." in captions
    problems = [m.value for m in at.markdown if m.value.startswith("- notes.json")]
    assert len(problems) == 1 and "not a chat export Charla knows" in problems[0]
    assert sorted(table_titles(at)) == sorted(
        [
            "Paella 🥘 para seis",
            "Tokyo weather",
            "Código: un botón que huye",
            "🧠 Goldwater Rule Ethics",
            "Shell",
        ]
    )
    assert not at.file_uploader[0].value  # emptied for the next import

    at.file_uploader[0].set_value([(LMSTUDIO.name, LMSTUDIO.read_bytes(), "application/json")])
    at.run()
    at.button(key="hist.import.run").click().run()
    assert [s.value for s in at.success] == [
        "Chats added: 0; messages: 0; already here, skipped: 1."
    ]
    assert counts() == (5, 21)


def test_import_section_in_spanish(
    app_db: None, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.ui.conftest import reset_process_state

    monkeypatch.setenv("APP_LANGUAGE", "es")
    reset_process_state()
    at = page("history").run()
    assert at.button(key="hist.import.run").label == "Importar"
    at.file_uploader[0].set_value([("x.json", b"[{", "application/json")]).run()
    at.button(key="hist.import.run").click().run()
    problems = [m.value for m in at.markdown if m.value.startswith("- x.json")]
    assert "el JSON termina antes de tiempo" in problems[0]
    assert "Chats añadidos: 0; mensajes: 0" in at.warning[0].value


def test_the_rows_selected_in_the_table_are_exported_together(
    app_db: None, page: Any, downloads: dict[str, Callable[[], Any]]
) -> None:
    ids = [chat_with(title, ("q", "a")) for title in ("One", "Two", "Three")]
    at = page("history").run()
    at.radio(key="hist.format").set_value("json").run()
    key = at.dataframe[0].key
    assert table_titles(at) == ["Three", "Two", "One"]

    at.session_state[key] = {"selection": {"rows": [0, 2], "columns": [], "cells": []}}
    at.run()
    assert at.download_button[0].label == "Selected chats (2)"
    assert at.selectbox(key="hist.pick").value == ids[0]  # the row selected last is read
    name = next(n for n in downloads if n.startswith("charla-chats-") and n.endswith(".json"))
    document = json.loads(built(downloads[name]))
    assert [c["title"] for c in document["chats"]] == ["One", "Three"]

    at.session_state[key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()  # "One" unselected: the chat still selected is read, and is the one exported
    assert at.selectbox(key="hist.pick").value == ids[2]
    assert at.download_button[0].label == "Selected chat"
    one = json.loads(built(downloads[f"charla-chat-{ids[2]}.json"]))
    assert [c["title"] for c in one["chats"]] == ["Three"]
