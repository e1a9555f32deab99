"""Issue 9 §3 in a real browser: the copy button, people's messages shown as typed, the sidebar's
day groups in the browser's time zone, and switching chats while an answer streams.

Each was seen broken in Chromium, so each is checked there: against a real ``streamlit run``, the
fake model server as a process, and the test's own SQLite file. Waits are deadlines, never timing
assertions.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    ASSISTANT,
    USER,
    WAIT_MS,
    FakeServerProcess,
    answers,
    open_app,
    rows,
    settled,
    type_message,
    wait_for,
    wait_idle,
)
from ui import dates

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COPY = "button[data-charla-copy]"
LITERAL = ".charla-literal"
SIDEBAR = '[data-testid="stSidebar"]'
# The sidebar's visible captions and buttons, in document order (a button with a tooltip is
# also drawn once more, hidden).
SIDEBAR_LINES = """(sidebar) => [...document.querySelectorAll(
  `${sidebar} [data-testid="stCaptionContainer"], ${sidebar} button`)]
  .filter((e) => e.checkVisibility()).map((e) => e.innerText.trim())"""

# Quotes, markup that must stay inert, accents, emoji, leading spaces, blank lines, Markdown.
TRICKY = (
    "He said \"hi\" & 'bye' <b>not bold</b>\n"
    "<script>alert(1)</script><script>window.__xss = 1</script>\n"
    '<img src=x onerror="window.__xss = 2"> --> ]]>\n'
    "  café, ñandú, über — 😀👍🏽\n"
    "\n"
    "# not a heading\n"
    "    four spaces, *not italic*"
)
ANSWER = [
    "**Bold** answer with `code` and <script>window.__xss = 3</script>\n\n",
    "- item «uno»\n- emoji 🎉\n\n",
    "    indented code\n",
]
LITERAL_MESSAGE = "# Title\n*not italic*\n1. not a list\n   three spaces,  two  gaps\n\n> no quote"


COPIED = "(b) => b.dataset.state === 'copied' && b.textContent === 'Copied'"


def _copy_and_read(tab: Any, bubble: Any) -> str:
    """Click the bubble's copy button, wait for "Copied", return what the clipboard holds."""
    tab.evaluate("navigator.clipboard.writeText('')")
    button = bubble.locator(COPY)
    button.click()
    tab.wait_for_function(COPIED, arg=button.element_handle(), timeout=10_000)
    return str(tab.evaluate("navigator.clipboard.readText()"))


def test_copy_puts_the_exact_stored_text_on_the_clipboard_and_runs_nothing(
    fake_process: FakeServerProcess, start_app: Any, tab: Any, db_path: Path
) -> None:
    fake_process.enqueue(chunks=ANSWER)
    app = start_app(fake_process.url)
    tab.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.url)
    open_app(tab, app.url)
    type_message(tab, TRICKY)
    answer = settled(tab, db_path, 1)
    question = rows(db_path)[0]
    assert question["content"] == TRICKY  # stored as typed
    assert answer["content"] == "".join(ANSWER)

    user, assistant = tab.locator(USER).first, tab.locator(ASSISTANT).first
    expect(tab.locator(COPY)).to_have_count(2, timeout=WAIT_MS)  # one per message
    assert _copy_and_read(tab, user) == question["content"]
    assert _copy_and_read(tab, assistant) == answer["content"]  # the Markdown source
    user.locator(COPY).get_by_text("Copy", exact=True).wait_for()  # the label comes back

    # Where the Clipboard API is missing or refused (a plain-http origin), execCommand copies.
    tab.evaluate("navigator.clipboard.writeText('')")
    tab.evaluate("() => { navigator.clipboard.writeText = () => Promise.reject(new Error('no')); }")
    user.locator(COPY).click()
    tab.wait_for_function(COPIED, arg=user.locator(COPY).element_handle())
    assert tab.evaluate("navigator.clipboard.readText()") == question["content"]

    # Nothing from the messages ran, and no script element is left in a bubble.
    assert tab.evaluate("window.__xss") is None
    assert tab.dialogs == []
    for tag in ("script", "img", "b"):
        assert tab.locator(f"[data-testid='stChatMessage'] {tag}").count() == 0, tag


def test_a_persons_message_is_shown_exactly_as_typed(
    fake_process: FakeServerProcess, start_app: Any, tab: Any, db_path: Path
) -> None:
    app = start_app(fake_process.url)
    open_app(tab, app.url)
    type_message(tab, LITERAL_MESSAGE)
    settled(tab, db_path, 1)

    bubble = tab.locator(USER).first
    shown = bubble.locator(LITERAL)
    assert shown.text_content() == LITERAL_MESSAGE
    assert shown.inner_text() == LITERAL_MESSAGE  # as rendered: spaces and blank line kept
    for tag in ("h1", "em", "ol", "li", "blockquote"):
        assert bubble.locator(tag).count() == 0, f"a <{tag}> was made from the message"


