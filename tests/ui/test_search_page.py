"""Search in the app, run headless with AppTest: the History page's search box and its hits, a hit
opening its chat at the message (version and window shown, highlighted), "Find in this chat", and
organising chats (pin, archive, tags) from the chat's menu and from History's selected rows.

``st.switch_page`` has no ``st.navigation`` to switch within when a page runs alone: the tests
record the call, then run the chat page with the query parameters it was given.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import streamlit as st

from core.conf.db import session_scope
from core.repositories.messages import MessageRepository
from core.services import chats as chat_service
from core.services import organise
from tests.chat_rows import chat_with
from tests.ui.conftest import shown_text, stored_chats, texts


def hits_html(at: Any) -> list[str]:
    """The snippets shown (their HTML), in order."""
    return [h.value for h in at.html if "charla-snippet" in h.value]


def marked(snippet_html: str) -> list[str]:
    return re.findall(r"<mark[^>]*>(.*?)</mark>", snippet_html)


@pytest.fixture
def switched(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    calls: list[tuple[Any, Any]] = []

    def switch_page(target: Any, *, query_params: Any = None) -> None:
        calls.append((target, query_params))
        st.stop()

    monkeypatch.setattr(st, "switch_page", switch_page)
    return calls


def test_history_search_shows_highlighted_hits_with_count_sender_and_model(
    app_db: None, page: Any
) -> None:
    chat_with("Biología", "¿Qué es la fotosíntesis?", "La FOTOSINTESIS convierte luz.")
    chat_with("Cocina", "<b>paella</b> *no* fotosintesis")
    at = page("history").run()
    box = at.text_input(key="hist.text")
    assert box.proto.type == type(box.proto).SEARCH  # the search kind of box, live
    at.text_input(key="hist.text").input("fotosintesis").run()
    assert not at.exception
    assert "3 messages match" in texts(at)
    snippets = hits_html(at)
    assert len(snippets) == 3
    assert sorted(m for s in snippets for m in marked(s)) == [
        "FOTOSINTESIS", "fotosintesis", "fotosíntesis",
    ]  # fmt: skip
    # A person's markup is text, never HTML or Markdown.
    assert any("&lt;b&gt;paella&lt;/b&gt; *no*" in s for s in snippets)
    captions = texts(at)
    assert "qwen3-8b" in captions and "You" in captions
    assert sorted(at.dataframe[0].value["title"].tolist()) == ["Biología", "Cocina"]


def test_history_hits_page_through_many_matches(app_db: None, page: Any) -> None:
    chat_with("Many", *[f"kiwi number {i}" for i in range(13)])
    at = page("history").run()
    at.text_input(key="hist.text").input("kiwi").run()
    assert "13 messages match" in texts(at) and len(hits_html(at)) == 10
    at.button(key="search.next").click().run()
    assert len(hits_html(at)) == 3 and "Page 2 of 2" in texts(at)
    at.text_input(key="hist.text").input("kiwi number").run()  # a new query: first page
    assert len(hits_html(at)) == 10


def test_nothing_found_and_odd_input_are_sentences_not_errors(app_db: None, page: Any) -> None:
    chat_with("Chat", "hello there")
    at = page("history").run()
    for query in ['"open quote', "AND(", "'; DROP TABLE messages; --", "🙂", "*", "-"]:
        at.text_input(key="hist.text").input(query).run()
        assert not at.exception, query
    at.text_input(key="hist.text").input("zzzz").run()
    assert "No message matches" in texts(at)


def test_clicking_a_hit_opens_the_chat_at_that_message_in_its_version_and_window(
    app_db: None, page: Any, switched: list[tuple[Any, Any]]
) -> None:
    chat_id = chat_with("Long", *[f"filler {i}" for i in range(120)])
    with session_scope(write=True) as db:  # an older version of an early answer holds the word
        messages = MessageRepository(db)
        early = messages.branch(chat_id)[2]  # a question far behind the newest 50
        old = messages.create_message(chat_id, "llm", "the walrus answer", parent_id=early.id)
    with session_scope() as db:
        newer = MessageRepository(db).branch(chat_id)[3].id
    chat_service.select_version(newer)  # the version shown is not `old`
    at = page("history").run()
    at.text_input(key="hist.text").input("walrus").run()
    at.button(key=f"hit-open-{old.id}").click().run()
    assert switched == [("pages/chat.py", {"chat": str(chat_id), "msg": str(old.id)})]

    chat = page("chat", **switched[0][1]).run()
    assert not chat.exception
    shown = [shown_text(m) for m in chat.chat_message]
    assert "the walrus answer" in shown  # its version, and a window reaching back to it
    styles = [h.value for h in chat.html if "outline" in h.value]
    assert any(f"st-key-msg-bar-{old.id}" in s for s in styles)  # highlighted
    assert any("scrollIntoView" in h.value for h in chat.html)
    chat.run()  # later reruns keep the highlight; the browser's copy of the script decides
    assert any(f"st-key-msg-bar-{old.id}" in h.value and "outline" in h.value for h in chat.html)
    script = next(h.value for h in chat.html if "scrollIntoView" in h.value)
    assert '=== "left") return' in script  # once the person moved, no copy scrolls again


def test_find_in_this_chat_lists_its_hits_and_jumps(app_db: None, page: Any) -> None:
    chat_id = chat_with("Here", "the lighthouse lamp", "a lighthouse again", "nothing")
    chat_with("Elsewhere", "another lighthouse")
    at = page("chat", chat=str(chat_id)).run()
    at.text_input(key=f"find.{chat_id}").input("LIGHTHOUSE").run()
    assert not at.exception
    found = [h for h in at.html if "charla-snippet" in h.value]
    assert len(found) == 2 and "2 messages match" in texts(at)
    with session_scope() as db:
        second = MessageRepository(db).branch(chat_id)[1].id
    at.button(key=f"hit-open-{second}").click().run()
    assert at.query_params["msg"] == str(second)
    assert any(f"st-key-msg-bar-{second}" in h.value for h in at.html)
    at.sidebar.button(key="chat-new").click().run()  # another chat: the target is dropped
    assert "msg" not in at.query_params


def test_pin_archive_and_tags_from_the_chat_menu(app_db: None, page: Any) -> None:
    first = chat_with("First", "one")
    second = chat_with("Second", "two")
    organise.add_tag([second], "Work")
    at = page("chat", chat=str(first)).run()
    at.menu_button(key=f"chat-menu-{first}").click("pin").run()
    listed = [
        b.key for b in at.sidebar.button if str(b.key).startswith("chat-") and b.key[5:].isdigit()
    ]
    assert listed == [f"chat-{first}", f"chat-{second}"]  # pinned first
    assert "Unpin" in at.menu_button(key=f"chat-menu-{first}").options
    at.menu_button(key=f"chat-menu-{first}").click("archive").run()
    listed = [
        b.key for b in at.sidebar.button if str(b.key).startswith("chat-") and b.key[5:].isdigit()
    ]
    assert listed == [f"chat-{second}"]  # archived: not in the sidebar
    at.menu_button(key=f"chat-menu-{first}").click("tags").run()
    at.multiselect[0].set_value(["work"])  # a tag the other chat already has
    at.button[[b.label for b in at.button].index("Save")].click().run()
    summary = chat_service.get_chat(first)
    assert summary.pinned and summary.archived and summary.tags == ("work",)


def test_history_bulk_actions_on_selected_rows(app_db: None, page: Any) -> None:
    ids = [chat_with(f"Chat {i}", f"text {i}") for i in range(4)]
    at = page("history").run()
    key = at.dataframe[0].key
    at.session_state[key] = {"selection": {"rows": [0, 1, 2], "columns": [], "cells": []}}
    at.run()
    assert "3 chats selected" in texts(at)
    at.text_input(key="hist.bulk_tag").input("Trip").run()
    at.button(key="hist.bulk.tag").click().run()
    assert {chat_service.get_chat(i).tags for i in ids} == {("trip",), ()}
    assert at.dataframe[0].key != key  # the selection starts again after an action

    key = at.dataframe[0].key
    at.session_state[key] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    at.button(key="hist.bulk.archive").click().run()
    assert sum(chat_service.get_chat(i).archived for i in ids) == 2
    at.selectbox(key="hist.show").set_value("archived").run()
    assert len(at.dataframe[0].value) == 2

    at.selectbox(key="hist.show").set_value("all").run()
    key = at.dataframe[0].key
    at.session_state[key] = {"selection": {"rows": [0, 1, 2], "columns": [], "cells": []}}
    at.run()
    at.button(key="hist.bulk.delete").click().run()
    assert "Delete 3 chats and all their messages?" in texts(at)
    assert len(stored_chats()) == 4  # nothing deleted before "Yes"
    at.button(key="hist-bulk-confirmation-yes").click().run()
    assert len(stored_chats()) == 1


def test_manage_tags_renames_a_tag_everywhere_and_removes_it_after_asking(
    app_db: None, page: Any
) -> None:
    ids = [chat_with(f"Chat {i}", f"text {i}") for i in range(3)]
    organise.add_tag(ids[:2], "Trip")
    organise.add_tag(ids[2:], "work")
    at = page("history").run()
    assert at.expander[0].label == "Manage tags"
    at.selectbox(key="hist.tags.pick").set_value("trip").run()
    at.text_input(key="hist.tags.new").input("Holidays").run()
    at.button(key="hist.tags.rename").click().run()
    assert not at.exception
    assert [chat_service.get_chat(i).tags for i in ids] == [("holidays",), ("holidays",), ("work",)]
    assert "«trip» is now «holidays»." in [toast.value for toast in at.toast]

    at.selectbox(key="hist.tags.pick").set_value("holidays").run()
    at.button(key="hist.tags.delete").click().run()
    assert "Remove the tag «holidays» from its 2 chats? The chats stay." in texts(at)
    assert chat_service.get_chat(ids[0]).tags == ("holidays",)  # nothing before "Yes"
    at.button(key="hist-tag-confirmation-yes").click().run()
    assert [chat_service.get_chat(i).tags for i in ids] == [(), (), ("work",)]
    assert len(stored_chats()) == 3  # the chats stay
