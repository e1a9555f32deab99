"""The chat page (``pages/chat.py``) run headless with AppTest, against the fake LLM server and a
temporary SQLite database. Each test asserts on what the user sees and on what is stored."""

from __future__ import annotations

from typing import Any

import pytest

from core.conf.db import session_scope
from core.i18n import t
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository
from core.services.chats import new_chat
from tests.fakes.fake_llm_server import Reply
from tests.ui.conftest import (
    reset_process_state,
    shown_text,
    stored_chats,
    stored_messages,
    texts,
)


def send(at: Any, text: str) -> Any:
    at.chat_input(key="prompt").set_value(text).run()
    assert not at.exception, at.exception
    return at


def chat_with(*pairs: tuple[str, str]) -> int:
    """A stored chat with (user, answer) pairs."""
    chat_id = new_chat("Stored chat")
    with session_scope(write=True) as db:
        messages = MessageRepository(db)
        for question, answer in pairs:
            messages.create_message(chat_id, "user", question)
            messages.create_message(chat_id, "llm", answer, model="m")
    return chat_id


def test_send_shows_the_streamed_answer_and_stores_both_messages(fake: Any, page: Any) -> None:
    fake.enqueue(Reply(chunks=["Hola", ", ", "mundo", "."]))
    at = send(page("chat").run(), "Say hello")

    bubbles = at.chat_message
    assert [b.name for b in bubbles] == ["user", "assistant"]
    assert shown_text(bubbles[0]) == "Say hello"
    assert bubbles[1].markdown[0].value == "Hola, mundo."
    rows = stored_messages()
    assert [(m.sender, m.content, m.status) for m in rows] == [
        ("user", "Say hello", "complete"),
        ("llm", "Hola, mundo.", "complete"),
    ]
    # The caption under the answer: model, tokens, time to first token, speed.
    caption = bubbles[1].caption[0].value
    assert "smollm2-135m-instruct" in caption and "tokens" in caption and "tok/s" in caption
    # The new chat is selected, titled from the message, in the URL and in the sidebar list.
    (chat,) = stored_chats()
    assert chat.title == "Say hello"
    assert at.query_params["chat"] == str(chat.id)
    assert at.sidebar.button(key=f"chat-{chat.id}").label == "Say hello"
    assert fake.requests[-1]["json"]["messages"][-1] == {"role": "user", "content": "Say hello"}


def test_reasoning_goes_to_the_thinking_expander_not_the_answer(fake: Any, page: Any) -> None:
    fake.enqueue(Reply(reasoning=["Let me ", "count."], chunks=["The answer", " is 42."]))
    at = send(page("chat").run(), "What is six times seven?")

    answer = at.chat_message[1]
    (thinking,) = answer.expander
    assert thinking.label == "Thinking"
    assert thinking.markdown[0].value == "Let me count."
    assert [m.value for m in answer.markdown if m.value != "Let me count."] == ["The answer is 42."]
    stored = stored_messages()[-1]
    assert (stored.content, stored.reasoning) == ("The answer is 42.", "Let me count.")


def test_model_html_is_shown_as_text_never_executed(fake: Any, page: Any) -> None:
    payload = "<img src=x onerror=alert(1)>"
    fake.enqueue(Reply(chunks=["Look: ", payload]))
    at = send(page("chat").run(), "html please")

    shown = at.chat_message[1].markdown[0]
    assert payload in shown.value
    assert shown.proto.allow_html is False


def test_settings_saved_on_the_settings_page_are_used_by_the_next_request(
    fake: Any, page: Any
) -> None:
    settings = page("settings").run()
    settings.checkbox(key="set.temperature.server").uncheck().run()
    settings.slider(key="set.temperature").set_value(1.3)
    settings.select_slider(key="set.max_tokens").set_value(768)
    settings.text_area(key="set.stop").input("END\nSTOP")
    settings.button(key="set-save").click().run()
    assert not settings.exception

    send(page("chat").run(), "Hi")
    request = fake.requests[-1]["json"]
    assert request["temperature"] == pytest.approx(1.3)
    assert request["max_tokens"] == 768
    assert request["stop"] == ["END", "STOP"]
    params = stored_messages()[-1].params
    assert params["temperature"] == pytest.approx(1.3)
    assert params["max_tokens"] == 768


def test_server_down_shows_what_to_do_and_keeps_the_message(app_db: None, page: Any) -> None:
    # The autouse environment points LM_STUDIO_URL at a port where nothing listens.
    at = send(page("chat").run(), "Is anyone there?")

    assert "Cannot reach the model server at http://127.0.0.1:9" in at.error[0].value
    assert at.button(key="retry").label == "Retry"
    user, answer = stored_messages()
    assert (user.sender, user.content) == ("user", "Is anyone there?")
    assert (answer.status, answer.error_code) == ("error", "error.server_unreachable")
    assert "Is anyone there?" in texts(at)  # still on screen