def _insert_chat(db_path: Path, title: str, last_activity: datetime) -> None:
    stamp = last_activity.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "INSERT INTO chats (title, created_at, last_activity, message_count, own_settings,"
            " owner_id) VALUES (?, ?, ?, 0, 0, (SELECT id FROM users WHERE issuer = 'local'))",
            (title, stamp, stamp),
        )


def _zone_where_now_is(target_hour: int, now: datetime) -> str:
    """An ``Etc/GMT±h`` zone where the local time now is between ``target_hour`` and the next
    hour (``Etc/GMT-5`` is UTC+5: POSIX signs)."""
    hours = (target_hour - now.hour) % 24
    hours = hours - 24 if hours > 14 else hours
    return "Etc/GMT" + (f"{-hours:+d}" if hours else "")


def test_the_sidebar_groups_chats_by_day_in_the_browsers_time_zone(
    fake_process: FakeServerProcess, start_app: Any, browser: Any, db_path: Path
) -> None:
    now = datetime.now(UTC)
    # A zone where it is now between 01:00 and 02:00 (and not UTC, so the zone must be the one
    # used): a chat 3 hours ago is yesterday there, one 10 minutes ago is today.
    zone_name = next(
        name for name in (_zone_where_now_is(h, now) for h in (1, 3)) if name != "Etc/GMT"
    )
    hours_back = 3 if zone_name == _zone_where_now_is(1, now) else 5
    zone = dates.zone_from(zone_name, None)
    chats = {
        "Just now": now - timedelta(minutes=10),
        "Late last night": now - timedelta(hours=hours_back),
        "Some days ago": now - timedelta(days=4),
        "Long ago": now - timedelta(days=40),
    }
    expected = {title: dates.day_bucket(at, now, zone) for title, at in chats.items()}
    assert list(expected.values()) == list(dates.ORDER)  # the zone makes each its own group
    app = start_app(fake_process.url)
    context = browser.new_context(timezone_id=zone_name, viewport={"width": 1280, "height": 900})
    try:
        tab = context.new_page()
        open_app(tab, app.url)  # the app migrates the database on its first run
        for title, at in chats.items():
            _insert_chat(db_path, title, at)
        tab.reload()
        wait_idle(tab)
        tab.locator(SIDEBAR).get_by_role("button", name="Long ago").wait_for()
        lines = tab.evaluate(SIDEBAR_LINES, SIDEBAR)
    finally:
        context.close()
    headers = ["Today", "Yesterday", "Previous 7 days", "Older"]
    listed = [line for line in lines if line in headers or line in chats]
    assert listed == [
        "Today",
        "Just now",
        "Yesterday",
        "Late last night",
        "Previous 7 days",
        "Some days ago",
        "Older",
        "Long ago",
    ]


def test_clicking_another_chat_while_an_answer_streams_switches_at_once(
    fake_process: FakeServerProcess, start_app: Any, tab: Any, db_path: Path
) -> None:
    fake_process.enqueue(chunks=["The first chat's answer."])
    slow = [f"word{i} " for i in range(300)]  # 300 × 0.05 s: streams for about 15 s
    fake_process.enqueue(chunks=slow, delay_between=0.05)
    app = start_app(fake_process.url)
    open_app(tab, app.url)
    type_message(tab, "First chat question")
    settled(tab, db_path, 1)
    first_chat = rows(db_path)[0]["chat_id"]

    tab.locator(SIDEBAR).get_by_role("button", name="New chat").click()
    tab.get_by_text("Type a message below to start a chat.").wait_for()
    type_message(tab, "Second chat, a long answer please")
    # The long answer is streaming, on screen and in the database.
    tab.locator(ASSISTANT).get_by_text("word5", exact=False).wait_for()
    assert answers(db_path)[-1]["status"] == "streaming"

    # (by its key: the model may have titled the chat meanwhile)
    tab.locator(SIDEBAR).locator(f".st-key-chat-{first_chat} button").first.click()
    # A deadline, not a timing assertion: the other chat is shown long before the answer
    # (about 15 s) could have finished.
    tab.locator(USER).filter(has_text="First chat question").wait_for(timeout=8_000)
    tab.locator(ASSISTANT).filter(has_text="The first chat's answer.").wait_for(timeout=8_000)
    second = answers(db_path)[-1]
    assert second["status"] != "complete"
    assert len(second["content"]) < len("".join(slow))
    assert tab.locator(USER).filter(has_text="Second chat").count() == 0
    assert f"chat={first_chat}" in tab.url
    # The answer was not stopped by leaving its chat: a worker of the app goes on with it.

    def finished() -> dict[str, Any] | None:
        row = next(a for a in answers(db_path) if a["id"] == second["id"])
        return row if row["status"] != "streaming" else None

    done = wait_for(finished, "the answer to be finished")
    assert (done["status"], done["content"]) == ("complete", "".join(slow))
