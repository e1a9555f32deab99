"""The Compare page (``pages/compare.py``) run headless with AppTest against the fake server: the
form offers the server's chat models (saying which are not loaded), a comparison is followed until
every answer ends and then shown side by side with the summary and "Keep this answer", keeping
opens the chat page on that chat, and a chat that is still a comparison opens here."""

from __future__ import annotations

from typing import Any

import pytest
import streamlit as st

from core.services import chats, compare
from core.services.chat import ChatService
from tests.fakes.fake_llm_server import FakeLLMServer, Reply
from tests.ui.conftest import reset_process_state, texts

LOADED, NOT_LOADED = "smollm2-135m-instruct", "qwen3-8b"


@pytest.fixture
def switched(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Pages switched to (their URL path) and with which query parameters."""
    calls: list[tuple[str, Any]] = []

    def switch_page(target: Any, *, query_params: Any = None) -> None:
        # Running alone, the page has no st.navigation to switch within: record the call.
        calls.append((getattr(target, "url_path", target), query_params))
        st.stop()

    monkeypatch.setattr(st, "switch_page", switch_page)
    return calls


def start_comparison(at: Any, prompt: str, models: list[str]) -> Any:
    at.text_area(key="cmp.prompt").input(prompt)
    at.multiselect(key="cmp.models").set_value(models)
    return at.button[0].click().run()  # the form's Compare button


def test_a_comparison_is_followed_then_shown_side_by_side(
    fake: FakeLLMServer, page: Any, switched: list[tuple[str, Any]]
) -> None:
    fake.enqueue(
        Reply(chunks=["Short."], usage={"prompt_tokens": 9, "completion_tokens": 2}),
        Reply(
            chunks=["A much ", "longer one."], usage={"prompt_tokens": 9, "completion_tokens": 5}
        ),
    )
    at = page("compare").run()
    assert not at.exception
    assert at.multiselect(key="cmp.models").options == [LOADED, f"{NOT_LOADED} (not loaded)"]
    assert at.toggle(key="cmp.one_at_a_time").value is True
    at = start_comparison(at, "Say something", [LOADED, NOT_LOADED])
    assert not at.exception
    (found,) = compare.recent()
    assert at.query_params["comparison"] == str(found.id)
    answers = [m for m in at.chat_message if m.name == "assistant"]
    assert [a.markdown[0].value for a in answers] == ["Short.", "A much longer one."]
    shown = texts(at)
    assert "Shortest: **smollm2-135m-instruct** (2 tokens)" in shown
    assert "Longest: **qwen3-8b** (5 tokens)" in shown
    assert "the first token includes loading the model" in shown  # qwen3-8b was not loaded
    keep = [b for b in at.button if b.label == "Keep this answer"]
    assert len(keep) == 2

    keep[1].click().run()
    assert switched == [("", {"chat": str(found.id)})]  # the chat page, on that chat
    kept = chats.open_chat(found.id)
    assert kept.summary.kind == "chat" and kept.summary.settings.model == NOT_LOADED
    assert [m.content for m in kept.messages] == ["Say something", "A much longer one."]


def test_the_chat_page_sends_a_comparison_to_the_compare_page(
    fake: FakeLLMServer, page: Any, switched: list[tuple[str, Any]]
) -> None:
    chat_id = compare.start(ChatService(), "Hi", [LOADED, NOT_LOADED])
    at = page("chat", chat=str(chat_id)).run()
    assert switched == [("compare", {"comparison": str(chat_id)})]
    assert not at.chat_message  # nothing of the comparison drawn as a chat


def test_a_form_that_cannot_compare_says_why(
    fake: FakeLLMServer, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = start_comparison(page("compare").run(), "Hi", [LOADED])
    assert "Choose between 2 and 4 different models." in [e.value for e in at.error]
    assert not compare.recent()
    fake.models = fake.models[:1]  # the server offers one chat model only
    reset_process_state()
    at = page("compare").run()
    assert "fewer than two chat models" in at.info[0].value
    at = page("compare", comparison="999").run()
    assert "This comparison no longer exists." in texts(at)


def test_spanish_compare_page(
    fake: FakeLLMServer, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_LANGUAGE", "es")
    reset_process_state()
    at = page("compare").run()
    assert at.title[0].value == "Compara modelos lado a lado"
    assert at.toggle(key="cmp.one_at_a_time").label == "De uno en uno (tiempos justos)"
    assert f"{NOT_LOADED} (no cargado)" in at.multiselect(key="cmp.models").options
    assert "Compare models" not in texts(at)
