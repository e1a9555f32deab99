"""Security in the real browser (issue 5): markup never runs, the API key never reaches the page,
XSRF protection is on, and the app listens on 127.0.0.1 by default.

The apps here are started *without* ``--server.address``: the project's ``.streamlit/config.toml``
decides, as it does for a user's ``make run``.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from devtools.servers import PROJECT_ROOT
from tests.e2e.helpers import (
    ALERT,
    ASSISTANT,
    MESSAGE,
    USER,
    WAIT_MS,
    FakeServerProcess,
    open_app,
    rows,
    settled,
    type_message,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "sk-charla-SECRET-e2e-93f1c7d5"
CONFIG = PROJECT_ROOT / ".streamlit" / "config.toml"
XSRF_COOKIE = "_streamlit_xsrf"

SCRIPT = "<script>window.__pwned = 1</script>"
IMG = '<img src=x onerror="window.__pwned=2">'
JS_LINK = "[x](javascript:alert(1))"
USER_HTML = '<b>bold?</b> <script>window.__pwned = 3</script> <img src=y onerror="alert(4)">'

# Elements that could run something, anywhere in the document.
JS_URLS = """() => [...document.querySelectorAll('[href], [src], [action], [formaction]')]
  .map(e => ['href', 'src', 'action', 'formaction'].map(a => e.getAttribute(a) || '').join(' '))
  .filter(v => /javascript:/i.test(v)).length"""


def key_free_database(db_path: Path) -> list[str]:
    """Every table.column whose stored text contains the key (should be none)."""
    found = []
    with sqlite3.connect(db_path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            for row in cursor:
                found += [
                    f"{table}.{column}"
                    for column, value in zip(columns, row, strict=True)
                    if KEY in str(value)
                ]
    return found


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the TCP sockets listening on ``port`` (from /proc/net/tcp{,6})."""
    found: set[str] = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            host_hex, port_hex = fields[1].split(":")
            if fields[3] != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(host_hex)  # 32-bit words in host (little-endian) order
            packed = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(socket.inet_ntop(family, packed))
    return found


def test_markup_in_messages_and_answers_is_shown_as_text_and_runs_nothing(
    fake_process: FakeServerProcess, start_app: Any, tab: Any, db_path: Path
) -> None:
    chunks = ["Look: ", SCRIPT, " then ", IMG, " and ", JS_LINK, " end."]
    fake_process.enqueue(chunks=chunks)
    app = start_app(fake_process.url, address=None)
    open_app(tab, app.url)
    type_message(tab, USER_HTML)
    answer = settled(tab, db_path, 1)

    assert answer["content"] == "".join(chunks)
    assert rows(db_path)[0]["content"] == USER_HTML
    # Nothing ran: no script, no onerror handler, no dialog.
    assert tab.evaluate("window.__pwned") is None
    assert tab.dialogs == []
    # The markup is on screen as text, in both bubbles, and made no elements.
    shown = tab.locator(ASSISTANT).last
    expect(shown).to_contain_text(SCRIPT, timeout=WAIT_MS)
    expect(shown).to_contain_text(IMG, timeout=WAIT_MS)
    expect(tab.locator(USER).first).to_contain_text(USER_HTML, timeout=WAIT_MS)
    messages = tab.locator(MESSAGE)
    for tag in ("script", "img", "b", "iframe", "object", "embed"):
        assert messages.locator(tag).count() == 0, f"a <{tag}> was rendered from a message"
    # The javascript: link is at most the word "x": no javascript: URL anywhere in the page.
    assert tab.evaluate(JS_URLS) == 0
    links = shown.locator("a")
    for i in range(links.count()):
        links.nth(i).click()  # what a user would do; nothing may run
    wait_idle(tab)
    assert tab.evaluate("window.__pwned") is None
    assert tab.dialogs == []


def test_the_api_key_never_reaches_the_page_or_the_database(
    start_app: Any, tab: Any, db_path: Path
) -> None:
    frames: list[Any] = []  # everything the server sends the page over its websocket
    tab.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append(data)))
    with FakeServerProcess(api_key=KEY).start() as fake:
        # A chatty server: its error text repeats the key (the app must scrub it).
        fake.enqueue(chunks=["Fine."])
        fake.enqueue(status=400, body={"error": f"Invalid parameter (request key {KEY})"})
        app = start_app(fake.url, env={"LM_STUDIO_API_KEY": KEY}, address=None)
        open_app(tab, app.url)
        type_message(tab, "Hello with a key")
        settled(tab, db_path, 1)
        type_message(tab, "Make the server complain")
        failed = settled(tab, db_path, 2)
        assert failed["status"] == "error"
        assert "(request key ***)" in failed["error_text"]
        assert KEY not in json.dumps(failed["error_params"])
        tab.locator(ALERT).get_by_text("request key ***").wait_for()
        chat_html = tab.content()

        tab.goto(f"{app.url}/settings")
        wait_idle(tab)
        tab.get_by_text("API key: set").wait_for()
        tab.get_by_role("button", name="Test connection").click()
        tab.get_by_text("The server answers:").wait_for()  # the key works
        settings_html = tab.content()
        log = app.log_text()

    assert frames, "the page received nothing over its websocket"
    assert KEY not in chat_html
    assert KEY not in settings_html
    for frame in frames:
        data = frame if isinstance(frame, bytes) else str(frame).encode()
        assert KEY.encode() not in data
    assert key_free_database(db_path) == []
    assert KEY not in log


def test_xsrf_protection_is_on_and_the_app_listens_on_loopback_only(
    fake_process: FakeServerProcess, start_app: Any, tab: Any
) -> None:
    config = tomllib.loads(CONFIG.read_text())
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["address"] == "127.0.0.1"

    app = start_app(fake_process.url, address=None)
    command = app.command()
    assert not any(arg.startswith(("--server.address", "--server.enableXsrf")) for arg in command)
    open_app(tab, app.url)

    # The real server hands out the XSRF cookie …
    cookies = {c["name"]: c for c in tab.context.cookies()}
    assert XSRF_COOKIE in cookies and cookies[XSRF_COOKIE]["value"]
    # … and refuses a state-changing request without the matching token (403, before it even
    # looks at the session; with XSRF off it would answer 400 for the unknown session).
    refused = httpx.put(
        f"{app.url}/_stcore/upload_file/no-such-session/no-such-file",
        files={"file": ("a.txt", b"hello", "text/plain")},
        timeout=10,
    )
    assert refused.status_code == 403

    # Listening on 127.0.0.1 only: not on 0.0.0.0 or ::, not on another interface.
    assert listening_addresses(app.port) == {"127.0.0.1"}
