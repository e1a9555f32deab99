"""The first three faults of issue 5 in a real browser: a real ``streamlit run``, headless Chromium.

The app is configured with ``LM_STUDIO_URL=http://127.0.0.1:<port>``, and at first the wrong thing
is on that port: nothing (server not running), a web server's HTML 404 page (wrong URL), or a fake
model server that wants an API key the app does not have (401). The user sends a message and sees
the explanation; the message is stored. Then the right thing takes the port — the fake model server,
without a key, as when LM Studio's server is started, the URL's other app is replaced, or
authentication is switched off — and the next message typed in the same page (no reload: a marker
set on ``window`` survives) is answered, stored and shown.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from devtools.servers import free_port
from tests.e2e.helpers import (
    ALERT,
    ASSISTANT,
    USER,
    WAIT_MS,
    FakeServerProcess,
    open_app,
    rows,
    settled,
    type_message,
)
from tests.fakes.fake_llm_server import Reply
from tests.fakes.web_page_server import WebPageServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTION = "Is anybody there?"
FOLLOW_UP = "Now are you there?"
NORMAL = "".join(Reply().chunks)
KEY = "sk-charla-browser-401"


def nothing(port: int) -> None:
    return None


def web_page(port: int) -> WebPageServer:
    return WebPageServer(port=port).start()


def key_protected_server(port: int) -> FakeServerProcess:
    return FakeServerProcess(port=port, api_key=KEY).start()


@dataclass(frozen=True)
class BrowserFault:
    id: str
    occupy: Callable[[int], Any]  # what listens on the app's port at first (None: nothing)
    advice: tuple[str, ...]  # the first one finds the alert


FAULTS = [
    BrowserFault(
        "server-not-running",
        nothing,
        ("Cannot reach the model server at", "Start LM Studio", "LM_STUDIO_URL"),
    ),
    BrowserFault(
        "wrong-url",
        web_page,
        ("not an OpenAI-compatible model server", "HTML page", "Check LM_STUDIO_URL"),
    ),
    BrowserFault(
        "401-no-api-key",
        key_protected_server,
        ("refused the request (HTTP 401)", "Set LM_STUDIO_API_KEY"),
    ),
]


@pytest.fixture
def servers() -> Iterator[contextlib.ExitStack]:
    """Servers a test starts, stopped at its end (``servers.callback(server.stop)``)."""
    with contextlib.ExitStack() as stack:
        yield stack


def one_line(text: str) -> str:
    """Text as the browser shows it: markdown code spans lose their backticks, spaces collapse."""
    return " ".join(text.replace("`", "").split())


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_fault_is_shown_the_message_kept_and_the_next_message_works(
    fault: BrowserFault,
    start_app: Any,
    tab: Any,
    db_path: Path,
    servers: contextlib.ExitStack,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    wrong = fault.occupy(port)
    if wrong is not None:
        servers.callback(wrong.stop)
    app = start_app(url)
    open_app(tab, app.url)
    tab.evaluate("window.__sameDocument = 'yes'")  # gone if the page ever reloads

    type_message(tab, QUESTION)
    failed = settled(tab, db_path, 1)
    alert = tab.locator(ALERT).filter(has_text=fault.advice[0])
    alert.wait_for()
    shown = alert.inner_text()
    for advice in fault.advice:
        assert advice in shown
    assert url in shown
    assert one_line(shown) == one_line(failed["error_text"])  # the stored error, shown
    assert failed["status"] == "error"
    user = rows(db_path)[0]
    assert (user["sender"], user["content"], user["status"]) == ("user", QUESTION, "complete")
    expect(tab.locator(USER).first).to_contain_text(QUESTION, timeout=WAIT_MS)  # drawn by now
    assert tab.get_by_role("button", name="Retry").is_visible()

    # The right server takes the port; the user just types the next message.
    if wrong is not None:
        wrong.stop()
    good = FakeServerProcess(port=port).start()
    servers.callback(good.stop)
    type_message(tab, FOLLOW_UP)
    answer = settled(tab, db_path, 2)
    assert (answer["status"], answer["content"]) == ("complete", NORMAL)
    tab.locator(ASSISTANT).last.get_by_text(NORMAL).wait_for()
    assert tab.locator(ALERT).count() == 1  # the failed answer still says why, once
    assert tab.evaluate("window.__sameDocument") == "yes"
    stored = rows(db_path)
    assert [(r["sender"], r["status"]) for r in stored] == [
        ("user", "complete"),
        ("llm", "error"),
        ("user", "complete"),
        ("llm", "complete"),
    ]
    assert stored[2]["content"] == FOLLOW_UP
    assert len({r["chat_id"] for r in stored}) == 1
