"""SIGKILL the app process while an answer streams, many times, at random moments.

The "app process" is a child Python process that does what the chat page does: bootstrap, then
``ChatService.send`` streaming an answer from the fake server (a steady stream, ~50 chunks a
second). It prints each chunk as it receives it, stamped with ``time.monotonic()`` (one clock for
every process on Linux). The test kills it with SIGKILL at a random moment, then checks:

- the SQLite database passes ``PRAGMA integrity_check`` (PostgreSQL: the counters agree);
- the user's message is stored;
- the stored answer is a prefix of what the process had received, and holds every chunk received
  more than ``LOSS_BOUND`` seconds before the kill (the service saves every 0.5 s);
- after the next start (``python -m core.cli migrate`` runs the app's start-up) the answer is
  ``stopped`` with error ``interrupted``, not left ``streaming``.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from core.conf import db as conf_db
from core.conf.db import SessionLocal
from core.repositories.messages import MessageRepository
from tests.fakes.fake_llm_server import FakeLLMServer, Reply

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOSS_BOUND = 1.0  # seconds of streamed text a kill may lose ("about a second")
CHUNK = "word "

CHILD = """
import sys, time
from core.bootstrap import start
start()
from core.services.chat import ChatService
from core.services.chats import new_chat
chat_id = new_chat()
reply = ChatService().send(chat_id, "Tell me a long story")  # stores the user's message
print("chat", chat_id, flush=True)
for text in reply:
    sys.stdout.write(f"{time.monotonic()!r}\\t{text}\\n")
    sys.stdout.flush()
"""


def _kill_while_streaming(
    url: str, server_url: str, after: float
) -> tuple[int, list[tuple[float, str]], float]:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        LM_STUDIO_URL=server_url,
        LM_STUDIO_MODEL="smollm2-135m-instruct",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], env=env, stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT
    )
    assert child.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(child.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    deadline = time.monotonic() + 60
    while not lines and time.monotonic() < deadline:  # "chat N": the user's message is stored
        time.sleep(0.01)
    assert lines, "the app process did not start"
    time.sleep(after)
    killed_at = time.monotonic()
    child.send_signal(signal.SIGKILL)
    child.wait()
    reader.join(5)
    child.stdout.close()
    chat_id = int(lines[0].split()[1])
    received = []
    for line in lines[1:]:
        stamp, _, chunk = line.rstrip("\n").partition("\t")
        received.append((float(stamp), chunk))
    return chat_id, received, killed_at


def _integrity(url: str) -> None:
    engine = conf_db.configure(url)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        mismatched = connection.execute(
            text(
                "SELECT count(*) FROM chats c WHERE c.message_count !="
                " (SELECT count(*) FROM messages m WHERE m.chat_id = c.id)"
            )
        ).scalar()
        assert mismatched == 0


def _restart(url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "core.cli", "migrate"],
        env=dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(PROJECT_ROOT)),
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )


@pytest.mark.slow
def test_sigkill_while_streaming_loses_at_most_about_a_second(db: str) -> None:
    trials = 20 if db.startswith("sqlite") else 6
    rng = random.Random(20261125)
    worst_loss = 0.0  # seconds of received text missing from the database, over all trials
    with FakeLLMServer() as server:
        server.default_reply = Reply(chunks=[CHUNK] * 2000, delay_between=0.02)
        for trial in range(trials):
            after = rng.uniform(0.05, 2.5)
            chat_id, received, killed_at = _kill_while_streaming(db, server.url, after)
            _integrity(db)
            conf_db.reset()

            db_session = SessionLocal()
            try:
                messages = MessageRepository(db_session).list_for_chat(chat_id)
            finally:
                db_session.close()
            assert [m.sender for m in messages] == ["user", "llm"], f"trial {trial}"
            assert messages[0].content == "Tell me a long story"
            answer = messages[1]
            assert answer.status == "streaming"  # the writer died before it could finish it
            streamed = "".join(chunk for _, chunk in received)
            assert streamed.startswith(answer.content), (
                f"trial {trial}: stored text is not what arrived"
            )
            must_have = "".join(
                chunk for stamp, chunk in received if stamp < killed_at - LOSS_BOUND
            )
            assert len(answer.content) >= len(must_have), (
                f"trial {trial} (killed after {after:.2f} s): stored {len(answer.content)} chars, "
                f"but {len(must_have)} had arrived more than {LOSS_BOUND} s before the kill"
            )

            kept = len(answer.content)
            lost_since = next((stamp for stamp, _ in _arrivals(received) if _ > kept), killed_at)
            worst_loss = max(worst_loss, killed_at - lost_since)

            _restart(db)
            conf_db.reset()
            db_session = SessionLocal()
            try:
                after_restart = MessageRepository(db_session).get(answer.id)
            finally:
                db_session.close()
            assert (after_restart.status, after_restart.error_code) == (
                "stopped",
                "error.interrupted",
            )
            assert after_restart.content == answer.content
    print(f"\n{trials} SIGKILLs: at most {worst_loss:.2f} s of streamed text lost")


def _arrivals(received: list[tuple[float, str]]) -> list[tuple[float, int]]:
    """(arrival time, characters received up to and including that chunk)."""
    total, result = 0, []
    for stamp, chunk in received:
        total += len(chunk)
        result.append((stamp, total))
    return result
