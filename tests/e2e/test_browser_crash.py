"""SIGKILL the real app while an answer streams into the browser, then start it again (issue 5).

``tests/reliability/test_crash.py`` kills a process that drives the chat service, many times; this
is the same crash for the real thing, a few times: ``streamlit run`` answering a browser from the
fake server's ``fake-slow`` model (a "tick " every 50 ms until the client hangs up). Once answer
text is on screen and some of it is saved, the app process gets SIGKILL. A new app process on the
same database must then show the answer as interrupted — not as still being written — with the text
that was saved, store it as ``stopped``/``interrupted``, and the database must pass its integrity
check.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from core.i18n import t
from tests.e2e.helpers import (
    ASSISTANT,
    CAPTION,
    USER,
    WAIT_MS,
    FakeServerProcess,
    answers,
    open_app,
    rows,
    type_message,
    wait_for,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTION = "Count for me, forever"
INTERRUPTED = t("msg.status_interrupted", "en")


def integrity(db_path: Path) -> str:
    with sqlite3.connect(db_path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.mark.parametrize("trial", range(1, 4))
def test_an_answer_cut_by_sigkill_is_shown_as_interrupted_after_a_restart(
    trial: int, fake_process: FakeServerProcess, start_app: Any, tab: Any, db_path: Path
) -> None:
    app = start_app(fake_process.url, "fake-slow")
    open_app(tab, app.url)
    type_message(tab, QUESTION)
    tab.locator(ASSISTANT).last.get_by_text("tick tick tick").wait_for()
    # Some of it is saved (every 0.5 s) before the kill, so there is a partial answer to keep.
    saved = wait_for(
        lambda: next((a["content"] for a in answers(db_path) if a["content"]), None),
        "the streaming answer's first save",
    )
    app.kill()
    assert app.process is not None and app.process.returncode == -9

    assert integrity(db_path) == "ok"
    (answer,) = answers(db_path)
    assert answer["status"] == "streaming"  # nobody could finish it

    again = start_app(fake_process.url, "fake-slow")  # same database
    open_app(tab, f"{again.url}/?chat={rows(db_path)[0]['chat_id']}")
    wait_idle(tab)
    shown = tab.locator(f"{ASSISTANT}:has({CAPTION})").last
    shown.locator(CAPTION).get_by_text(INTERRUPTED).wait_for()

    user, answer = rows(db_path)
    assert (user["sender"], user["content"], user["status"]) == ("user", QUESTION, "complete")
    assert (answer["status"], answer["error_code"]) == ("stopped", "error.interrupted")
    assert answer["content"].startswith(saved)  # what had been saved is still there
    assert answer["content"] == "tick " * (len(answer["content"]) // 5)
    expect(shown).to_contain_text(answer["content"].strip(), timeout=WAIT_MS)
    expect(tab.locator(USER).first).to_contain_text(QUESTION, timeout=WAIT_MS)
    expect(shown).not_to_contain_text("being written", timeout=WAIT_MS)
    assert integrity(db_path) == "ok"
