"""Answers that outlive the page (issue 9), in a real browser against real ``streamlit run``s.

- Reloading mid-answer does not stop it: the answer completes and the reloaded page shows it
  (the real llama.cpp engine).
- Switching to another chat mid-answer and writing there, then coming back: the answer is complete.
- Two tabs on one chat both show the live answer; Stop in one stops both, and both show "stopped"
  with the actions at once.
- Two app processes on one PostgreSQL: an answer one process generates is followed, and stopped,
  from a page served by the other.
- A small real context (1,024 tokens): a long chat keeps answering, with the context meter and the
  messages no longer sent dimmed; every answer records its prompt's size.

Waits are deadlines on events (database rows, DOM text), never assertions on durations.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from core.conf import db as conf_db
from core.conf.db import session_scope
from core.repositories.app_settings import AppSettingsRepository
from core.schemas import ChatSettings
from devtools.servers import LlamaServer, PostgresServer, StreamlitServer
from tests.e2e.helpers import (
    ASSISTANT,
    CAPTION,
    IDLE,
    STOP,
    WAIT_MS,
    FakeServerProcess,
    answers,
    finished_answer,
    new_tab,
    open_app,
    rows,
    type_message,
    wait_for,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLOW = {"chunks": [f"w{i} " for i in range(80)], "delay_between": 0.1}  # about 8 s


def seed_defaults(db_path: Path, settings: ChatSettings) -> None:
    """Save generation defaults in the app's database before the app starts."""
    conf_db.configure(f"sqlite:///{db_path}")
    try:
        conf_db.init_db()
        with session_scope(write=True) as db:
            AppSettingsRepository(db).set_generation_defaults(settings)
    finally:
        conf_db.reset()


def live_text(tab: Any) -> str:
    return str(tab.locator(ASSISTANT).last.inner_text())


@pytest.mark.engine
def test_reloading_mid_answer_does_not_stop_it(
    llama_server: LlamaServer, start_app: Any, tab: Any, db_path: Path
) -> None:
    seed_defaults(db_path, ChatSettings(temperature=0.0, max_tokens=400))
    app = start_app(llama_server.url, llama_server.model)
    open_app(tab, app.url)
    type_message(tab, "Count from 1 to 300, one number per line.")
    wait_for(lambda: any(a["content"] for a in answers(db_path)), "the first save")
    tab.reload()  # the session that asked for the answer is gone
    answer = finished_answer(db_path, 1)
    assert answer["status"] == "complete", answer
    wait_idle(tab)
    # The reloaded page shows the whole answer as stored: its caption counts all its tokens.
    caption = tab.locator(f"{ASSISTANT}:has({CAPTION})").last.locator(CAPTION).first
    caption.get_by_text(f"{answer['completion_tokens']} tokens").wait_for()


def test_going_to_history_or_closing_the_tab_mid_answer_does_not_stop_it(
    fake_process: FakeServerProcess, start_app: Any, tab: Any, browser: Any, db_path: Path
) -> None:
    app = start_app(fake_process.url)
    open_app(tab, app.url)
    fake_process.enqueue(**SLOW)
    type_message(tab, "A long answer, please")
    tab.locator(ASSISTANT).last.get_by_text("w3").wait_for()
    tab.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="History").click()
    tab.wait_for_selector(IDLE, timeout=WAIT_MS)
    assert answers(db_path)[-1]["status"] == "streaming"  # left the chat page mid-answer
    answer = finished_answer(db_path, 1)
    assert answer["status"] == "complete" and "w79" in answer["content"], answer

    # A second answer, and this time the only tab showing it is closed mid-answer.
    other = new_tab(browser.new_context(viewport={"width": 1280, "height": 900}))
    open_app(other, app.url)
    fake_process.enqueue(**SLOW)
    type_message(other, "Another long one")
    other.locator(ASSISTANT).last.get_by_text("w3").wait_for()
    other.context.close()
    answer = finished_answer(db_path, 2)
    assert answer["status"] == "complete" and "w79" in answer["content"], answer


