"""The model settings page (``pages/settings.py``) with AppTest, the fake server and a temp database."""

from __future__ import annotations

from typing import Any

import pytest

from core.conf.db import session_scope
from core.repositories.app_settings import AppSettingsRepository
from core.repositories.chats import ChatRepository
from core.schemas import ChatSettings
from core.services.chats import new_chat
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
        "Automatic (the model loaded in the server)",
        "smollm2-135m-instruct · loaded · 8,192 tokens of context",
        "qwen3-8b · not loaded · 32,768 tokens of context",
    ]  # the embedding model is not offered
    picker.set_value("qwen3-8b")
    at.button(key="set-save").click().run()
    assert defaults().model == "qwen3-8b"
    assert at.toast[0].value == "Defaults saved."


def test_with_nothing_saved_the_page_shows_server_default_and_a_chat_sends_none(
    fake: Any, page: Any
) -> None:
    """What the page shows is what is sent: no temperature shown, none sent."""
    at = page("settings").run()
    for name in ("temperature", "top_p", "top_k", "repeat_penalty", "seed"):
        assert at.checkbox(key=f"set.{name}.server").value is True
        assert not [w for w in at.slider if w.key == f"set.{name}"]
        assert not [w for w in at.number_input if w.key == f"set.{name}"]
    assert "Temperature: server default (Charla sends none)" in [c.label for c in at.checkbox]
    assert at.select_slider(key="set.max_tokens").value == 0  # "No limit"
    assert at.select_slider(key="set.max_tokens").format_func(0) == "No limit"

    chat = page("chat").run()
    chat.chat_input(key="prompt").set_value("hi").run()
    sent = fake.requests[-1]["json"]
    for name in ("temperature", "max_tokens", "top_p", "top_k", "repeat_penalty", "seed"):
        assert name not in sent
    assert sent["messages"][0] == {
        "role": "system",
        "content": at.text_area(key="set.system_prompt").value,
    }


def set_every_parameter(at: Any) -> None:
    for name in ("temperature", "top_p", "top_k", "repeat_penalty", "seed"):
        at.checkbox(key=f"set.{name}.server").uncheck().run()
    at.slider(key="set.temperature").set_value(0.25)
    at.slider(key="set.top_p").set_value(0.9)
    at.number_input(key="set.top_k").set_value(40)
    at.number_input(key="set.repeat_penalty").set_value(1.1)
    at.number_input(key="set.seed").set_value(1234)
    at.select_slider(key="set.max_tokens").set_value(256)
    at.text_area(key="set.stop").input("###\n\nEND\n")
    at.text_area(key="set.system_prompt").input("Answer in French.")


def test_save_defaults_stores_every_parameter_and_the_request_carries_them(
    fake: Any, page: Any
) -> None:
    at = page("settings").run()
    set_every_parameter(at)
    at.button(key="set-save").click().run()
    assert not at.exception and not at.error

    saved = defaults()
    assert saved == ChatSettings(
        model=None,
        system_prompt="Answer in French.",
        temperature=0.25,
        max_tokens=256,
        top_p=pytest.approx(0.9),
        top_k=40,
        repeat_penalty=pytest.approx(1.1),
        seed=1234,
        stop=("###", "END"),
    )
    # The form shows what is stored when the page is opened again …
    again = page("settings").run()
    assert again.slider(key="set.temperature").value == 0.25
    assert again.select_slider(key="set.max_tokens").value == 256
    assert again.checkbox(key="set.seed.server").value is False
    # … and the next request carries exactly that.
    chat = page("chat").run()
    chat.chat_input(key="prompt").set_value("hi").run()
    sent = fake.requests[-1]["json"]
    assert (sent["temperature"], sent["max_tokens"], sent["top_k"], sent["seed"]) == (
        0.25, 256, 40, 1234,
    )  # fmt: skip
    assert sent["stop"] == ["###", "END"]

    # "No limit" stores no max_tokens; "server default" no temperature; an empty prompt, none.
    again.select_slider(key="set.max_tokens").set_value(0)
    again.checkbox(key="set.temperature.server").check()
    again.text_area(key="set.system_prompt").input("")
    again.button(key="set-save").click().run()
    assert (defaults().max_tokens, defaults().temperature, defaults().system_prompt) == (
        None, None, "",
    )  # fmt: skip
    chat.chat_input(key="prompt").set_value("again").run()
    sent = fake.requests[-1]["json"]
    assert "max_tokens" not in sent and "temperature" not in sent
    assert sent["messages"][0]["role"] == "user"  # no system prompt


def test_max_tokens_slider_goes_up_to_the_models_context(fake: Any, page: Any) -> None:
    at = page("settings").run()
    steps = at.select_slider(key="set.max_tokens").options
    assert steps[0] == "No limit" and steps[-1] == "24,576"  # unknown model: up to 32,768
    at.selectbox(key="set.model").set_value("smollm2-135m-instruct").run()  # 8,192 of context
    steps = at.select_slider(key="set.max_tokens").options
    assert steps[0] == "No limit" and steps[-1] == "6,144"


