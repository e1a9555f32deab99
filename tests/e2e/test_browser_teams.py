"""Teams in a real browser (issue 14): sign-in through a real OpenID Connect provider, the proxy
mode's header, and two app processes behind HAProxy on one PostgreSQL.

- ``oidc``: Alice and Bob sign in through the provider's login page (``oidc-provider-mock`` on
  loopback) in their own browser contexts; each sees only their own chats, and a chat id of the
  other's opens nothing of it; signing out shows the sign-in page again.
- ``proxy``: nginx (``deploy/nginx.conf``) says who the person is and overwrites the header a
  browser forges; an app in proxy mode that listens beyond loopback refuses to show anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psutil
import pytest

from devtools.proxies import NGINX_CONFIG, NginxServer
from devtools.servers import LOOPBACK, StreamlitServer, free_port
from tests.e2e.helpers import (
    ALERT,
    ASSISTANT,
    CHAT_INPUT,
    IDLE,
    FakeServerProcess,
    new_tab,
    type_message,
    wait_idle,
)
from tests.e2e.teams import OIDCProvider, sidebar_chats, sign_in, write_secrets

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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
        assert "Signed in as Bob" in bob.locator('[data-testid="stSidebar"]').inner_text()
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
    proxy = NginxServer(nginx_config(public, f"{LOOPBACK}:{app.port}"), public).start()
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