def test_switching_chats_mid_answer_and_writing_elsewhere(
    fake_process: FakeServerProcess, start_app: Any, tab: Any, db_path: Path
) -> None:
    app = start_app(fake_process.url)
    open_app(tab, app.url)
    type_message(tab, "An older chat")
    older_chat = finished_answer(db_path, 1)["chat_id"]
    wait_idle(tab)
    tab.get_by_role("button", name="New chat").click()
    wait_idle(tab)
    fake_process.enqueue(**SLOW)
    type_message(tab, "A long answer, please")
    tab.locator(ASSISTANT).last.get_by_text("w3").wait_for()
    long_chat = rows(db_path)[-1]["chat_id"]

    sidebar = tab.locator('[data-testid="stSidebar"]')
    sidebar.locator(f".st-key-chat-{older_chat} button").first.click()  # at once, mid-answer
    tab.locator(ASSISTANT).last.get_by_text("Hello from the fake server.").wait_for()
    assert answers(db_path)[-1]["status"] == "streaming"  # switched before the answer ended
    type_message(tab, "Meanwhile, here")  # another chat answers meanwhile
    wait_for(lambda: len(answers(db_path)) == 3, "the other chat's answer")

    sidebar.locator(f".st-key-chat-{long_chat} button").first.click()
    answer = finished_answer(db_path, 2)
    assert answer["chat_id"] == long_chat and answer["status"] == "complete"
    assert answer["content"] == "".join(SLOW["chunks"])
    tab.locator(f"{ASSISTANT}:has({CAPTION})").last.get_by_text("w79").wait_for()


def test_two_tabs_follow_one_answer_and_stop_in_one_stops_both(
    fake_process: FakeServerProcess, start_app: Any, browser: Any, tab: Any, db_path: Path
) -> None:
    fake_process.enqueue(chunks=["tick "], delay_between=0.05, repeat_forever=True)
    app = start_app(fake_process.url)
    open_app(tab, app.url)
    type_message(tab, "Never stop")
    tab.locator(ASSISTANT).last.get_by_text("tick tick tick").wait_for()
    chat_id = rows(db_path)[0]["chat_id"]
    context = browser.new_context()
    other = new_tab(context)
    try:
        other.goto(f"{app.url}/?chat={chat_id}")
        other.locator(ASSISTANT).last.get_by_text("tick tick tick").wait_for()  # live there too
        before = len(live_text(other))
        other.wait_for_function(
            f"(n) => {{ const a = document.querySelectorAll('{ASSISTANT}');"
            " return a[a.length - 1].innerText.length > n + 20; }",
            arg=before,
        )  # and growing

        other.click(STOP)
        answer = finished_answer(db_path, 1)
        assert answer["status"] == "stopped"
        wait_for(lambda: fake_process.disconnects() >= 1, "the server to see the client leave")
        for page in (other, tab):
            shown = page.locator(f"{ASSISTANT}:has({CAPTION})").last
            shown.locator(CAPTION).get_by_text("stopped").wait_for()
            page.get_by_role("button", name="Regenerate").wait_for()
    finally:
        context.close()


@pytest.fixture
def two_apps_on_postgres(
    postgres_server: PostgresServer, fake_process: FakeServerProcess
) -> Iterator[tuple[StreamlitServer, StreamlitServer, str]]:
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    env = {
        "DATABASE_URL": postgres_server.url,
        "LM_STUDIO_URL": fake_process.url,
        "LM_STUDIO_MODEL": "",
        "APP_LANGUAGE": "en",
        "CHARLA_PASSWORD": "",
        "LM_STUDIO_API_KEY": "",
    }
    first = StreamlitServer(env=env).start()
    second = StreamlitServer(env=env).start()
    try:
        yield first, second, postgres_server.dsn()
    finally:
        first.stop()
        second.stop()


