"""The entry file (``streamlit_app.py``): start-up errors, access rules, navigation, the badge."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from streamlit import config

from tests.ui.conftest import reset_process_state, texts


@pytest.fixture
def listen_on() -> Iterator[Any]:
    """Pretend Streamlit listens on another address (restored afterwards)."""
    before = config.get_option("server.address")

    def set_address(address: str) -> None:
        config.set_option("server.address", address)

    yield set_address
    config.set_option("server.address", before)


def badge(at: Any) -> str:
    return "\n".join([m.value for m in at.sidebar.markdown] + [c.value for c in at.sidebar.caption])


def test_app_opens_on_the_chat_page_with_a_connected_badge(fake: Any, page: Any) -> None:
    at = page("app").run()
    assert not at.exception
    assert at.title[0].value == "New chat"  # the chat page is the default page
    assert "Connected" in badge(at)
    assert "`smollm2-135m-instruct` · loaded" in badge(at)


def test_badge_says_what_is_wrong_when_the_server_is_down(app_db: None, page: Any) -> None:
    at = page("app").run()
    assert "Not connected" in badge(at)
    assert "Cannot reach the model server at http://127.0.0.1:9" in badge(at)
    at.sidebar.button(key="badge-recheck").click().run()
    assert not at.exception


def test_badge_names_the_model_a_chat_would_use(fake: Any, page: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("LM_STUDIO_MODEL", "qwen3-8b")
    reset_process_state()
    at = page("app").run()
    assert "`qwen3-8b` · not loaded yet (the first message loads it)" in badge(at)


def test_a_wrong_configuration_is_one_clear_sentence(page: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("APP_LANGUAGE", "klingon")
    reset_process_state()
    at = page("app").run()
    assert not at.exception
    (error,) = at.error
    assert error.value.startswith("Charla cannot start. Configuration key APP_LANGUAGE is wrong")
    assert not at.chat_input  # nothing else ran


def test_password_is_asked_before_anything_else(fake: Any, page: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("CHARLA_PASSWORD", "open sesame")
    reset_process_state()
    at = page("app").run()
    assert at.title[0].value == "Charla is locked"
    assert not at.chat_input and "Connected" not in badge(at)

    at.text_input(key="unlock-password").input("guess")
    at.button[0].click().run()
    assert at.error[0].value.startswith("Wrong password")
    assert not at.chat_input

    at.text_input(key="unlock-password").input("open sesame")
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == "New chat"
    assert at.chat_input


def test_network_address_without_password_is_refused(fake: Any, page: Any, listen_on: Any) -> None:
    listen_on("0.0.0.0")
    at = page("app").run()
    assert "without a password" in at.error[0].value
    assert "CHARLA_PASSWORD" in at.error[0].value
    assert not at.chat_input


def test_network_address_with_password_asks_for_it(
    fake: Any, page: Any, listen_on: Any, monkeypatch: Any
) -> None:
    listen_on("0.0.0.0")
    monkeypatch.setenv("CHARLA_PASSWORD", "pw")
    reset_process_state()
    at = page("app").run()
    assert at.title[0].value == "Charla is locked"


def test_navigation_reaches_the_settings_page(fake: Any, page: Any) -> None:
    at = page("app").run()
    at.switch_page("pages/settings.py").run()
    assert not at.exception
    assert at.title[0].value == "Model settings"
    # (AppTest drops the entry file's sidebar after switch_page; the browser test checks that
    # the badge is on every page.)


def test_spanish_frame(fake: Any, page: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("APP_LANGUAGE", "es")
    reset_process_state()
    at = page("app").run()
    assert "Conectado" in badge(at)
    assert "cargado" in badge(at)
    assert at.title[0].value == "Chat nuevo"
    assert "Connected" not in texts(at)
