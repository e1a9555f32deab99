"""Search in a real browser: type in History's search box, see the snippets with the words
highlighted, click one, land on the message in its chat — scrolled into view and outlined, even
though it is far behind the newest messages the chat page draws at first.

The chat is stored through the repositories before the app starts (what is tested is search, not
the model): 80 messages, the one searched for third, so it is behind "Show older". The model
server is the fake one; no answer is asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from core.conf import db as conf_db
from core.conf.db import session_scope
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository
from devtools.servers import StreamlitServer
from tests.e2e.helpers import IDLE, WAIT_MS, FakeServerProcess

TARGET = "The Fastnet lighthouse stands on a rock off the coast of Ireland."


def _seed(db_path: Path) -> int:
    """The chat searched; returns the target message's id."""
    conf_db.init_db(conf_db.configure(f"sqlite:///{db_path}"))
    with session_scope(write=True) as db:
        chat_id = ChatRepository(db).create("Lighthouses of the world").id
        messages = MessageRepository(db)
        target = 0
        for number in range(80):
            sender = "llm" if number % 2 else "user"
            text = TARGET if number == 3 else f"filler message number {number}"
            message = messages.create_message(chat_id, sender, text, model="qwen3-8b")
            if number == 3:
                target = message.id
    conf_db.reset()  # the app is another process; this one lets go of the file
    return target


def test_type_in_history_see_highlights_click_and_land_on_the_message(
    fake_process: FakeServerProcess, start_app: Any, tab: Any, db_path: Path
) -> None:
    target = _seed(db_path)
    app: StreamlitServer = start_app(fake_process.url)
    tab.goto(f"{app.url}/history")
    tab.wait_for_selector(IDLE, timeout=WAIT_MS)

    box = tab.get_by_placeholder('Words, "an exact phrase"')
    box.click()
    box.press_sequentially("FASTNET irel*", delay=30)  # no Enter: results come as you type
    marks = tab.locator(".charla-snippet mark")
    expect(marks.first).to_be_visible(timeout=WAIT_MS)
    assert marks.all_inner_texts() == ["Fastnet", "Ireland"]  # as written, accents/case folded
    expect(tab.get_by_text("1 message matches")).to_be_visible(timeout=WAIT_MS)

    hit = tab.locator(f".st-key-hit-open-{target}")
    hit.get_by_role("button", name="Lighthouses of the world").click()
    tab.wait_for_url(f"**/?*msg={target}*", timeout=WAIT_MS)
    tab.wait_for_selector(IDLE, timeout=WAIT_MS)
    bubble = tab.locator(f'[data-testid="stChatMessage"]:has(.st-key-msg-bar-{target})')
    expect(bubble).to_contain_text(TARGET, timeout=WAIT_MS)
    expect(bubble).to_be_in_viewport(timeout=WAIT_MS)  # scrolled to
    outline = bubble.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline == "solid"  # highlighted
    assert "chat=" in tab.url
