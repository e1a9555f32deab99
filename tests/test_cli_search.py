"""``python -m core.cli search`` on SQLite and PostgreSQL: hits as text and as JSON, the exit
status a script tests (0: found, 1: nothing), paging and one chat, odd input never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.cli import COMMANDS, main
from core.cli import search as search_command
from tests.chat_rows import chat_with


def test_search_is_a_registered_command() -> None:
    assert search_command in COMMANDS


def test_text_output_lists_hits_with_marked_snippets(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    chat_id = chat_with("Cocina", "¿Cómo se hace la paella?", "La PAELLA lleva arroz y azafrán.")
    chat_with("Otra", "nada que ver")
    assert main(["search", "paella"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "2 messages match"
    assert f"chat {chat_id} · " in out and "Cocina" in out and "qwen3-8b" in out
    assert "**paella**" in out and "**PAELLA**" in out


def test_json_output_paging_and_one_chat(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    first = chat_with("Uno", "kiwi one", "kiwi two")
    chat_with("Dos", "kiwi three")
    assert main(["search", "kiwi", "--json", "--limit", "2"]) == 0
    page = json.loads(capsys.readouterr().out)
    assert page["total"] == 3 and not page["estimated"] and len(page["hits"]) == 2
    hit = page["hits"][0]
    assert set(hit) >= {
        "chat_id",
        "message_id",
        "chat_title",
        "sender",
        "created_at",
        "snippet",
        "rank",
    }
    assert hit["created_at"].endswith("+00:00") and "**kiwi**" in hit["snippet"]
    assert main(["search", "kiwi", "--json", "--limit", "2", "--offset", "2"]) == 0
    assert len(json.loads(capsys.readouterr().out)["hits"]) == 1
    assert main(["search", "kiwi", "--json", "--chat", str(first)]) == 0
    assert {h["chat_id"] for h in json.loads(capsys.readouterr().out)["hits"]} == {first}


@pytest.mark.parametrize("query", ["nothing-here-xyz", '"open quote', "*", "AND(", "🙂"])
def test_no_match_or_odd_input_exits_1_with_a_sentence(
    db: str, capsys: pytest.CaptureFixture[str], query: str
) -> None:
    chat_with("Chat", "some words")
    assert main(["search", query]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.strip() and "Traceback" not in captured.err


def test_runs_as_a_module(db: str) -> None:
    chat_with("Chat", "zanahoria")
    done = subprocess.run(
        [sys.executable, "-m", "core.cli", "search", "ZANAHORIA", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [h["snippet"] for h in json.loads(done.stdout)["hits"]] == ["**zanahoria**"]
