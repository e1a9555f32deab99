"""The History page (``pages/history.py``) run headless with AppTest on a temporary database.

AppTest cannot click a row of ``st.dataframe``; the row selection is driven through its session
state (what the browser sends), and the "Read a chat" select box (the keyboard fallback) directly.
Download buttons are built with a callable that Streamlit runs on click; the tests capture that
callable where Streamlit registers it and run it themselves, outside the script, as Streamlit does.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import select, update
from streamlit.runtime.media_file_manager import MediaFileManager

from core.conf.db import session_scope
from core.models import Chat, User
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository
from core.repositories.versions import VersionRepository
from core.schemas import ChatSettings
from tests.ui.conftest import reset_process_state, shown_text, stored_chats, texts


def chat_with(title: str, *pairs: tuple[str, str], model: str = "qwen3-8b") -> int:
    """A stored chat with (question, answer) pairs."""
    with session_scope(write=True) as db:
        chat_id = ChatRepository(db).create(title).id
        messages = MessageRepository(db)
        for question, answer in pairs:
            messages.create_message(chat_id, "user", question)
            messages.create_message(
                chat_id,
                "llm",
                answer,
                reasoning="thinking about it",
                model=model,
                completion_tokens=5,
                tokens_per_second=12.5,
            )
    return chat_id


def set_last_activity(chat_id: int, moment: datetime) -> None:
    with session_scope(write=True) as db:
        db.execute(update(Chat).where(Chat.id == chat_id).values(last_activity=moment))


def table_titles(at: Any) -> list[str]:
    return at.dataframe[0].value["title"].tolist()


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], Any]]:
    """file name -> the data callable of each download button drawn (the last run wins)."""
    captured: dict[str, Callable[[], Any]] = {}
    register = MediaFileManager.add_deferred

    def spy(self: MediaFileManager, data_callable: Any, *args: Any, **kwargs: Any) -> str:
        captured[kwargs.get("file_name") or "?"] = data_callable
        return register(self, data_callable, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    return captured


def csv_of(build: Callable[[], Any]) -> pd.DataFrame:
    handle = build()  # run like Streamlit runs it: later, outside the script
    handle.seek(0)
    return pd.read_csv(io.BytesIO(handle.read()), keep_default_na=False, dtype=str)


def test_empty_history_says_how_to_start(app_db: None, page: Any) -> None:
    at = page("history").run()
    assert not at.exception
    assert at.title[0].value == "History"
    assert "No chats yet" in texts(at)
    assert not at.dataframe


def test_table_lists_chats_newest_first_with_counts_and_model(app_db: None, page: Any) -> None:
    older = chat_with("Paella", ("rice?", "yes"), model="org/qwen3-8b")
    chat_with("Gazpacho", ("cold?", "yes"), ("tomato?", "yes"), model="smollm2")
    with session_scope(write=True) as db:
        ChatRepository(db).create("Settings only", ChatSettings(model="llama-3"))
    with session_scope(write=True) as db:  # make the order unambiguous
        db.execute(
            update(Chat)
            .where(Chat.id == older)
            .values(last_activity=datetime(2024, 1, 1, tzinfo=UTC))
        )

    at = page("history").run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert frame["title"].tolist() == ["Settings only", "Gazpacho", "Paella"]
    assert frame["messages"].tolist() == [0, 4, 2]
    assert frame["model"].tolist() == ["llama-3", "smollm2", "org/qwen3-8b"]
    assert str(frame["last"].iloc[2]).startswith("2024-01-01 00:00:00")
    proto = at.dataframe[0].proto
    assert [type(proto).SelectionMode.Name(m) for m in proto.selection_mode] == ["MULTI_ROW"]


def test_text_filter_narrows_by_title_and_by_content(app_db: None, page: Any) -> None:
    chat_with("Paella valenciana", ("how long?", "20 minutes"))
    chat_with("Cooking", ("and gazpacho?", "needs 100% ripe tomatoes"))
    chat_with("Travel", ("Lisbon?", "lovely"))

    at = page("history").run()
    assert len(table_titles(at)) == 3
    at.text_input(key="hist.text").input("PAELLA").run()
    assert table_titles(at) == ["Paella valenciana"]
    at.text_input(key="hist.text").input("ripe tomatoes").run()  # only in an answer
    assert table_titles(at) == ["Cooking"]
    at.text_input(key="hist.text").input("100%").run()
    assert table_titles(at) == ["Cooking"]
    at.text_input(key="hist.text").input("_").run()  # nothing to search: nothing filtered
    assert len(table_titles(at)) == 3 and "Type a word with letters or digits" in texts(at)
    at.text_input(key="hist.text").input("paella gazpacho").run()
    assert not at.dataframe and "No chat matches these filters." in texts(at)


def test_model_and_date_filters(app_db: None, page: Any) -> None:
    chat_with("By qwen", ("q", "a"), model="qwen3-8b")
    old = chat_with("By smol", ("q", "a"), model="smollm2")
    with session_scope(write=True) as db:
        db.execute(
            update(Chat)
            .where(Chat.id == old)
            .values(last_activity=datetime(2024, 5, 3, 12, tzinfo=UTC))
        )
    at = page("history").run()

    assert at.selectbox(key="hist.model").options == ["All models", "qwen3-8b", "smollm2"]
    at.selectbox(key="hist.model").set_value("smollm2").run()
    assert table_titles(at) == ["By smol"]
    at.selectbox(key="hist.model").set_value("").run()
    day = datetime(2024, 5, 3).date()
    at.date_input(key="hist.dates").set_value((day, day)).run()
    assert table_titles(at) == ["By smol"]
    at.date_input(key="hist.dates").set_value((day.replace(day=4), day.replace(day=30))).run()
    assert "No chat matches these filters." in texts(at)


def test_ten_thousand_chats_are_shown_a_page_at_a_time(app_db: None, page: Any) -> None:
    with session_scope(write=True) as db:
        local = db.scalar(select(User.id).where(User.issuer == "local"))  # the one person
        rows = [{"title": f"chat {i}", "owner_id": local} for i in range(250)]
        db.execute(Chat.__table__.insert(), rows)
    at = page("history").run()
    assert len(table_titles(at)) == 100
    assert "Page 1 of 3 · 250 chats" in texts(at)
    at.button(key="hist.next").click().run()
    at.button(key="hist.next").click().run()
    assert len(table_titles(at)) == 50 and "Page 3 of 3" in texts(at)
    assert at.button(key="hist.next").disabled
    at.text_input(key="hist.text").input("chat 1*").run()  # a new filter starts at page 1
    assert "Page 1 of 2 · 111 chats" in texts(at)


def test_a_chat_picked_in_the_select_box_is_rendered_read_only(app_db: None, page: Any) -> None:
    chat_id = chat_with("Paella", ("How long does it cook?", "About **20** minutes."))
    chat_with("Other", ("x", "y"))
    at = page("history").run()
    assert not at.chat_message  # nothing is read until a chat is chosen

    at.selectbox(key="hist.pick").set_value(chat_id).run()
    assert not at.exception
    assert "Paella" in [s.value for s in at.subheader]
    question, answer = at.chat_message
    assert (question.name, answer.name) == ("user", "assistant")
    assert shown_text(question) == "How long does it cook?"
    assert answer.expander[0].label == "Thinking"  # reasoning stays collapsible
    assert "About **20** minutes." in [m.value for m in answer.markdown]
    assert "qwen3-8b" in answer.caption[0].value and "5 tokens" in answer.caption[0].value
    assert not at.chat_input  # read-only: nothing to type into


def test_the_reader_counts_the_conversation_shown_and_says_the_other_versions(
    app_db: None, page: Any
) -> None:
    chat_id = chat_with("Soup", ("Hot or cold?", "Cold."), ("Why?", "Summer."))
    with session_scope(write=True) as db:  # a second answer to the first question (a version)
        messages = MessageRepository(db)
        first = messages.list_for_chat(chat_id)[0]
        messages.create_message(chat_id, "llm", "Hot.", parent_id=first.id)
    with session_scope(write=True) as db:  # the first answer's branch stays selected
        VersionRepository(db).select_version(messages_of(chat_id)[1])
    at = page("history").run()
    at.selectbox(key="hist.pick").set_value(chat_id).run()
    assert not at.exception
    assert len(at.chat_message) == 4
    captions = [c.value for c in at.caption]
    assert any("· 4 messages (and 1 in another version)" in c for c in captions), captions


def test_selecting_a_table_row_reads_that_chat(app_db: None, page: Any) -> None:
    first = chat_with("First", ("one", "uno"))
    chat_with("Second", ("two", "dos"))
    at = page("history").run()
    key = at.dataframe[0].key
    assert table_titles(at) == ["Second", "First"]

    at.session_state[key] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert at.selectbox(key="hist.pick").value == first
    assert [shown_text(m) for m in at.chat_message] == ["one", "uno"]


def test_a_long_chat_shows_its_latest_messages_and_older_on_demand(app_db: None, page: Any) -> None:
    chat_id = chat_with("Long", *((f"q{i}", f"a{i}") for i in range(40)))
    at = page("history").run()
    at.selectbox(key="hist.pick").set_value(chat_id).run()
    assert len(at.chat_message) == 50
    assert at.chat_message[-1].markdown[-1].value == "a39"
    at.button(key=f"hist.window.{chat_id}-older").click().run()
    assert len(at.chat_message) == 80
    assert shown_text(at.chat_message[0]) == "q0"


def test_csv_downloads_parse_for_the_chat_the_filter_and_everything(
    app_db: None, page: Any, downloads: dict[str, Callable[[], Any]]
) -> None:
    paella = chat_with("Paella", ("=1+1", "Sí, ñandú 😀\nsegunda línea"))
    chat_with("Travel", ("Lisbon?", "lovely"))
    at = page("history").run()
    labels = [b.label for b in at.download_button]
    assert labels == ["Selected chat", "Filtered chats (2)", "Everything (2)"]
    assert at.download_button[0].disabled  # nothing selected yet
    assert at.toggle(key="hist.safe").value is True
    assert "formula" in at.toggle(key="hist.safe").help

    everything = csv_of(downloads[next(n for n in downloads if n.startswith("charla-all-"))])
    assert len(everything) == 4
    assert everything["content"].tolist()[:2] == ["'=1+1", "Sí, ñandú 😀\nsegunda línea"]

    at.selectbox(key="hist.pick").set_value(paella).run()
    at.text_input(key="hist.text").input("lisbon").run()  # the chat being read stays
    assert at.selectbox(key="hist.pick").value == paella
    assert not at.download_button[0].disabled
    assert at.download_button[1].label == "Filtered chats (1)"
    filtered = csv_of(downloads[next(n for n in downloads if n.startswith("charla-chats-"))])
    assert set(filtered["chat_title"]) == {"Travel"}

    at.toggle(key="hist.safe").set_value(False).run()  # exact mode
    selected = csv_of(downloads[f"charla-chat-{paella}.csv"])
    assert selected["content"].tolist() == ["=1+1", "Sí, ñandú 😀\nsegunda línea"]
    assert selected["role"].tolist() == ["user", "assistant"]


def test_delete_asks_for_confirmation_then_removes_the_chat(app_db: None, page: Any) -> None:
    doomed = chat_with("Doomed", ("bye", "adiós"))
    chat_with("Kept", ("hi", "hola"))
    at = page("history").run()
    at.selectbox(key="hist.pick").set_value(doomed).run()

    at.button(key="hist.delete").click().run()
    assert "Delete «Doomed» and all its messages?" in at.warning[0].value
    assert {c.title for c in stored_chats()} == {"Doomed", "Kept"}  # not yet
    at.button(key="hist-delete-confirmation-no").click().run()
    assert not at.warning and {c.title for c in stored_chats()} == {"Doomed", "Kept"}

    at.button(key="hist.delete").click().run()
    at.button(key="hist-delete-confirmation-yes").click().run()
    assert not at.exception
    assert [c.title for c in stored_chats()] == ["Kept"]
    with session_scope() as db:
        assert MessageRepository(db).count_for_chat(doomed) == 0
    assert table_titles(at) == ["Kept"]
    assert at.selectbox(key="hist.pick").value is None and not at.chat_message
    assert "Chat deleted." in [str(t.proto.body) for t in at.toast]


def test_open_in_chat_switches_to_the_chat_page_with_that_chat(
    app_db: None, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat_id = chat_with("Paella", ("rice?", "yes"))
    switched: list[tuple[Any, Any]] = []

    def switch_page(target: Any, *, query_params: Any = None) -> None:
        # Running alone, the page has no st.navigation to switch within: record the call.
        switched.append((target, query_params))
        st.stop()

    monkeypatch.setattr(st, "switch_page", switch_page)
    at = page("history").run()
    at.selectbox(key="hist.pick").set_value(chat_id).run()
    at.button(key="hist.open").click().run()
    assert not at.exception
    assert switched == [("pages/chat.py", {"chat": str(chat_id)})]

    # …and the chat page opened that way shows the chat, ready to continue it.
    chat = page("chat", chat=str(chat_id)).run()
    assert not chat.exception
    assert [shown_text(m) for m in chat.chat_message] == ["rice?", "yes"]
    assert chat.chat_input


def test_spanish_history_page(app_db: None, page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_LANGUAGE", "es")
    reset_process_state()
    chat_with("Paella", ("¿arroz?", "sí"))
    at = page("history").run()
    assert at.title[0].value == "Historial"
    assert [b.label for b in at.download_button] == [
        "Chat seleccionado",
        "Chats filtrados (1)",
        "Todo (1)",
    ]
    assert at.toggle(key="hist.safe").label == "Seguro para hojas de cálculo"
    assert "History" not in texts(at)


def test_the_page_alone_still_asks_for_the_password(
    app_db: None, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARLA_PASSWORD", "open sesame")
    reset_process_state()
    chat_with("Private", ("secret question", "secret answer"))
    at = page("history").run()
    assert at.title[0].value == "Charla is locked"
    assert not at.dataframe and not at.download_button
    assert "Private" not in texts(at) and "secret" not in texts(at)


def messages_of(chat_id: int) -> list[int]:
    """Every message id of the chat, every version, oldest first."""
    with session_scope() as db:
        return [m.id for m in MessageRepository(db).list_for_chat(chat_id)]