@pytest.mark.parametrize("fake_server", [{"api_key": "right-key"}], indirect=True)
def test_missing_api_key_shows_the_401_advice(fake: Any, page: Any) -> None:
    at = send(page("chat").run(), "Hello?")

    assert "LM_STUDIO_API_KEY" in at.error[0].value
    assert "401" in at.error[0].value
    assert [m.content for m in stored_messages() if m.sender == "user"] == ["Hello?"]


def test_unknown_model_is_explained(fake: Any, page: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("LM_STUDIO_MODEL", "no-such-model")
    reset_process_state()
    at = send(page("chat").run(), "Hello?")

    assert "does not know the model 'no-such-model'" in at.error[0].value
    assert stored_messages()[-1].status == "error"
    assert stored_messages()[0].content == "Hello?"


def test_retry_after_a_failure_answers_the_same_message(fake: Any, page: Any) -> None:
    fake.enqueue(Reply(status=500, body={"error": "boom"}), Reply(status=500), Reply(status=500))
    fake.enqueue(Reply(chunks=["Recovered."]))
    at = send(page("chat").run(), "Try this")
    assert at.error, "the failure is shown"

    at.button(key="retry").click().run()
    assert not at.exception
    assert not at.error
    rows = stored_messages()
    assert [(m.sender, m.content, m.status) for m in rows] == [
        ("user", "Try this", "complete"),
        ("llm", "", "error"),  # the failed attempt is kept, as another version
        ("llm", "Recovered.", "complete"),
    ]
    assert at.chat_message[-1].markdown[0].value == "Recovered."


def test_regenerate_keeps_the_old_answer_as_a_version(fake: Any, page: Any) -> None:
    fake.enqueue(Reply(chunks=["First."]), Reply(chunks=["Second."]))
    at = send(page("chat").run(), "Answer twice")

    at.button(key="regenerate").click().run()
    assert not at.exception
    rows = stored_messages()
    assert [(m.sender, m.content) for m in rows] == [
        ("user", "Answer twice"),
        ("llm", "First."),
        ("llm", "Second."),
    ]
    assert [shown_text(b) for b in at.chat_message] == ["Answer twice", "Second."]
    assert "2 / 2" in [c.value for c in at.chat_message[1].caption]


def test_edit_adds_a_version_of_the_message(fake: Any, page: Any) -> None:
    fake.enqueue(Reply(chunks=["About cats."]), Reply(chunks=["About dogs."]))
    at = send(page("chat").run(), "Tell me about cats")
    user_id = stored_messages()[0].id

    at.menu_button(key=f"msg-menu-{user_id}").click("edit").run()
    (box,) = [a for a in at.text_area if a.key and a.key.startswith("edit-")]
    assert box.value == "Tell me about cats"
    box.input("Tell me about dogs")
    at.button(key=box.key.removesuffix("-text") + "-send").click().run()
    assert not at.exception
    rows = stored_messages()
    assert [(m.sender, m.content) for m in rows] == [
        ("user", "Tell me about cats"),
        ("llm", "About cats."),
        ("user", "Tell me about dogs"),
        ("llm", "About dogs."),
    ]
    assert [shown_text(b) for b in at.chat_message] == ["Tell me about dogs", "About dogs."]
    assert fake.requests[-1]["json"]["messages"][1:] == [
        {"role": "user", "content": "Tell me about dogs"}
    ]


def test_refused_input_is_kept_as_a_draft_and_nothing_is_stored(fake: Any, page: Any) -> None:
    at = send(page("chat").run(), "bad\x00text")

    assert at.warning[0].value == t("input.nul_character", "en")
    assert at.text_area(key="draft-text").value == "bad\x00text"
    assert stored_messages() == [] and stored_chats() == []
    # Fix it and send the draft.
    at.text_area(key="draft-text").input("good text")
    at.button(key="draft-send").click().run()
    assert [m.content for m in stored_messages()] == ["good text", "Hello from the fake server."]


def test_stopped_interrupted_and_cut_answers_say_so(app_db: None, page: Any) -> None:
    chat_id = new_chat("Statuses")
    with session_scope(write=True) as db:
        messages = MessageRepository(db)
        messages.create_message(chat_id, "user", "q1")
        messages.create_message(chat_id, "llm", "partial", status="stopped")
        messages.create_message(chat_id, "user", "q2")
        messages.create_message(
            chat_id, "llm", "cut", status="stopped", error_code="error.interrupted"
        )
        messages.create_message(chat_id, "user", "q3")
        messages.create_message(
            chat_id,
            "llm",
            "long",
            finish_reason="length",
            model="a/b/x.gguf",
            params={"max_tokens": 4},
            completion_tokens=4,
        )
        messages.create_message(chat_id, "user", "q4")
        # "length" with no max_tokens sent: the server stopped at its context, not at a limit.
        messages.create_message(chat_id, "llm", "full", finish_reason="length", model="m")
    at = page("chat", chat=str(chat_id)).run()

    captions = [b.caption[0].value for b in at.chat_message if b.name == "assistant"]
    assert captions == [
        "stopped",
        "interrupted",
        r"x.gguf · 4 tokens · cut by max\_tokens",
        "m · cut: the model's context is full",  # not "max_tokens": none was sent
    ]


def test_long_chat_shows_a_window_and_older_messages_on_demand(app_db: None, page: Any) -> None:
    chat_id = chat_with(*[(f"q{i}", f"a{i}") for i in range(60)])  # 120 messages
    at = page("chat", chat=str(chat_id)).run()

    assert len(at.chat_message) == 50
    assert at.chat_message[-1].markdown[0].value == "a59"
    older = f"window-{chat_id}-older"
    at.button(key=older).click().run()
    assert len(at.chat_message) == 100
    at.button(key=older).click().run()
    assert len(at.chat_message) == 120
    assert shown_text(at.chat_message[0]) == "q0"
    assert not [b for b in at.button if b.key == older]


def test_switch_rename_and_delete_chats(app_db: None, page: Any) -> None:
    first = chat_with(("first question", "first answer"))
    second = chat_with(("second question", "second answer"))
    at = page("chat").run()
    at.sidebar.button(key=f"chat-{first}").click().run()
    assert shown_text(at.chat_message[0]) == "first question"
    assert at.query_params["chat"] == str(first)

    menu = f"chat-menu-{first}"
    assert at.menu_button(key=menu).options == [
        "Settings of this chat…", "Rename…", "Pin", "Archive", "Tags…", "Delete chat…",
    ]  # fmt: skip
    at.menu_button(key=menu).click("rename").run()  # the menu closes; a dialog asks
    title_box = next(box for box in at.text_input if box.key != f"find.{first}")  # not "Find"
    title_box.input("Renamed chat")
    at.button[[b.label for b in at.button].index("Rename")].click().run()
    with session_scope() as db:
        assert ChatRepository(db).get(first).title == "Renamed chat"
        assert ChatRepository(db).get(first).title_by_user  # never replaced by the model
    assert at.subheader[0].value == "Renamed chat"

    at.menu_button(key=menu).click("delete").run()
    assert "Delete «Renamed chat»" in at.warning[0].value
    at.button(key="delete-confirmation-no").click().run()
    assert [c.id for c in stored_chats()] == [first, second]
    at.menu_button(key=menu).click("delete").run()
    at.button(key="delete-confirmation-yes").click().run()
    assert [c.id for c in stored_chats()] == [second]
    assert stored_messages(first) == []
    assert "chat" not in at.query_params
    assert at.title[0].value == "New chat"


def test_chat_list_pages_through_many_chats(app_db: None, page: Any) -> None:
    with session_scope(write=True) as db:
        chats = ChatRepository(db)
        for i in range(65):
            chats.create(f"Chat {i}")
    at = page("chat").run()

    def listed() -> list[str]:
        return [
            b.label
            for b in at.sidebar.button
            if b.key and b.key.startswith("chat-") and b.key[5:].isdigit()
        ]

    assert len(listed()) == 30 and listed()[0] == "Chat 64"  # newest first
    at.sidebar.button(key="chat-more").click().run()
    assert len(listed()) == 60
    at.sidebar.button(key="chat-more").click().run()
    assert len(listed()) == 65
    assert not [b for b in at.sidebar.button if b.key == "chat-more"]


def test_opening_a_chat_from_the_url(app_db: None, page: Any) -> None:
    chat_id = chat_with(("from history", "yes"))
    at = page("chat", chat=str(chat_id)).run()
    assert [shown_text(b) for b in at.chat_message] == ["from history", "yes"]
    # A chat that no longer exists falls back to a new chat instead of failing.
    at = page("chat", chat="999").run()
    assert not at.exception
    assert at.title[0].value == "New chat"


def test_spanish_ui(fake: Any, page: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("APP_LANGUAGE", "es")
    reset_process_state()
    fake.enqueue(Reply(reasoning=["Pienso."], chunks=["Hola."]))
    at = page("chat").run()
    assert at.title[0].value == "Chat nuevo"
    assert at.chat_input[0].placeholder == "Escribe al modelo…"
    send(at, "Hola")
    assert at.chat_message[1].expander[0].label == "Razonamiento"
    assert at.button(key="regenerate").label == "Regenerar"
    assert "primer token" in at.chat_message[1].caption[0].value


def test_a_refused_edit_stays_an_edit(fake: Any, page: Any) -> None:
    at = send(page("chat").run(), "first wording")
    user_id = stored_messages()[0].id
    at.menu_button(key=f"msg-menu-{user_id}").click("edit").run()
    (box,) = [a for a in at.text_area if a.key and a.key.startswith("edit-")]
    box.input("bad\x00wording")
    at.button(key=box.key.removesuffix("-text") + "-send").click().run()
    assert at.warning[0].value == t("input.nul_character", "en")
    assert stored_messages()[0].content == "first wording"  # nothing changed

    at.text_area(key="draft-text").input("second wording")
    at.button(key="draft-send").click().run()
    assert [(m.sender, m.content) for m in stored_messages()] == [
        ("user", "first wording"),
        ("llm", "Hello from the fake server."),
        ("user", "second wording"),  # a new version of the first message
        ("llm", "Hello from the fake server."),
    ]
    assert stored_messages()[2].parent_id is None
