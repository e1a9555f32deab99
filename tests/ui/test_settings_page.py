"""The model settings page (``pages/settings.py``) with AppTest, the fake server and a temp database."""

from __future__ import annotations

from typing import Any

import pytest

from core.conf.db import session_scope
from core.repositories.app_settings import AppSettingsRepository
from core.repositories.chats import ChatRepository
from core.schemas import ChatSettings
from core.services.chat import new_chat
from tests.ui.conftest import reset_process_state, texts


def defaults() -> ChatSettings:
    with session_scope() as db:
        return AppSettingsRepository(db).generation_defaults()


def chat_settings(chat_id: int) -> ChatSettings:
    with session_scope() as db:
        return ChatRepository(db).get(chat_id).settings


def test_server_and_api_key_status_never_show_the_key(
    fake: Any, page: Any, monkeypatch: Any
) -> None:
    at = page("settings").run()
    assert f"`{fake.url}`" in texts(at)
    assert "API key: **not set**" in texts(at)

    monkeypatch.setenv("LM_STUDIO_API_KEY", "sk-very-secret-123")
    reset_process_state()
    at = page("settings").run()
    assert "API key: **set**" in texts(at)
    at.button(key="test-connection").click().run()
    assert "sk-very-secret" not in texts(at)


def test_model_picker_offers_chat_models_with_load_state_and_context(fake: Any, page: Any) -> None:
    at = page("settings").run()
    picker = at.selectbox(key="set.model")
    assert picker.options == [
        "Automatic (LM_STUDIO_MODEL, else the loaded model)",
        "smollm2-135m-instruct · loaded · 8192 tokens of context",
        "qwen3-8b · not loaded · 32768 tokens of context",
    ]  # the embedding model is not offered
    picker.set_value("qwen3-8b")
    at.button(key="save-defaults").click().run()
    assert defaults().model == "qwen3-8b"
    assert at.toast[0].value == "Defaults saved."


def test_save_defaults_stores_every_parameter(fake: Any, page: Any) -> None:
    at = page("settings").run()
    at.slider(key="set.temperature").set_value(0.25)
    at.checkbox(key="set.no_limit").uncheck().run()
    at.number_input(key="set.max_tokens").set_value(300)
    at.number_input(key="set.top_p").set_value(0.9)
    at.number_input(key="set.top_k").set_value(40)
    at.number_input(key="set.repeat_penalty").set_value(1.1)
    at.number_input(key="set.seed").set_value(1234)
    at.text_area(key="set.stop").input("###\n\nEND\n")
    at.text_area(key="set.system_prompt").input("Answer in French.")
    at.button(key="save-defaults").click().run()
    assert not at.exception and not at.error

    saved = defaults()
    assert saved == ChatSettings(
        model=None,
        system_prompt="Answer in French.",
        temperature=0.25,
        max_tokens=300,
        top_p=pytest.approx(0.9),
        top_k=40,
        repeat_penalty=pytest.approx(1.1),
        seed=1234,
        stop=("###", "END"),
    )
    # The form shows what is stored when the page is opened again.
    again = page("settings").run()
    assert again.slider(key="set.temperature").value == 0.25
    assert again.number_input(key="set.max_tokens").value == 300
    assert again.checkbox(key="set.no_limit").value is False

    # "No limit" stores no max_tokens at all.
    again.checkbox(key="set.no_limit").check().run()
    again.button(key="save-defaults").click().run()
    assert defaults().max_tokens is None


def test_invalid_combinations_are_explained_and_not_saved(fake: Any, page: Any) -> None:
    at = page("settings").run()
    at.text_area(key="set.stop").input("a\nb\nc\nd\ne")
    at.button(key="save-defaults").click().run()
    assert "5 stop strings given; servers accept at most 4" in at.error[0].value
    assert defaults().stop is None

    at.text_area(key="set.stop").input("")
    at.selectbox(key="set.model").set_value("smollm2-135m-instruct")
    at.checkbox(key="set.no_limit").uncheck().run()
    at.number_input(key="set.max_tokens").set_value(9000)
    at.button(key="save-defaults").click().run()
    assert "must be smaller than the context of smollm2-135m-instruct (8192" in at.error[0].value
    assert defaults() == ChatSettings()


def test_apply_to_this_chat_only_then_reset(fake: Any, page: Any) -> None:
    chat_id = new_chat("Mine")
    at = page("settings", chat=str(chat_id)).run()
    assert "chat " + str(chat_id) in texts(at)
    at.slider(key="set.temperature").set_value(1.5)
    at.button(key="apply-chat").click().run()
    assert not at.error
    assert chat_settings(chat_id).temperature == 1.5
    assert defaults().temperature is None  # the defaults are untouched

    # The chat uses its own temperature.
    chat = page("chat", chat=str(chat_id)).run()
    chat.chat_input(key="prompt").set_value("hi").run()
    assert fake.requests[-1]["json"]["temperature"] == 1.5

    at.button(key="reset-chat").click().run()
    assert chat_settings(chat_id) == ChatSettings()
    assert at.toast[0].value == "This chat now uses the defaults."


def test_chat_buttons_are_disabled_without_a_chat(fake: Any, page: Any) -> None:
    at = page("settings").run()
    assert at.button(key="apply-chat").disabled
    assert at.button(key="reset-chat").disabled


def test_test_connection_reports_success_and_failure(fake: Any, page: Any) -> None:
    at = page("settings").run()
    at.button(key="test-connection").click().run()
    assert at.success[0].value == (
        "The server answers: 3 models; smollm2-135m-instruct will answer."
    )


def test_server_down_still_shows_the_page_with_the_reason(app_db: None, page: Any) -> None:
    at = page("settings").run()
    assert not at.exception
    assert "The model list is not available." in at.warning[0].value
    assert "Cannot reach the model server" in at.warning[0].value
    at.button(key="test-connection").click().run()
    assert "Cannot reach the model server at http://127.0.0.1:9" in at.error[0].value
    # Defaults can still be saved while the server is down.
    at.slider(key="set.temperature").set_value(1.0)
    at.button(key="save-defaults").click().run()
    assert defaults().temperature == 1.0


def test_language_switch_is_saved_and_applied(fake: Any, page: Any) -> None:
    at = page("settings").run()
    assert at.title[0].value == "Model settings"
    at.radio(key="set.language").set_value("es").run()
    assert at.title[0].value == "Ajustes del modelo"
    with session_scope() as db:
        assert AppSettingsRepository(db).get("language") == "es"
    # Every page (and session) follows.
    assert page("chat").run().title[0].value == "Chat nuevo"
    at.radio(key="set.language").set_value("en").run()
    assert at.title[0].value == "Model settings"
