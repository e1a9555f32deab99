"""What the browser tests share: selectors, the fake server as a process, waits, database reads.

Waits are generous and event-based (script state, DOM, database rows): a deadline to give up,
never an assertion on how long something took.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from core.i18n import stored_error_text
from devtools.servers import _HTTPProcess, free_port

CHROMIUM = "/usr/bin/chromium"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHAT_INPUT = '[data-testid="stChatInputTextArea"]'
STOP = '[class*="st-key-stop-"] button'  # the Stop button of the answer being written
MESSAGE = '[data-testid="stChatMessage"]'
ASSISTANT = f'{MESSAGE}:has([data-testid="stChatMessageAvatarAssistant"])'
USER = f'{MESSAGE}:has([data-testid="stChatMessageAvatarUser"])'
ALERT = '[data-testid="stAlert"]'
CAPTION = '[data-testid="stCaptionContainer"]'
WAIT_MS = 120_000  # the longest wait for the app (a model on a slow CPU)
LIVE_CAPTIONS = ["being written", "escribiéndose"]  # msg.status_streaming, en and es
WAIT_S = WAIT_MS / 1000


class FakeServerProcess(_HTTPProcess):
    """The fake LLM server in its own process (the app under test runs in another process).

    ``port`` 0 picks a free one; give one to put the server where an app already looks for it.
    """

    name = "fake-llm"

    def __init__(
        self,
        *,
        port: int = 0,
        api_key: str | None = None,
        flavor: str | None = None,
        load_delay: float = 0.0,
    ) -> None:
        super().__init__()
        self.requested_port = port
        self.api_key = api_key
        self.flavor = flavor  # the fake's API flavor (default: LM Studio's v0)
        self.load_delay = load_delay

    def _start(self) -> None:
        self.port = self.requested_port or free_port()
        command = [sys.executable, "-m", "tests.fakes.fake_llm_server", "--port", str(self.port)]
        if self.api_key:
            command += ["--api-key", self.api_key]
        if self.flavor:
            command += ["--flavor", self.flavor]
        if self.load_delay:
            command += ["--load-delay", str(self.load_delay)]
        self._spawn(command, ready_path="/__fake__/requests", timeout=30, env={})

    def enqueue(self, **reply: Any) -> None:
        httpx.post(f"{self.url}/__fake__/enqueue", json=reply, timeout=10).raise_for_status()

    def lifecycle(self) -> list[dict[str, Any]]:
        """The load/unload requests received (LM Studio 0.4 flavor)."""
        return list(httpx.get(f"{self.url}/__fake__/lifecycle", timeout=10).json())

    def disconnects(self) -> int:
        return int(httpx.get(f"{self.url}/__fake__/disconnects", timeout=10).json()["disconnects"])


# --- the database ---------------------------------------------------------------------------------
def rows(db_path: Path) -> list[dict[str, Any]]:
    """The stored messages, oldest first."""
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        found = conn.execute(
            "SELECT id, chat_id, sender, content, reasoning, status, error, error_code,"
            " error_params, model, params, prompt_tokens, completion_tokens, finish_reason,"
            " parent_id, selected"
            " FROM messages ORDER BY id"
        ).fetchall()
    result = [dict(row) for row in found]
    for row in result:
        row["params"] = json.loads(row["params"]) if row["params"] else {}
        row["error_params"] = json.loads(row["error_params"]) if row["error_params"] else {}
        # The sentence a reader of English is shown for the stored error code.
        row["error_text"] = stored_error_text(
            row["error_code"], row["error_params"], row["error"], "en"
        )
    return result


def answers(db_path: Path) -> list[dict[str, Any]]:
    return [row for row in rows(db_path) if row["sender"] == "llm"]


def wait_for(check: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    """Poll ``check`` until it returns something truthy (not a timing assertion: a deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except sqlite3.OperationalError:  # the app has not created the tables yet
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def finished_answer(db_path: Path, count: int) -> dict[str, Any]:
    """Wait until the ``count``-th answer is no longer streaming and return it."""

    def done() -> dict[str, Any] | None:
        found = answers(db_path)
        if len(found) >= count and found[count - 1]["status"] != "streaming":
            return found[count - 1]
        return None

    return wait_for(done, f"answer {count} to finish")  # type: ignore[no-any-return]


# --- the page -------------------------------------------------------------------------------------
def new_tab(context: Any) -> Any:
    """A page that records the dialogs it is shown (and dismisses them)."""
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    return page


def open_app(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(IDLE)
    page.wait_for_selector(CHAT_INPUT)


def type_message(page: Any, text: str) -> None:
    page.fill(CHAT_INPUT, text)
    page.keyboard.press("Enter")


def wait_idle(page: Any) -> None:
    page.wait_for_selector(IDLE)


def last_answer_text(page: Any) -> str:
    return str(page.locator(ASSISTANT).last.inner_text())


def settled(page: Any, db_path: Path, count: int) -> dict[str, Any]:
    """Wait until the ``count``-th answer is finished in the database and drawn as stored (the
    page reran and is idle); return its row."""
    answer = finished_answer(db_path, count)
    # Drawn as stored: ``count`` answers with a caption, none of them still the live rendering
    # ("being written"), which the page replaces when its watcher sees the answer ended.
    page.wait_for_function(
        """([selector, count, live]) => {
          const drawn = [...document.querySelectorAll(selector)];
          return drawn.length >= count && !drawn.some((b) => live.some((w) => b.innerText.includes(w)));
        }""",
        arg=[f"{ASSISTANT}:has({CAPTION})", count, LIVE_CAPTIONS],
        timeout=WAIT_MS,
    )
    wait_idle(page)
    return answer
