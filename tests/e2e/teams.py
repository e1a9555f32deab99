"""What the team browser tests share: a real OpenID Connect provider on loopback, the app's
``[auth]`` secrets, and signing in through the provider's real login page."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from devtools.servers import LOOPBACK, _HTTPProcess, free_port
from tests.e2e.helpers import CHAT_INPUT, IDLE

COOKIE_SECRET = "charla-team-tests-shared-cookie-secret"
PEOPLE = {
    "alice": {"email": "alice@example.com", "name": "Alice"},
    "bob": {"email": "bob@example.com", "name": "Bob"},
}


class OIDCProvider(_HTTPProcess):
    """``oidc-provider-mock`` (a real OpenID Connect provider built on Authlib) in its own process,
    with Alice and Bob predefined."""

    name = "oidc-provider"

    def _start(self) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "oidc_provider_mock", "--port", str(self.port)]
        for sub, claims in PEOPLE.items():
            command += ["--user-claims", json.dumps({"sub": sub, **claims})]
        self._spawn(command, ready_path="/.well-known/openid-configuration", timeout=30, env={})

    @property
    def metadata_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/.well-known/openid-configuration"


def write_secrets(directory: Path, provider: OIDCProvider, public_url: str) -> Path:
    """A ``secrets.toml`` with ``[auth]`` for ``provider``; ``public_url``: where browsers reach
    the app (the proxy, for several processes)."""
    path = directory / "secrets.toml"
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "{public_url}/oauth2callback"\n'
        f'cookie_secret = "{COOKIE_SECRET}"\n'
        'client_id = "charla"\n'
        'client_secret = "charla-secret"\n'
        f'server_metadata_url = "{provider.metadata_url}"\n'
    )
    return path


def sign_in(page: Any, url: str, sub: str) -> None:
    """Open Charla, press Sign in, sign in as ``sub`` on the provider's page, back in Charla."""
    page.goto(url)
    page.wait_for_selector(IDLE)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_selector(CHAT_INPUT)
    page.wait_for_selector(IDLE)


def sidebar_chats(page: Any) -> list[str]:
    """The titles of the chats listed in the sidebar (buttons keyed ``chat-<id>``)."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stSidebar"] [class*="st-key-chat-"]')]
            .filter((e) => [...e.classList].some((c) => /^st-key-chat-\\d+$/.test(c)))
            .map((e) => e.innerText.trim())"""
        )
    )
