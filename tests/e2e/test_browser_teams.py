"""Teams in a real browser (issue 14): sign-in through a real OpenID Connect provider, the proxy
mode's header, and two app processes behind HAProxy on one PostgreSQL.

- ``oidc``: Alice and Bob sign in through the provider's login page (``oidc-provider-mock`` on
  loopback) in their own browser contexts; each sees only their own chats, and a chat id of the
  other's opens nothing of it; signing out shows the sign-in page again.
- ``proxy``: nginx (``deploy/nginx.conf``) says who the person is and overwrites the header a
  browser forges; an app in proxy mode that listens beyond loopback refuses to show anything.
- two processes behind HAProxy (``deploy/haproxy.cfg``) on PostgreSQL: eight sessions of two
  people chat at once, nothing lost, doubled or shown to the other person; one process is killed
  mid-answer and its sessions go on on the other, signed in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from core.conf.db import create_db_engine, init_db
from core.i18n import t
from devtools.proxies import NGINX_CONFIG, HAProxyServer, NginxServer
from devtools.servers import LOOPBACK, StreamlitServer, free_port
from tests.conftest import need
from tests.e2e.helpers import (
    ALERT,
    ASSISTANT,
    CHAT_INPUT,
    IDLE,
    WAIT_MS,
    FakeServerProcess,
    new_tab,
    type_message,
    wait_idle,
)
from tests.e2e.teams import OIDCProvider, sidebar_chats, sign_in, write_secrets

pytestmark = [pytest.mark.browser, pytest.mark.slow]

INTERRUPTED = t("msg.status_interrupted", "en")


@pytest.fixture
def provider() -> Any:
    server = OIDCProvider().start()
    yield server
    server.stop()


def app_env(db_path: Path, llm_url: str, **more: str) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{db_path}",
        "LM_STUDIO_URL": llm_url,
        "LM_STUDIO_MODEL": "",
        "APP_LANGUAGE": "en",
        "CHARLA_PASSWORD": "",
        "LM_STUDIO_API_KEY": "",
        **more,
    }


def ask(page: Any, text: str) -> None:
    type_message(page, text)
    page.locator(ASSISTANT).last.wait_for()
    page.wait_for_function(
        "(text) => [...document.querySelectorAll('[data-testid=\"stSidebar\"] button')]"
        ".some((b) => b.innerText.includes(text))",
        arg=text,
    )
    wait_idle(page)


def test_two_people_sign_in_and_each_sees_only_their_chats(
    provider: OIDCProvider, fake_process: FakeServerProcess, browser: Any, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    secrets = write_secrets(tmp_path, provider, url)
    env = app_env(tmp_path / "charla.db", fake_process.url, CHARLA_AUTH="oidc")
    app = StreamlitServer(env=env, port=port, options=["--secrets.files", str(secrets)]).start()
    try:
        alice_context = browser.new_context(viewport={"width": 1280, "height": 900})
        bob_context = browser.new_context(viewport={"width": 1280, "height": 900})
        alice, bob = new_tab(alice_context), new_tab(bob_context)
        # Not signed in: the sign-in page and nothing else.
        bob.goto(url)
        bob.wait_for_selector(IDLE)
        bob.get_by_role("button", name="Sign in").wait_for()
        assert bob.locator(CHAT_INPUT).count() == 0 and sidebar_chats(bob) == []

        sign_in(alice, url, "alice")
        ask(alice, "Alice plans a trip")
        sign_in(bob, url, "bob")
        ask(bob, "Bob writes a poem")
        assert sidebar_chats(alice) == ["Alice plans a trip"]
        assert sidebar_chats(bob) == ["Bob writes a poem"]
        expect(bob.locator('[data-testid="stSidebar"]')).to_contain_text(
            "Signed in as Bob", timeout=WAIT_MS
        )
        # Alice's chat by its URL, in Bob's browser: nothing of hers.
        alice_chat = alice.evaluate("() => new URL(location.href).searchParams.get('chat')")
        assert alice_chat
        bob.goto(f"{url}/?chat={alice_chat}")
        bob.wait_for_selector(CHAT_INPUT)
        wait_idle(bob)
        assert "Alice plans a trip" not in bob.locator("body").inner_text()
        assert sidebar_chats(bob) == ["Bob writes a poem"]
        # A reload keeps Alice signed in (the identity cookie), with her chats.
        alice.reload()
        alice.wait_for_selector(CHAT_INPUT)
        wait_idle(alice)
        assert sidebar_chats(alice) == ["Alice plans a trip"]
        # Sign out: the provider ends its session too, then Charla shows the sign-in page.
        bob.locator('[class*="st-key-sign-out"] button').click()
        bob.get_by_role("button", name="End session").click()
        bob.get_by_role("button", name="Sign in").wait_for()
        assert bob.locator(CHAT_INPUT).count() == 0
        alice_context.close()
        bob_context.close()
    finally:
        app.stop()


def nginx_config(public: int, backend: str) -> str:
    """``deploy/nginx.conf`` on test ports, the person taken from a ``who`` cookie (standing in for
    the proxy's own authentication, e.g. an SSO session)."""
    config = NGINX_CONFIG.read_text()
    config = config.replace("listen 127.0.0.1:8080;", f"listen {LOOPBACK}:{public};")
    config = config.replace(
        "server 127.0.0.1:8501;\n        server 127.0.0.1:8502;", f"server {backend};"
    )
    config = config.replace("set $charla_email $remote_user;", "set $charla_email $cookie_who;")
    assert f"server {backend};" in config and "$cookie_who" in config
    return config


PROXY_HEADERS = json.dumps({"X-Forwarded-Email": "email", "X-Forwarded-User": "name"})


def test_proxy_mode_trusts_the_proxy_not_a_forged_header(
    fake_process: FakeServerProcess, browser: Any, tmp_path: Path
) -> None:
    env = app_env(tmp_path / "charla.db", fake_process.url, CHARLA_AUTH="proxy")
    options = ["--server.trustedUserHeaders", PROXY_HEADERS]
    app = StreamlitServer(env=env, options=options).start()
    public = free_port()
    proxy = need(NginxServer(nginx_config(public, f"{LOOPBACK}:{app.port}"), public).start, "nginx")
    try:
        # The app listens on loopback only: no other machine can send it a header.
        assert app.process is not None
        listening = {
            c.laddr.ip
            for c in psutil.Process(app.process.pid).net_connections("inet")
            if c.status == psutil.CONN_LISTEN
        }
        assert listening == {LOOPBACK}
        context = browser.new_context(
            viewport={"width": 1280, "height": 900},
            extra_http_headers={"X-Forwarded-Email": "mallory@evil.test"},
        )
        context.add_cookies([{"name": "who", "value": "bob@example.com", "url": proxy.url}])
        page = new_tab(context)
        page.goto(proxy.url)
        page.wait_for_selector(CHAT_INPUT)
        wait_idle(page)
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
        assert "Signed in as bob@example.com" in sidebar and "mallory" not in sidebar
        ask(page, "Bob through the proxy")
        context.close()
    finally:
        proxy.stop()
        app.stop()


def test_proxy_mode_refuses_to_listen_beyond_loopback(
    fake_process: FakeServerProcess, tab: Any, tmp_path: Path
) -> None:
    env = app_env(tmp_path / "charla.db", fake_process.url, CHARLA_AUTH="proxy")
    options = ["--server.trustedUserHeaders", PROXY_HEADERS]
    app = StreamlitServer(env=env, address="0.0.0.0", options=options).start()
    try:
        tab.set_extra_http_headers({"X-Forwarded-Email": "mallory@evil.test"})
        tab.goto(app.url)
        tab.wait_for_selector(IDLE)
        assert "must listen on 127.0.0.1 only" in tab.locator(ALERT).inner_text()
        assert tab.locator(CHAT_INPUT).count() == 0
    finally:
        app.stop()


# --- several processes ----------------------------------------------------------------------------
SESSIONS = 8  # browser sessions, half of them Alice's, half Bob's


def test_two_processes_behind_haproxy_share_one_postgresql(
    provider: OIDCProvider,
    fake_process: FakeServerProcess,
    browser: Any,
    postgres_server: Any,
    tmp_path: Path,
) -> None:
    """Eight sessions of two people chat at once across two app processes behind HAProxy; then one
    process is killed mid-answer and its sessions go on on the other, still signed in."""
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    engine = create_db_engine(postgres_server.url)
    init_db(engine)  # once, before the processes start
    public = free_port()
    url = f"http://{LOOPBACK}:{public}"
    secrets = write_secrets(tmp_path, provider, url)
    env = {
        **app_env(tmp_path / "unused.db", fake_process.url, CHARLA_AUTH="oidc"),
        "DATABASE_URL": postgres_server.url,
        "LM_STUDIO_MODEL": "fake-echo",  # each answer repeats its question: no mix-up goes unseen
    }
    options = ["--secrets.files", str(secrets)]
    apps = [StreamlitServer(env=env, options=options).start() for _ in range(2)]
    proxy = need(
        HAProxyServer([f"{LOOPBACK}:{app.port}" for app in apps], port=public).start, "HAProxy"
    )
    contexts = [
        browser.new_context(viewport={"width": 1100, "height": 800}) for _ in range(SESSIONS)
    ]
    try:
        people = ["alice" if i % 2 == 0 else "bob" for i in range(SESSIONS)]
        pages = [new_tab(context) for context in contexts]
        for page, who in zip(pages, people, strict=True):
            sign_in(page, url, who)
        servers = [server_of(context) for context in contexts]
        assert set(servers) == {"a", "b"}, servers  # the sessions are spread over both processes
        # Everyone writes at once (each waits only after all have sent).
        for i, page in enumerate(pages):
            type_message(page, f"question {i} of {people[i]}")
        for i, page in enumerate(pages):
            page.locator(ASSISTANT).last.get_by_text(f"question {i} of {people[i]}").wait_for()
            wait_idle(page)
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT u.subject, m.sender, m.content, m.status FROM messages m"
                    " JOIN chats c ON c.id = m.chat_id JOIN users u ON u.id = c.owner_id"
                    " ORDER BY m.id"
                )
            ).all()
        assert len(rows) == 2 * SESSIONS  # nothing lost, nothing twice
        for i, who in enumerate(people):
            mine = [r for r in rows if f"question {i} of {who}" in r.content]
            assert {(r.subject, r.sender, r.status) for r in mine} == {
                (who, "user", "complete"), (who, "llm", "complete"),
            }  # fmt: skip
        for page, who in zip(pages, people, strict=True):
            page.reload()
            page.wait_for_selector(CHAT_INPUT)
            wait_idle(page)
            listed = " ".join(sidebar_chats(page)).lower()
            other = "bob" if who == "alice" else "alice"
            assert other not in listed and len(sidebar_chats(page)) == SESSIONS // 2

        # Kill process "a" while one of its sessions is being answered.
        victim = servers.index("a")
        page = pages[victim]
        fake_process.enqueue(chunks=[f"w{n} " for n in range(600)], delay_between=0.05)
        type_message(page, "a long answer, please")
        page.locator(ASSISTANT).last.get_by_text("w3").wait_for()
        apps[0].kill()
        # The session reconnects through the proxy to process "b": still signed in, its chats
        # there, the cut answer shown as interrupted, and the next question answered.
        page.get_by_text(INTERRUPTED).wait_for()
        assert page.get_by_role("button", name="Sign in").count() == 0
        type_message(page, "after the crash")
        page.locator(ASSISTANT).last.get_by_text("after the crash").wait_for()
        wait_idle(page)
        assert server_of(contexts[victim]) == "b"
        assert len(sidebar_chats(page)) == SESSIONS // 2
        other_victim = next(i for i, s in enumerate(servers) if s == "a" and i != victim)
        type_message(pages[other_victim], "still here")
        pages[other_victim].locator(ASSISTANT).last.get_by_text("still here").wait_for()
    finally:
        for context in contexts:
            context.close()
        proxy.stop()
        for app in apps:
            app.stop()
        engine.dispose()


def server_of(context: Any) -> str:
    """Which process HAProxy pins this browser to (its ``STSRV`` cookie)."""
    return next(c["value"] for c in context.cookies() if c["name"] == "STSRV")
