"""Fixtures of the browser tests: headless Chromium, the app as a real ``streamlit run``, the fake
model server as a process, and a private SQLite file per test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from devtools.servers import LOOPBACK, StreamlitServer
from tests.e2e.helpers import CHROMIUM, FakeServerProcess, new_tab

StartApp = Callable[..., StreamlitServer]


# Package scope, not session: Playwright's sync API keeps an event loop running on the main thread
# while it is open, and the tests after this package call asyncio.run() (a session-scoped browser
# made 95 of them fail in a full run).
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} is missing (Debian package 'chromium'; run 'make system-deps')"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "charla-e2e.db"


@pytest.fixture
def start_app(db_path: Path) -> Iterator[StartApp]:
    """``start_app(llm_url, model="", env=..., address=...)``: the app on a free port, with this
    test's database. ``address=None`` leaves the listening address to ``.streamlit/config.toml``."""
    started: list[StreamlitServer] = []

    def start(
        llm_url: str,
        model: str = "",
        *,
        env: Mapping[str, str] | None = None,
        address: str | None = LOOPBACK,
    ) -> StreamlitServer:
        full_env = {
            "DATABASE_URL": f"sqlite:///{db_path}",
            "LM_STUDIO_URL": llm_url,
            "LM_STUDIO_MODEL": model,
            "APP_LANGUAGE": "en",
            "CHARLA_PASSWORD": "",
            "LM_STUDIO_API_KEY": "",
            **(env or {}),
        }
        app = StreamlitServer(env=full_env, address=address).start()
        started.append(app)
        return app

    yield start
    for app in started:
        app.stop()


@pytest.fixture
def fake_process() -> Iterator[FakeServerProcess]:
    server = FakeServerProcess().start()
    yield server
    server.stop()


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield new_tab(context)
    context.close()
