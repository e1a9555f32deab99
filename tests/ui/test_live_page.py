"""The chat page with answers generated apart from it (issue 9), with AppTest and the fake server.

AppTest runs a page to the end, so these tests see what a page shows *after* following an answer:
the page followed one started elsewhere to its end, refused a second message while the chat was
answering (keeping the text), showed the context meter and dimmed what is no longer sent, and the
model titled the chat. Following, reloading and stopping mid-answer are browser tests
(tests/e2e/test_browser_live.py).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from core.conf.db import session_scope
from core.repositories.messages import MessageRepository
from core.schemas import ChatSettings
from core.services.chat import ChatService
from core.services.chats import get_chat, new_chat
from core.services.workers import answer_workers, request_stop
from tests.fakes.fake_llm_server import FakeLLMServer, Reply
from tests.ui.conftest import shown_text, stored_messages, texts


def send(at: Any, text: str) -> Any:
    at.chat_input(key="prompt").set_value(text).run()
    assert not at.exception, at.exception
    return at


def wait_until(check: Any, what: str, deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_an_answer_started_elsewhere_is_followed_to_its_end(fake: Any, page: Any) -> None:
    chat_id = new_chat("Elsewhere")
    fake.enqueue(Reply(chunks=[f"w{i} " for i in range(20)], delay_between=0.05))
    reply = ChatService().send(chat_id, "Started in another tab")
    answer_workers.start(reply)
    at = page("chat", chat=str(chat_id)).run()  # follows until the answer ends, then reruns
    assert not at.exception
    bubbles = at.chat_message
    assert [b.name for b in bubbles] == ["user", "assistant"]
    assert bubbles[1].markdown[0].value == "".join(f"w{i} " for i in range(20)).strip()
    assert "tokens" in bubbles[1].caption[0].value  # drawn as stored, with its caption


def test_a_message_sent_while_the_chat_answers_goes_when_the_answer_ends(
    fake: Any, page: Any
) -> None:
    chat_id = new_chat("Busy")
    at = page("chat", chat=str(chat_id)).run()  # the page is open …
    fake.enqueue(Reply(chunks=["slow ", "answer"], delay_between=1.0), Reply(chunks=["Next."]))
    reply = ChatService().send(chat_id, "First")
    answer_workers.start(reply)  # … when an answer starts (from another tab)
    at.chat_input(key="prompt").set_value("Second, sent too soon")
    at.run()  # waits (shown as the next message), then goes once the answer has ended
    assert not at.exception
    assert [m.content for m in stored_messages(chat_id)] == [
        "First",
        "slow answer",
        "Second, sent too soon",
        "Next.",
    ]
    assert shown_text(at.chat_message[2]) == "Second, sent too soon"


def test_the_meter_shows_the_window_and_what_is_left_out(page: Any, app_db: None) -> None:
    tiny = {"id": "tiny-model", "state": "loaded", "max_context_length": 1000}
    with FakeLLMServer(models=[tiny]) as fake:
        at_env = pytest.MonkeyPatch()
        at_env.setenv("LM_STUDIO_URL", fake.url)
        try:
            from tests.ui.conftest import reset_process_state

            reset_process_state()
            chat_id = new_chat("Long", ChatSettings(model="tiny-model", max_tokens=200))
            with session_scope(write=True) as db:
                repo = MessageRepository(db)
                for turn in range(6):
                    repo.create_message(chat_id, "user", f"q{turn} " + "x" * 300)
                    repo.create_message(chat_id, "llm", f"a{turn} " + "y" * 300)
            at = page("chat", chat=str(chat_id)).run()
        finally:
            at_env.undo()
            reset_process_state()
    shown = texts(at)
    assert "/ 1,000 tokens" in shown  # "≈ 763 / 1,000 tokens"
    assert "older messages not sent" in shown
    notes = [c for c in at.caption if c.value == "Not sent to the model: outside its context."]
    assert notes and len(notes) < 12  # the oldest ones, not all of them
    # The newest messages are sent: the last bubble carries no note.
    assert all(
        c.value != "Not sent to the model: outside its context."
        for c in at.chat_message[-1].caption
    )


def test_the_model_titles_the_chat_after_its_first_answer(fake: Any, page: Any) -> None:
    fake.enqueue(Reply(chunks=["Buenos días a ti también."]))
    fake.enqueue_title(Reply(chunks=['"Saludo matinal".']))
    at = send(page("chat").run(), "buenos días, ¿qué tal estás hoy por la mañana?")
    (message, _) = stored_messages()
    wait_until(lambda: get_chat(message.chat_id).title == "Saludo matinal", "the model's title")
    assert page("chat", chat=str(message.chat_id)).run().subheader[0].value == "Saludo matinal"
    assert fake.title_requests[-1]["json"]["stream"] is False  # the title request
    assert not at.exception


def test_stop_from_another_tab_ends_the_followed_answer(fake: Any, page: Any) -> None:
    chat_id = new_chat("Stopped elsewhere")
    fake.enqueue(Reply(chunks=["uno ", "dos ", "tres"], delay_between=2.0))
    reply = ChatService().send(chat_id, "Count slowly")
    answer_workers.start(reply)
    wait_until(lambda: reply.live.content, "the first word")
    request_stop(reply.answer_id)  # the Stop button of another tab
    at = page("chat", chat=str(chat_id)).run()
    captions = [c.value for c in at.chat_message[-1].caption]
    assert any("stopped" in c for c in captions)
    assert at.button(key="regenerate")  # the actions are back