def test_refused_values_say_why_and_are_not_reported_saved(fake: Any, page: Any) -> None:
    at = page("settings").run()
    at.checkbox(key="set.top_k.server").uncheck().run()
    at.number_input(key="set.top_k").set_value(-5)
    at.button(key="set-save").click().run()
    assert "Top K (candidate words) must be between 0 and 1,000 (got -5)" in at.error[0].value
    assert not at.toast  # nothing announced as saved
    assert defaults() == ChatSettings()

    at.number_input(key="set.top_k").set_value(40)
    at.text_area(key="set.stop").input("a\nb\nc\nd\ne")
    at.button(key="set-save").click().run()
    assert "5 stop strings given; servers accept at most 4" in at.error[0].value
    assert defaults().stop is None and defaults().top_k is None


def test_the_page_says_what_it_edits_and_a_chat_gets_its_own_settings(fake: Any, page: Any) -> None:
    chat_id = new_chat("Mine")
    at = page("settings", chat=str(chat_id)).run()
    # The defaults are edited unless the person picks the chat.
    assert at.selectbox(key="set.scope").value == 0  # the defaults
    assert "You are editing the defaults" in texts(at)
    at.selectbox(key="set.scope").set_value(chat_id).run()
    assert "«Mine» follows the defaults" in texts(at)
    at.checkbox(key="set.temperature.server").uncheck().run()
    at.slider(key="set.temperature").set_value(1.5)
    at.button(key="set-save").click().run()
    assert not at.error
    assert at.toast[0].value == "Saved for this chat."
    assert chat_settings(chat_id).temperature == 1.5
    assert defaults().temperature is None  # the defaults are untouched
    assert "«Mine» only" in texts(at)

    # The chat uses its own temperature.
    chat = page("chat", chat=str(chat_id)).run()
    chat.chat_input(key="prompt").set_value("hi").run()
    assert fake.requests[-1]["json"]["temperature"] == 1.5

    at.button(key="set-reset").click().run()
    assert chat_settings(chat_id) == ChatSettings()
    assert at.toast[0].value == "This chat now follows the defaults."
    chat.chat_input(key="prompt").set_value("again").run()
    assert "temperature" not in fake.requests[-1]["json"]


def test_spanish_labels(fake: Any, page: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("APP_LANGUAGE", "es")
    reset_process_state()
    at = page("settings").run()
    labels = [c.label for c in at.checkbox]
    assert (
        "Top P (muestreo por núcleo): lo decide el servidor (Charla no envía ningún valor)"
        in labels
    )
    assert (
        "Top K (palabras candidatas): lo decide el servidor (Charla no envía ningún valor)"
        in labels
    )
    assert at.select_slider(key="set.max_tokens").label == "Máximo de tokens por respuesta"
    assert "LM_STUDIO" not in texts(at)


def test_test_connection_reports_success_and_failure(fake: Any, page: Any) -> None:
    at = page("settings").run()
    at.button(key="test-connection").click().run()
    assert at.success[0].value == (
        "The server answers: 3 models; smollm2-135m-instruct will answer."
    )


def test_server_down_still_shows_the_page_with_the_reason(app_db: None, page: Any) -> None:
    at = page("settings").run()
    assert not at.exception
    assert "The model list is not available" in at.warning[0].value
    # The reason is said once, by the sidebar's badge, not repeated in the page.
    assert "Cannot reach the model server" not in at.warning[0].value
    assert "Cannot reach the model server" in " ".join(c.value for c in at.sidebar.caption)
    at.button(key="test-connection").click().run()
    assert "Cannot reach the model server at http://127.0.0.1:9" in at.error[0].value
    # Defaults can still be saved while the server is down.
    at.checkbox(key="set.temperature.server").uncheck().run()
    at.slider(key="set.temperature").set_value(1.0)
    at.button(key="set-save").click().run()
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


def test_a_chats_own_settings_from_its_menu_on_the_chat_page(fake: Any, page: Any) -> None:
    """The same form, in a dialog on the chat page, scoped to that chat (issue 8: the max_tokens
    slider "on the settings page and in the chat's own settings")."""
    chat_id = new_chat("Tuned here")
    at = page("chat", chat=str(chat_id)).run()
    at.menu_button(key=f"chat-menu-{chat_id}").click("settings").run()
    assert "«Tuned here» follows the defaults" in texts(at)
    assert at.select_slider(key="chatset.max_tokens").value == 0  # "No limit"
    at.checkbox(key="chatset.temperature.server").uncheck().run()
    at.slider(key="chatset.temperature").set_value(1.2)
    at.select_slider(key="chatset.max_tokens").set_value(512)
    at.button(key="chatset-save").click().run()
    assert not at.exception and not at.error
    own = chat_settings(chat_id)
    assert (own.temperature, own.max_tokens) == (1.2, 512)
    assert defaults().temperature is None  # the defaults are untouched
    assert not [w for w in at.slider if w.key == "chatset.temperature"]  # the dialog closed
    at.chat_input(key="prompt").set_value("hi").run()
    sent = fake.requests[-1]["json"]
    assert (sent["temperature"], sent["max_tokens"]) == (1.2, 512)
