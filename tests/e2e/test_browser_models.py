"""Models under control in a real browser, against the fake LM Studio 0.4 server in its own
process: a chat whose model is not loaded says the first answer loads it, shows "loading model…"
while the server loads it (the fake takes 2 s), and the answer's caption gives the load time
apart from its first token; then, on the settings page, a model is unloaded and loaded again
(the running status shown while the fake takes its 2 s)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import StartApp
from tests.e2e.helpers import (
    ASSISTANT,
    CAPTION,
    FakeServerProcess,
    new_tab,
    open_app,
    settled,
    type_message,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MODEL = "qwen3-8b"  # not loaded in the fake at first


@pytest.fixture
def lmstudio() -> Iterator[FakeServerProcess]:
    server = FakeServerProcess(flavor="lmstudio-v1", load_delay=2.0).start()
    yield server
    server.stop()


def test_a_model_is_loaded_for_the_first_answer_then_unloaded_and_loaded_again(
    browser: Any, start_app: StartApp, lmstudio: FakeServerProcess, db_path: Path
) -> None:
    app = start_app(lmstudio.url, MODEL)
    context = browser.new_context()
    tab = new_tab(context)
    try:
        open_app(tab, app.url)
        tab.get_by_text(f"{MODEL} is not loaded: the first answer loads it").wait_for()
        type_message(tab, "Hola")
        tab.locator(ASSISTANT).get_by_text("loading model…").wait_for()
        settled(tab, db_path, 1)
        tab.locator(f"{ASSISTANT} {CAPTION}").get_by_text("model loaded in 1.2 s").wait_for()
        caption = tab.locator(f"{ASSISTANT} {CAPTION}").last.inner_text()
        assert "model loaded in 1.2 s" in caption and "first token" in caption
        with sqlite3.connect(db_path) as conn:
            (load_time,) = conn.execute(
                "SELECT load_time FROM messages WHERE sender = 'llm'"
            ).fetchone()
        assert load_time == 1.25
        assert lmstudio.lifecycle() == [{"path": "/api/v1/models/load", "json": {"model": MODEL}}]

        tab.goto(f"{app.url}/settings")
        wait_idle(tab)
        tab.get_by_role("button", name="Unload").click()  # the first model, loaded
        tab.get_by_text("smollm2-135m-instruct unloaded.").wait_for()
        wait_idle(tab)
        tab.get_by_role("button", name="Load", exact=True).click()
        # The context field kept what the model ran with (4,096): that is what is asked.
        tab.get_by_text("Loading smollm2-135m-instruct with 4,096 tokens of context…").wait_for()
        tab.get_by_text("smollm2-135m-instruct loaded in 1.2 s.").wait_for()
        assert lmstudio.lifecycle()[1:] == [
            {"path": "/api/v1/models/unload", "json": {"instance_id": "smollm2-135m-instruct"}},
            {
                "path": "/api/v1/models/load",
                "json": {"model": "smollm2-135m-instruct", "context_length": 4096},
            },
        ]
    finally:
        context.close()
