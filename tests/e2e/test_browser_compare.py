"""Compare in a real browser against the real engine: SmolLM2 served under two model names by the
session's one llama.cpp server (its config-file mode). One prompt, both models: the page shows one
live column per model while the answers are written (text and statistics as they come), stores
both answers (versions of one question, each with its statistics), and "Keep this answer" opens
the chat page on that answer."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from core.conf import db as conf_db
from core.schemas import ChatSettings
from core.services.settings import save_defaults
from devtools.servers import LlamaServer, StreamlitServer
from tests.conftest import ENGINE_MODELS
from tests.e2e.helpers import ASSISTANT, IDLE, WAIT_MS, answers, wait_for

PROMPT = "Name two colours of the sea."
MAX_TOKENS = 48
LIVE = '[class*="st-key-cmp-live-"]'
RESULT = '[class*="st-key-cmp-answer-"]'


def _kind(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path) as conn:
        return [row[0] for row in conn.execute("SELECT kind FROM chats ORDER BY id")]


def _short_answers(db_path: Path) -> None:
    """Default settings for the app about to start: short answers (SmolLM2 rambles otherwise)."""
    conf_db.configure(f"sqlite:///{db_path}")
    try:
        conf_db.init_db()
        save_defaults(ChatSettings(max_tokens=MAX_TOKENS, temperature=0.0))
    finally:
        conf_db.reset()


def _pick_models(tab: Any, models: tuple[str, ...]) -> None:
    box = tab.locator('[data-testid="stMultiSelect"]').filter(has_text="Models")
    for model in models:
        box.click()
        tab.get_by_role("option", name=model, exact=True).click()
    tab.keyboard.press("Escape")


@pytest.mark.engine
@pytest.mark.browser
def test_two_models_answer_side_by_side_and_both_are_stored(
    llama_server: LlamaServer, start_app: Any, tab: Any, db_path: Path
) -> None:
    _short_answers(db_path)
    app: StreamlitServer = start_app(llama_server.url, "")
    tab.goto(f"{app.url}/compare")
    tab.wait_for_selector(IDLE, timeout=WAIT_MS)
    tab.locator(".st-key-cmp-prompt textarea").fill(PROMPT)
    _pick_models(tab, ENGINE_MODELS)
    tab.get_by_role("button", name="Compare", exact=True).click()

    # While the answers are written, one column per model, and text appears before the end.
    tab.wait_for_selector(LIVE, timeout=WAIT_MS)
    assert tab.locator(LIVE).count() == 2
    partial = live_stats = False
    deadline = time.monotonic() + WAIT_MS / 1000
    read = "sel => Array.from(document.querySelectorAll(sel)).map(e => e.innerText)"
    while (texts := tab.evaluate(read, LIVE)) and time.monotonic() < deadline:
        if any(a["status"] == "streaming" for a in answers(db_path)):
            # a column showed text, and its statistics, while an answer was still being written
            partial = partial or any(len(text.splitlines()) > 2 for text in texts)
            live_stats = live_stats or any("first token" in text for text in texts)
        time.sleep(0.05)
    assert partial and live_stats

    tab.wait_for_selector(RESULT, timeout=WAIT_MS)
    tab.wait_for_selector(IDLE, timeout=WAIT_MS)
    stored = wait_for(
        lambda: (
            found
            if len(found := answers(db_path)) == 2 and all(a["status"] == "complete" for a in found)
            else None
        ),
        "both answers stored",
    )
    assert [a["model"] for a in stored] == list(ENGINE_MODELS)
    assert stored[0]["parent_id"] == stored[1]["parent_id"]  # versions of one question
    assert all(a["content"].strip() and a["completion_tokens"] for a in stored)
    assert all(a["params"]["max_tokens"] == MAX_TOKENS for a in stored)  # same settings for both
    assert _kind(db_path) == ["comparison"]
    columns = tab.locator(RESULT)
    assert columns.count() == 2
    for i, answer in enumerate(stored):
        shown = columns.nth(i).locator(ASSISTANT)
        expect(shown).to_contain_text(answer["content"].split()[0], timeout=WAIT_MS)
        expect(columns.nth(i)).to_contain_text("tok/s", timeout=WAIT_MS)

    columns.nth(1).get_by_role("button", name="Keep this answer").click()
    tab.wait_for_url("**/?chat=*", timeout=WAIT_MS)
    tab.wait_for_selector(IDLE, timeout=WAIT_MS)
    bubbles = tab.locator(ASSISTANT)
    bubbles.first.wait_for(timeout=WAIT_MS)
    expect(bubbles.last).to_contain_text(stored[1]["content"].split()[0], timeout=WAIT_MS)
    expect(tab.locator("body")).to_contain_text(
        "2 / 2", timeout=WAIT_MS
    )  # the other answer stays a version
    assert _kind(db_path) == ["chat"]
