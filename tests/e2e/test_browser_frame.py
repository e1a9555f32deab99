"""The frame around the pages in a real browser (issue 9, section 3): every page opens by its own
URL without Streamlit's "Page not found" dialog; the empty chat page says when no model server
answers; and ``make demo``'s app (``CHARLA_DEMO=1``) whose engine died says to restart ``make demo``,
not to start LM Studio.

Streamlit decides which page a URL means in two different ways during a process's life, so each
URL is opened twice: as the **first request of a fresh server process** (Streamlit still treats the
``pages/`` folder as pages, the legacy mode) and again on the **warm** process (after
``st.navigation`` has run). The dialog is a DOM modal, not a JavaScript dialog: an init script
records every moment the words "Page not found" are anywhere in the document, so a dialog that came
and went is caught too.

The demo test starts its own llama.cpp engine (it kills it: the session's engine is shared).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.conf import db as conf_db
from core.conf import settings as conf_settings
from core.conf.db import session_scope
from core.repositories.messages import MessageRepository
from core.services.chats import new_chat
from devtools.servers import LlamaServer, StreamlitServer
from tests.conftest import NOTHING_LISTENS_URL, need
from tests.e2e.helpers import (
    ALERT,
    CHAT_INPUT,
    new_tab,
    open_app,
    settled,
    type_message,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOT_FOUND = "Page not found"
SIDEBAR = '[data-testid="stSidebar"]'
NAV = '[data-testid="stSidebarNav"]'
STORED_TITLE = "Lighthouse notes"
STORED_QUESTION = "Who keeps the light?"
NOTICE = ".st-key-server-notice"
DEMO_STOPPED = "The demo's bundled model engine at {url} has stopped"

# Installed before any page script: remembers every moment "Page not found" was on screen.
WATCH_NOT_FOUND = """
window.__notFound = [];
new MutationObserver(() => {
  const text = document.body ? document.body.innerText : '';
  if (text.includes('Page not found')) window.__notFound.push(location.pathname);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


@dataclass(frozen=True)
class PageURL:
    path: str
    shows: Callable[[Any], None]  # waits until the page's own content is on screen
    address: str  # where the browser ends up (the chat page lives at "/")


def _heading(text: str) -> Callable[[Any], None]:
    def shown(tab: Any) -> None:
        tab.get_by_role("heading", name=text, level=1).wait_for()

    return shown


def _new_chat(tab: Any) -> None:
    tab.get_by_role("heading", name="New chat", level=1).wait_for()
    tab.wait_for_selector(CHAT_INPUT)


def _stored_chat(tab: Any) -> None:
    tab.get_by_role("heading", name=STORED_TITLE).wait_for()
    tab.get_by_text(STORED_QUESTION).wait_for()
    tab.wait_for_selector(CHAT_INPUT)


PAGE_URLS = [
    PageURL("/chat", _new_chat, "/"),
    PageURL("/chat?chat=1", _stored_chat, "/?chat=1"),
    PageURL("/history", _heading("History"), "/history"),
    PageURL("/settings", _heading("Model settings"), "/settings"),
    PageURL("/", _new_chat, "/"),
]


@pytest.fixture
def stored_chat(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """Chat 1 in the app's database, with one question (made before the app starts)."""
    url = f"sqlite:///{db_path}"
    monkeypatch.setenv("DATABASE_URL", url)
    conf_settings.reset_settings()
    conf_db.configure(url)
    conf_db.init_db()
    chat_id = new_chat(STORED_TITLE)
    with session_scope(write=True) as db:
        MessageRepository(db).create_message(chat_id, "user", STORED_QUESTION)
    conf_db.reset()
    return chat_id


def watched_tab(browser: Any) -> Any:
    tab = new_tab(browser.new_context(viewport={"width": 1280, "height": 900}))
    tab.add_init_script(WATCH_NOT_FOUND)
    return tab


def open_page(browser: Any, app: StreamlitServer, page: PageURL) -> Any:
    """Open ``page`` in a new browser session; return the tab once its content is shown."""
    tab = watched_tab(browser)
    tab.goto(app.url + page.path)
    page.shows(tab)
    wait_idle(tab)
    return tab


def assert_no_page_not_found(tab: Any, when: str) -> None:
    assert tab.evaluate("window.__notFound") == [], f"'{NOT_FOUND}' was shown ({when})"
    assert NOT_FOUND not in tab.locator("body").inner_text(), when
    assert tab.locator('[role="dialog"]').count() == 0, when
    assert tab.dialogs == [], when


@pytest.mark.parametrize("page", PAGE_URLS, ids=[p.path for p in PAGE_URLS])
def test_each_page_opens_by_its_url_on_a_fresh_and_on_a_warm_server(
    page: PageURL, stored_chat: int, start_app: Any, browser: Any
) -> None:
    assert stored_chat == 1
    app = start_app(NOTHING_LISTENS_URL)  # nothing has asked the new process for a page yet
    for when in ("the first request of a fresh server", "a warm server"):
        tab = open_page(browser, app, page)
        try:
            assert_no_page_not_found(tab, when)
            assert tab.url == app.url + page.address, when
            nav = tab.locator(NAV).inner_text()
            # The app's navigation, never Streamlit's list of file names from pages/.
            assert "Model settings" in nav and "streamlit app" not in nav, when
        finally:
            tab.context.close()


def test_a_locked_fresh_server_shows_no_page_list_and_then_the_page_asked_for(
    start_app: Any, browser: Any
) -> None:
    app = start_app(NOTHING_LISTENS_URL, env={"CHARLA_PASSWORD": "letmein"})
    tab = watched_tab(browser)
    try:
        tab.goto(f"{app.url}/history")
        tab.get_by_text("Charla is locked").wait_for()
        wait_idle(tab)
        # Nothing to click on before the password: not the app's pages, not the file names.
        assert tab.locator(NAV).count() == 0
        assert "streamlit app" not in tab.locator("body").inner_text()
        tab.get_by_label("Password", exact=True).fill("letmein")
        tab.get_by_role("button", name="Unlock").click()
        tab.get_by_role("heading", name="History", level=1).wait_for()
        tab.locator(NAV).get_by_text("Model settings").wait_for()
        wait_idle(tab)
        assert_no_page_not_found(tab, "after unlocking")
    finally:
        tab.context.close()


def test_the_empty_chat_page_says_when_no_server_answers(start_app: Any, tab: Any) -> None:
    app = start_app(NOTHING_LISTENS_URL)
    open_app(tab, app.url)
    notice = tab.locator(NOTICE)
    notice.wait_for()
    text = notice.inner_text()
    assert f"No model server answers at {NOTHING_LISTENS_URL}." in text
    assert "Start LM Studio's server (Developer tab → Start server)" in text
    assert "make demo" in text
    # Above the chat input, the last thing the empty page shows before it.
    gap = tab.evaluate(
        """([notice, input]) => document.querySelector(input).getBoundingClientRect().top
             - document.querySelector(notice).getBoundingClientRect().bottom""",
        [NOTICE, CHAT_INPUT],
    )
    assert gap >= 0


@pytest.mark.engine
def test_a_demo_whose_engine_died_says_to_restart_make_demo(
    start_app: Any, browser: Any, db_path: Path
) -> None:
    engine = need(lambda: LlamaServer().start(), "llama.cpp engine")
    tabs: list[Any] = []
    try:
        app = start_app(engine.url, engine.model, env={"CHARLA_DEMO": "1"})
        tab = watched_tab(browser)
        tabs.append(tab)
        open_app(tab, app.url)
        sidebar = tab.locator(SIDEBAR)
        sidebar.get_by_text("Connected", exact=True).wait_for()
        assert tab.locator(NOTICE).count() == 0  # the engine answers: nothing to say
        type_message(tab, "Say hello in three words.")
        first = settled(tab, db_path, 1)
        assert first["status"] == "complete" and first["content"].strip()

        engine.kill()  # as if it crashed
        type_message(tab, "Are you still there?")
        failed = settled(tab, db_path, 2)
        stopped = DEMO_STOPPED.format(url=engine.url)
        assert failed["status"] == "error"
        assert failed["error_code"] == "error.demo_engine_stopped"
        assert failed["error_text"].startswith(stopped)
        alert = tab.locator(ALERT).filter(has_text=stopped)
        alert.wait_for()
        assert "run make demo again" in alert.inner_text().replace("`", "")

        # The badge says the same once it checks again.
        sidebar.get_by_role("button", name="Check again").click()
        sidebar.get_by_text("Not connected", exact=True).wait_for()
        sidebar.get_by_text(stopped).wait_for()
        wait_idle(tab)
        # And so does the empty chat page of a new session.
        other = watched_tab(browser)
        tabs.append(other)
        open_app(other, app.url)
        other.locator(NOTICE).get_by_text(stopped).wait_for()
        for page in tabs:
            assert "LM Studio" not in page.locator(SIDEBAR).inner_text()
            assert "Start LM Studio" not in page.locator("body").inner_text()
            for i in range(page.locator(ALERT).count()):
                assert "LM Studio" not in page.locator(ALERT).nth(i).inner_text()
    finally:
        for page in tabs:
            page.context.close()
        engine.stop()