def test_another_app_process_follows_and_stops_an_answer(
    two_apps_on_postgres: tuple[StreamlitServer, StreamlitServer, str],
    fake_process: FakeServerProcess,
    browser: Any,
    tab: Any,
) -> None:
    first, second, dsn = two_apps_on_postgres
    fake_process.enqueue(chunks=["tick "], delay_between=0.05, repeat_forever=True)
    open_app(tab, first.url)
    type_message(tab, "Generated by the first process")
    tab.locator(ASSISTANT).last.get_by_text("tick tick tick").wait_for()

    def answer() -> tuple[Any, ...]:
        with psycopg.connect(dsn) as conn:
            row = conn.execute(
                "SELECT chat_id, status, length(content), writer FROM messages"
                " WHERE sender = 'llm' ORDER BY id DESC LIMIT 1"
            ).fetchone()
        assert row is not None
        return tuple(row)

    chat_id, _, _, writer = answer()
    context = browser.new_context()
    other = new_tab(context)
    try:
        other.goto(f"{second.url}/?chat={chat_id}")  # a page served by the other process
        other.locator(ASSISTANT).last.get_by_text("tick tick tick").wait_for()
        saved = answer()[2]
        other.wait_for_function(
            f"(n) => {{ const a = document.querySelectorAll('{ASSISTANT}');"
            " return a[a.length - 1].innerText.length > n + 10; }",
            arg=saved,
        )  # it follows the row the first process keeps saving
        other.click(STOP)
        wait_for(lambda: answer()[1] == "stopped", "the first process to stop its answer")
        wait_for(lambda: fake_process.disconnects() >= 1, "the server to see the client leave")
        other.locator(f"{ASSISTANT}:has({CAPTION})").last.locator(CAPTION).get_by_text(
            "stopped"
        ).wait_for()
        assert writer and str(first.process.pid) in writer  # type: ignore[union-attr]
    finally:
        context.close()


@pytest.mark.engine
def test_a_long_chat_keeps_answering_on_a_small_context(
    small_llama_server: LlamaServer, start_app: Any, tab: Any, db_path: Path
) -> None:
    seed_defaults(db_path, ChatSettings(temperature=0.0, seed=3, max_tokens=40))
    app = start_app(small_llama_server.url, small_llama_server.model)
    open_app(tab, app.url)
    turns = 7
    for turn in range(turns):
        type_message(tab, f"Question {turn}: tell me about {turn}. " + "Details, please. " * 25)
        answer = finished_answer(db_path, turn + 1)
        assert answer["status"] == "complete", answer
        wait_idle(tab)
    tab.get_by_text("/ 1,024 tokens").wait_for()  # the meter, once the window is known
    tab.get_by_text("Not sent to the model: outside its context.").first.wait_for()
    assert all(row["prompt_tokens"] for row in answers(db_path))


def test_a_message_typed_while_the_chat_answers_is_sent_when_it_ends(
    fake_process: FakeServerProcess, start_app: Any, tab: Any, db_path: Path
) -> None:
    fake_process.enqueue(**SLOW)
    app = start_app(fake_process.url)
    open_app(tab, app.url)
    type_message(tab, "A long answer, please")
    tab.locator(ASSISTANT).last.get_by_text("w3").wait_for()
    type_message(tab, "And then this")  # while the answer is still being written
    tab.get_by_text("Sent when the answer above ends.").wait_for()  # shown, waiting
    assert [r["content"] for r in rows(db_path) if r["sender"] == "user"] == [
        "A long answer, please"
    ]  # not sent yet: the chat takes one answer at a time
    second = finished_answer(db_path, 2)  # … and sent once the first answer ended
    assert second["status"] == "complete"
    users = [r["content"] for r in rows(db_path) if r["sender"] == "user"]
    assert users == ["A long answer, please", "And then this"]
    assert answers(db_path)[0]["content"] == "".join(SLOW["chunks"])  # the first one complete


def test_a_tab_left_open_shows_what_another_tab_does(
    fake_process: FakeServerProcess, start_app: Any, browser: Any, tab: Any, db_path: Path
) -> None:
    app = start_app(fake_process.url)
    open_app(tab, app.url)
    type_message(tab, "Opened in two tabs")
    chat_id = finished_answer(db_path, 1)["chat_id"]
    context = browser.new_context()
    other = new_tab(context)
    try:
        other.goto(f"{app.url}/?chat={chat_id}")
        wait_idle(other)  # the second tab is open and idle …
        fake_process.enqueue(**SLOW)
        type_message(tab, "Sent from the first tab")  # … when the first one sends
        other.get_by_text("Sent from the first tab").wait_for()  # no reload needed
        other.locator(ASSISTANT).last.get_by_text("w5").wait_for()  # and it follows the answer
    finally:
        context.close()
