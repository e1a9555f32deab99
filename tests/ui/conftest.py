"""Fixtures for the page tests: a migrated temporary database, fresh Streamlit caches, helpers.

Each page file runs headless with ``streamlit.testing.v1.AppTest`` in this process, so the
process-wide things a page shares (``st.cache_resource``: bootstrap, chat service, connection
checks; the provider built from the settings) are reset before every test, after the environment
fixtures have pointed ``DATABASE_URL`` and ``LM_STUDIO_URL`` where the test wants them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import bootstrap
from core.conf import settings as conf_settings
from core.conf.db import session_scope
from core.models import Chat, Message
from core.providers.llm_studio_api import reset_provider

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30  # seconds one script run may take (they talk to a local HTTP server)


def reset_process_state() -> None:
    """Forget the settings, provider and Streamlit caches so the next run reads the environment."""
    conf_settings.reset_settings()
    reset_provider()
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def app_db() -> Iterator[None]:
    """The autouse temporary SQLite database, migrated, with fresh process state."""
    reset_process_state()
    bootstrap.start()
    yield
    reset_process_state()


@pytest.fixture
def fake(fake_server: Any, app_db: None) -> Any:
    """The fake LLM server, with the provider rebuilt to talk to it."""
    reset_process_state()
    return fake_server


@pytest.fixture
def page() -> Callable[..., AppTest]:
    """``page("chat")`` -> an AppTest of ``pages/chat.py`` (not yet run)."""

    def make(name: str, **query: str) -> AppTest:
        path = PROJECT_ROOT / ("streamlit_app.py" if name == "app" else f"pages/{name}.py")
        at = AppTest.from_file(str(path), default_timeout=TIMEOUT)
        for key, value in query.items():
            at.query_params[key] = value
        return at

    return make


def stored_messages(chat_id: int | None = None) -> list[Message]:
    """Every stored message (of one chat), oldest first, as detached ORM rows."""
    from sqlalchemy import select

    with session_scope() as db:
        query = select(Message).order_by(Message.id)
        if chat_id is not None:
            query = query.where(Message.chat_id == chat_id)
        return list(db.scalars(query))


def stored_chats() -> list[Chat]:
    from sqlalchemy import select

    with session_scope() as db:
        return list(db.scalars(select(Chat).order_by(Chat.id)))


class _LiteralText(HTMLParser):
    """The text of the ``charla-literal`` blocks of an ``st.html`` body (character references
    decoded), as a browser would show it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += 1
        elif "charla-literal" in (dict(attrs).get("class") or "").split():
            self.depth = 1
            self.found.append("")

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.found[-1] += data


def literal_texts(node: Any) -> list[str]:
    """The plain-text messages (a person's, drawn literally) under an AppTest node, in order."""
    found: list[str] = []
    for element in node.html:
        parser = _LiteralText()
        parser.feed(element.value)
        parser.close()
        found.extend(parser.found)
    return found


def shown_text(bubble: Any) -> str:
    """The message a chat bubble shows: a person's literal text, or an answer's Markdown."""
    literal = literal_texts(bubble)
    if literal:
        return literal[0]
    # The answer is the bubble's own Markdown, not the reasoning inside its "Thinking" expander.
    (answer, *_) = [c for c in bubble.children.values() if c.type == "markdown"]
    return str(answer.value)


def texts(at: AppTest) -> str:
    """Everything a user can read on the page (markdown, captions, alerts, titles, people's
    messages), one string."""
    parts: list[str] = literal_texts(at)
    for kind in (
        "markdown",
        "caption",
        "error",
        "warning",
        "info",
        "success",
        "title",
        "subheader",
    ):
        parts.extend(str(element.value) for element in getattr(at, kind))
    parts.extend(str(expander.label) for expander in at.expander)
    return "\n".join(parts)
