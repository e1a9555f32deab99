"""``python -m core.cli export`` and ``import`` (``core/cli/transfer.py``), on SQLite and PostgreSQL.

Checked: every format to ``--out`` with ``--chat`` and ``--query`` (alone and together) choosing the
chats; an unknown chat is one sentence and no file; ``import`` takes files, folders and zips, shows
its progress on standard error, prints the summary, exits 0 when everything went in (duplicates
too) and 1 with one line per problem otherwise; and the real command in a child process, whose exit
status a shell script sees.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from core.cli import main
from core.cli.transfer import ProgressBar
from core.i18n import t
from tests.transfer_helpers import CHATGPT, LMSTUDIO, OPENWEBUI, counts, rich_chats

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_export_every_format_with_chat_and_query(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = rich_chats()
    out = tmp_path / "all.json"
    assert main(["export", "--format", "json", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"Exported to {out}: chats: 3; messages: 19.\n"
    document = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(c["id"] for c in document["chats"]) == sorted(ids.values())

    one = tmp_path / "paella.json"
    assert (
        main(["export", "--format", "json", "--chat", str(ids["paella"]), "--out", str(one)]) == 0
    )
    assert [c["id"] for c in json.loads(one.read_bytes())["chats"]] == [ids["paella"]]

    # --query: the History page's search (titles and messages); with --chat, both must hold.
    found = tmp_path / "arroz.zip"
    assert main(["export", "--format", "markdown", "--query", "arroz", "--out", str(found)]) == 0
    with zipfile.ZipFile(found) as box:
        assert [name.split("-")[0] for name in box.namelist()] == [str(ids["paella"])]
    neither = tmp_path / "none.json"
    chat = str(ids["texts"])
    both = ["--chat", chat, "--query", "arroz"]
    assert main(["export", "--format", "json", *both, "--out", str(neither)]) == 0
    assert json.loads(neither.read_bytes())["chats"] == []

    page = tmp_path / "paella.md"
    paella = ["--chat", str(ids["paella"])]
    assert main(["export", "--format", "markdown", *paella, "--out", str(page)]) == 0
    assert page.read_text(encoding="utf-8").startswith('---\ntitle: "Paella «valenciana»')

    table = tmp_path / "texts.csv"
    assert main(["export", "--format", "csv", "--chat", chat, "--out", str(table), "--exact"]) == 0
    rows = list(csv.DictReader(io.StringIO(table.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 14 and rows[-1]["content"] == "1+1="  # exact: no quote before "="
    assert capsys.readouterr().out.splitlines()[-1] == f"Exported to {table}: messages: 14."


def test_export_of_a_chat_that_does_not_exist_is_one_sentence_and_no_file(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rich_chats()
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "x.json"
    assert main(["export", "--format", "json", "--chat", "987654", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "987654" in err and "Traceback" not in err
    assert list(folder.iterdir()) == []  # no file, not even a half-written one


def test_import_exit_status_progress_and_one_line_per_problem(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "lmstudio"
    folder.mkdir()
    (folder / LMSTUDIO.name).write_bytes(LMSTUDIO.read_bytes())
    (folder / "notes.txt").write_text("not a chat")  # inside a folder: passed over quietly
    assert main(["import", str(CHATGPT), str(folder), str(OPENWEBUI)]) == 0
    out, err = capsys.readouterr()
    assert out == "Chats added: 5; messages: 21; already here, skipped: 0.\n"
    # Not a terminal: a line at each tenth of the way, ending with the whole.
    assert err.splitlines()[0] == "[" + "." * 30 + "] 0 / 5 conversations"
    assert err.splitlines()[-1] == "[" + "#" * 30 + "] 5 / 5 conversations"

    bad = tmp_path / "bad.json"
    bad.write_bytes(b'[{"title": "cut')
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    missing = tmp_path / "nowhere.json"
    assert main(["import", str(bad), str(LMSTUDIO), str(empty), str(missing)]) == 1
    out, err = capsys.readouterr()
    assert out == "Chats added: 0; messages: 0; already here, skipped: 1.\n"  # LM Studio, again
    problems = [line for line in err.splitlines() if not line.startswith("[")]
    assert problems == [
        f"{bad}: {t('transfer.truncated')}",
        f"{empty}: the file is empty: nothing to import.",
        f"{missing}: no such file or folder.",
    ]
    assert counts() == (5, 21)


def test_progress_bar_on_a_terminal_is_redrawn_in_place() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    bar = ProgressBar(screen, "es")
    bar(0, 2_000)
    bar(1, 2_000)  # too soon after the last drawing: skipped
    bar(2_000, 2_000)  # the end is always drawn
    assert screen.getvalue() == (
        "\r[" + "." * 30 + "] 0 / 2.000 conversaciones"
        "\r[" + "#" * 30 + "] 2.000 / 2.000 conversaciones\n"
    )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_command_exits_1_for_a_shell_when_a_file_did_not_go_in(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": "world"}')
    env = {**os.environ, "DATABASE_URL": db, "APP_LANGUAGE": "en", "PYTHONPATH": str(PROJECT_ROOT)}
    command = [sys.executable, "-m", "core.cli", "import", str(LMSTUDIO), str(bad)]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout == "Chats added: 1; messages: 5; already here, skipped: 0.\n"
    assert done.stderr.splitlines()[-1].startswith(f"{bad}: ")
    assert "Traceback" not in done.stderr
