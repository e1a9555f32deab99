"""Several browser sessions chatting at once against one app and one SQLite file (issue 5).

One ``streamlit run`` with the fake server's ``fake-echo`` model, which answers "echo: <the user's
words>", so every answer tells which question it belongs to. Four browser contexts (four Streamlit
sessions, like four users) each send a message, all before any answer is awaited; then each sends a
second one the same way. Afterwards: every session's chat holds exactly its own four rows in order,
each answer echoes its own question, nothing failed, the words "database is locked" appear nowhere
(rows, server log), and each page shows its own conversation and nobody else's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import (
    ASSISTANT,
    CAPTION,
    MESSAGE,
    FakeServerProcess,
    answers,
    new_tab,
    open_app,
    rows,
    type_message,
    wait_for,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SESSIONS = 4
ROUNDS = 2
WORDS = 60  # a longer answer keeps the sessions' streams overlapping


def question(session: int, round_: int) -> str:
    """A question whose every word names its session and round (``s2r1w17``)."""
    return " ".join(f"s{session}r{round_}w{k}" for k in range(WORDS))


def echo(text: str) -> str:
    return "echo: " + "".join(word + " " for word in text.split())


def test_four_sessions_chat_at_once_each_in_its_own_chat(
    fake_process: FakeServerProcess, start_app: Any, browser: Any, db_path: Path
) -> None:
    app = start_app(fake_process.url, "fake-echo")
    contexts = [browser.new_context() for _ in range(SESSIONS)]
    try:
        tabs = [new_tab(context) for context in contexts]
        for tab in tabs:
            open_app(tab, app.url)
        most_streaming = 0
        for round_ in range(1, ROUNDS + 1):
            for session, tab in enumerate(tabs):  # all send before any answer is awaited
                type_message(tab, question(session, round_))

            def round_done(round_: int = round_) -> bool:
                nonlocal most_streaming
                found = answers(db_path)
                streaming = sum(a["status"] == "streaming" for a in found)
                most_streaming = max(most_streaming, streaming)
                return len(found) == SESSIONS * round_ and streaming == 0

            wait_for(round_done, f"round {round_} of answers")
            for session, tab in enumerate(tabs):
                expected = echo(question(session, round_)).strip()
                tab.locator(f"{ASSISTANT}:has({CAPTION})", has_text=expected).wait_for()
                wait_idle(tab)
        shown = [tab.locator(MESSAGE).all_inner_texts() for tab in tabs]
    finally:
        for context in contexts:
            context.close()
    log = app.log_text()

    stored = rows(db_path)
    assert len(stored) == SESSIONS * ROUNDS * 2  # nothing lost, nothing duplicated
    chats: dict[int, list[dict[str, Any]]] = {}
    for row in stored:
        chats.setdefault(row["chat_id"], []).append(row)
    assert len(chats) == SESSIONS
    by_session = {}
    for chat_rows in chats.values():
        session = int(chat_rows[0]["content"].split("r", 1)[0].removeprefix("s"))
        by_session[session] = chat_rows
    assert sorted(by_session) == list(range(SESSIONS))
    for session, chat_rows in by_session.items():
        expected = []
        for round_ in range(1, ROUNDS + 1):
            expected += [
                ("user", question(session, round_), "complete", None),
                ("llm", echo(question(session, round_)), "complete", None),
            ]
        got = [(r["sender"], r["content"], r["status"], r["error"]) for r in chat_rows]
        assert got == expected, f"session {session}'s chat"

    assert "database is locked" not in log.lower()
    assert "Traceback" not in log

    for session, texts in enumerate(shown):
        page = "\n".join(texts)
        for round_ in range(1, ROUNDS + 1):
            assert echo(question(session, round_)).strip() in page
        others = [f"s{other}r" for other in range(SESSIONS) if other != session]
        assert not any(marker in page for marker in others), f"session {session} sees others"
    print(f"most answers streaming at once: {most_streaming}")  # information, not asserted
