"""Files and images through the chat input in Chromium: attach a text file and an image, send,
see them in the conversation (a chip and a thumbnail), reload and they are still there; the model
was sent the file's text and the image as a PNG data URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.attachment_files import image_bytes
from tests.e2e.helpers import USER, FakeServerProcess, open_app, rows, settled, wait_idle

FILE_INPUT = '[data-testid="stChatInput"] input[type="file"]'
CHAT_INPUT = '[data-testid="stChatInputTextArea"]'


@pytest.fixture
def openai_fake() -> Iterator[FakeServerProcess]:
    """The fake as a server that does not say which models see images (/v1/models only)."""
    server = FakeServerProcess(flavor="openai").start()
    yield server
    server.stop()


def test_a_file_and_an_image_are_sent_shown_and_kept_after_a_reload(
    openai_fake: FakeServerProcess, start_app: Any, tab: Any, db_path: Path
) -> None:
    app = start_app(openai_fake.url)
    openai_fake.enqueue(chunks=["Seen both."])
    open_app(tab, app.url)
    tab.set_input_files(
        FILE_INPUT,
        files=[
            {"name": "notes.md", "mimeType": "text/markdown", "buffer": b"- buy oranges"},
            {"name": "dot.png", "mimeType": "image/png", "buffer": image_bytes("PNG")},
        ],
    )
    tab.get_by_text("dot.png").first.wait_for()  # both staged in the input
    tab.fill(CHAT_INPUT, "What do you see?")
    tab.keyboard.press("Enter")
    settled(tab, db_path, 1)

    user = tab.locator(USER).first
    user.get_by_text("notes.md", exact=False).wait_for()
    user.locator('[data-testid="stImage"] img').wait_for()
    assert rows(db_path)[0]["content"] == "What do you see?"
    sent = httpx.get(f"{openai_fake.url}/__fake__/requests", timeout=10).json()[-1]["json"]
    text, image = sent["messages"][-1]["content"]
    assert text["text"] == '<file name="notes.md">\n- buy oranges\n</file>\n\nWhat do you see?'
    assert image["image_url"]["url"].startswith("data:image/png;base64,")

    tab.reload()
    wait_idle(tab)
    user = tab.locator(USER).first
    user.get_by_text("notes.md", exact=False).wait_for()
    user.locator('[data-testid="stImage"] img').wait_for()
    assert user.locator('[data-testid="stImage"] img').evaluate("i => i.naturalWidth") == 64
