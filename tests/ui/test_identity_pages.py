"""Sign-in and a private history at page level (issue 14): ``at.user`` plays the person.

In ``oidc`` mode a session without a signed-in person sees the sign-in page and nothing else; two
people each see only their own chats, and opening someone else's chat by its URL behaves exactly
like a deleted chat. In ``proxy`` mode the app refuses to run unless it listens on 127.0.0.1, and
a session without the header's email sees a refusal. The users page is for admins only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from streamlit import config

from core.identity import Identity, acting_as
from core.schemas import ChatSettings
from core.services import chats, users
from tests.ui.conftest import reset_process_state, texts

ALICE = {
    "is_logged_in": True, "iss": "http://idp", "sub": "alice",
    "email": "alice@example.com", "name": "Alice",
}  # fmt: skip
BOB = {
    "is_logged_in": True, "iss": "http://idp", "sub": "bob",
    "email": "bob@example.com", "name": "Bob",
}  # fmt: skip


@pytest.fixture
def mode(app_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def set_mode(auth: str) -> None:
        monkeypatch.setenv("CHARLA_AUTH", auth)
        monkeypatch.setenv("CHARLA_ADMINS", "alice@example.com")
        reset_process_state()

    before = config.get_option("server.address")
    yield set_mode
    config.set_option("server.address", before)


def sidebar_chats(at: Any) -> list[str]:
    return [b.label for b in at.sidebar.button if b.key and b.key.removeprefix("chat-").isdigit()]


def chat_of(claims: dict[str, Any], title: str) -> int:
    owner = users.sign_in(Identity(claims["iss"], claims["sub"], claims["email"], claims["name"]))
    with acting_as(owner.id):
        return chats.new_chat(title)


def test_oidc_without_sign_in_shows_only_the_sign_in_page(mode: Any, page: Any) -> None:
    mode("oidc")
    at = page("app")
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in to Charla"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.chat_input and not sidebar_chats(at)
    assert "Connected" not in texts(at) and "Not connected" not in texts(at)


def test_each_person_sees_only_their_chats(mode: Any, page: Any) -> None:
    mode("oidc")
    alices = chat_of(ALICE, "Alice's plans")
    chat_of(BOB, "Bob's notes")
    at = page("app")
    at.user = BOB
    at.run()
    assert not at.exception
    assert sidebar_chats(at) == ["Bob's notes"]
    assert "Signed in as Bob" in texts(at)
    # Alice's chat by its URL: exactly what a deleted chat does (a new chat, nothing of hers).
    at = page("chat", chat=str(alices))
    at.user = BOB
    at.run()
    assert not at.exception
    assert at.title[0].value == "New chat" and "Alice" not in texts(at)
    at = page("chat", chat=str(alices))
    at.user = ALICE
    at.run()
    assert not at.exception and sidebar_chats(at) == ["Alice's plans"]
    assert "Alice's plans" in texts(at) and not at.title  # her chat is open, not a new one


def test_sign_out_returns_to_the_sign_in_page(mode: Any, page: Any) -> None:
    mode("oidc")
    at = page("app")
    at.user = ALICE
    at.run()
    at.sidebar.button(key="sign-out").click().run()
    assert at.user == {"is_logged_in": False} or not at.user.get("is_logged_in")
    at.run()
    assert [t.value for t in at.title] == ["Sign in to Charla"]


def test_oidc_without_an_auth_section_says_how_to_set_it(mode: Any, page: Any) -> None:
    mode("oidc")
    at = page("app")
    at.user = {"email": "x@example.com"}  # what st.user holds when secrets.toml has no [auth]
    at.run()
    assert "has no [auth] section" in at.error[0].value
    assert not at.chat_input


def test_proxy_mode_refuses_an_address_beyond_loopback(mode: Any, page: Any) -> None:
    mode("proxy")
    config.set_option("server.address", "0.0.0.0")
    at = page("app")
    at.user = {"email": "bob@example.com"}
    at.run()
    assert "must listen on 127.0.0.1 only" in at.error[0].value
    assert not at.chat_input and not sidebar_chats(at)


def test_proxy_mode_takes_the_person_from_the_header(mode: Any, page: Any) -> None:
    mode("proxy")
    config.set_option("server.address", "127.0.0.1")
    at = page("app")
    at.user = {"email": None}  # the proxy sent no header
    at.run()
    assert "did not receive who you are" in at.error[0].value and not at.chat_input
    at = page("app")
    at.user = {"email": "Bob@Example.com", "name": "Bob"}
    at.run()
    assert not at.exception and at.chat_input
    assert "Signed in as Bob" in texts(at)
    at.chat_input[0].set_value("hello").run()
    with acting_as(users.sign_in(Identity("proxy", "bob@example.com")).id):
        assert [c.title for c in chats.list_chats()] == ["hello"]


def test_the_users_page_is_for_admins_only(mode: Any, page: Any) -> None:
    mode("oidc")
    chat_of(ALICE, "one")
    chat_of(BOB, "two")
    at = page("users")
    at.user = BOB
    at.run()
    assert "Only administrators" in at.error[0].value and not at.dataframe
    at = page("users")
    at.user = ALICE
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    counts = dict(zip(table["Person"], table["Chats"], strict=True))
    assert counts == {"Alice": 1, "Bob": 1, "Local (single-user history)": 0}
    assert "one" not in texts(at) and "two" not in texts(at)


def test_cached_history_loaders_are_per_person(mode: Any, page: Any) -> None:
    """Streamlit's caches are shared by every session of a process: the History page's model list
    (cached) must be Alice's for Alice and Bob's for Bob, in the same process, one after the other."""
    mode("oidc")
    for claims, model in ((ALICE, "alice-model"), (BOB, "bob-model")):
        owner = users.sign_in(Identity(claims["iss"], claims["sub"], claims["email"]))
        with acting_as(owner.id):
            chats.new_chat("x", ChatSettings(model=model))
    for claims, mine, theirs in (
        (ALICE, "alice-model", "bob-model"),
        (BOB, "bob-model", "alice-model"),
    ):
        at = page("history")
        at.user = claims
        at.run()
        assert not at.exception
        options = at.selectbox(key="hist.model").options
        assert mine in options and theirs not in options
