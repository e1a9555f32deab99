"""Versions on the chat page (issue 8, section 1), with AppTest and the fake server.

Regenerate and edit add versions; the page shows "‹ n / m ›" on a message with versions, switching
shows that branch below it, the choice is stored (a new session — a reload, another tab — shows the
same branch), and a version can be deleted from its menu after a confirmation.
"""

from __future__ import annotations

from typing import Any

from core.services.chats import open_chat
from tests.fakes.fake_llm_server import Reply
from tests.ui.conftest import shown_text, stored_messages


def send(at: Any, text: str) -> Any:
    at.chat_input(key="prompt").set_value(text).run()
    assert not at.exception, at.exception
    return at


def shown(at: Any) -> list[str]:
    return [shown_text(bubble) for bubble in at.chat_message]


def test_regenerate_any_answer_then_flip_between_versions(fake: Any, page: Any) -> None:
    fake.enqueue(Reply(chunks=["One."]), Reply(chunks=["Two."]), Reply(chunks=["One, again."]))
    at = send(page("chat").run(), "First question")
    send(at, "Second question")
    first_answer = stored_messages()[1]

    # Regenerate the first answer (not the last one) from its menu.
    at.menu_button(key=f"msg-menu-{first_answer.id}").click("regenerate").run()
    assert not at.exception
    assert shown(at) == ["First question", "One, again."]
    again = stored_messages()[-1]
    assert at.button(key=f"ver-prev-{again.id}").disabled is False
    assert at.button(key=f"ver-next-{again.id}").disabled is True
    assert "2 / 2" in [c.value for c in at.chat_message[1].caption]
    # Only the branch up to its question was sent.
    assert fake.requests[-1]["json"]["messages"][1:] == [
        {"role": "user", "content": "First question"}
    ]

    # Back to version 1: the old branch, to its end.
    at.button(key=f"ver-prev-{again.id}").click().run()
    assert shown(at) == ["First question", "One.", "Second question", "Two."]
    assert "1 / 2" in [c.value for c in at.chat_message[1].caption]

    # The choice is stored: a new session (a reload, another tab) shows the same branch.
    chat_id = first_answer.chat_id
    reloaded = page("chat", chat=str(chat_id)).run()
    assert shown(reloaded) == ["First question", "One.", "Second question", "Two."]

    # And the next message continues the branch that is shown.
    fake.enqueue(Reply(chunks=["Three."]))
    send(reloaded, "Third question")
    assert fake.requests[-1]["json"]["messages"][1:] == [
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": "One."},
        {"role": "user", "content": "Second question"},
        {"role": "assistant", "content": "Two."},
        {"role": "user", "content": "Third question"},
    ]
    assert len(stored_messages()) == 7  # nothing was ever deleted


def test_edit_a_message_in_the_middle_keeps_the_old_branch(fake: Any, page: Any) -> None:
    at = send(page("chat").run(), "Cats?")
    send(at, "Dogs?")
    cats = stored_messages()[0]
    at.menu_button(key=f"msg-menu-{cats.id}").click("edit").run()
    (box,) = [a for a in at.text_area if a.key and a.key.startswith("edit-")]
    box.input("Birds?")
    at.button(key=box.key.removesuffix("-text") + "-send").click().run()
    assert shown(at) == ["Birds?", "Hello from the fake server."]
    edited = next(m for m in stored_messages() if m.content == "Birds?")
    assert "2 / 2" in [c.value for c in at.chat_message[0].caption]
    at.button(key=f"ver-prev-{edited.id}").click().run()
    assert shown(at)[:3] == ["Cats?", "Hello from the fake server.", "Dogs?"]


def test_delete_a_version_asks_first_then_shows_the_other(fake: Any, page: Any) -> None:
    fake.enqueue(Reply(chunks=["Old."]), Reply(chunks=["New."]))
    at = send(page("chat").run(), "Question")
    at.button(key="regenerate").click().run()
    old, new = stored_messages()[1:]
    assert shown(at) == ["Question", "New."]
    # A message with one version offers no delete; one with versions does.
    assert at.menu_button(key=f"msg-menu-{old.parent_id}").options == ["Edit (keeps this version)"]
    assert "Delete this version…" in at.menu_button(key=f"msg-menu-{new.id}").options

    at.menu_button(key=f"msg-menu-{new.id}").click("delete").run()
    assert "Delete this version and the 0 messages after it?" in at.warning[0].value
    at.button(key=f"delete-version-{new.id}-no").click().run()
    assert len(stored_messages()) == 3 and not at.warning

    at.menu_button(key=f"msg-menu-{new.id}").click("delete").run()
    at.button(key=f"delete-version-{new.id}-yes").click().run()
    assert not at.exception
    assert [m.content for m in stored_messages()] == ["Question", "Old."]
    assert shown(at) == ["Question", "Old."]
    assert "Version deleted." in [str(toast.value) for toast in at.toast]
    assert open_chat(old.chat_id).versions == {}  # one version left: no arrows any more


def test_a_failed_regeneration_does_not_hide_the_answer(fake: Any, page: Any) -> None:
    fake.enqueue(Reply(chunks=["A good answer."]))
    at = send(page("chat").run(), "Question")
    fake.enqueue(Reply(status=500), Reply(status=500), Reply(status=500))  # and its retries
    at.button(key="regenerate").click().run()
    assert not at.exception
    assert shown(at) == ["Question", "A good answer."]  # still shown …
    assert "could not be written" in at.error[0].value  # … with why the new one failed
    assert "HTTP 500" in at.error[0].value
    _good, failed = stored_messages()[1:]
    assert (failed.status, failed.content) == ("error", "")  # kept, as a version
    assert "1 / 2" in [c.value for c in at.chat_message[1].caption]
