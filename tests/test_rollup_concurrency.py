"""Two sessions saving answers at once on the real PostgreSQL: the rollup triggers (migration 0015)
lock the shared rows they change in one order, so the sessions wait for each other and never
deadlock.

The interleaving is forced, not hoped for. Alice's two answers of one model sit in two quarter
hours, s1 and s2. A third session holds the histogram row of answer 1's speed. Session one moves
answer 1 from s1 to s2 (and changes its speed); session two moves answer 2 from s2 to s1. With
the order migration 0015 uses — each table in key order, one table after the other — session one
locks s1 and s2 and waits for the held row; session two waits for s1 behind it; once the row is
let go both finish. Had the update taken its old row out before putting its new one in (s1, its
speed, ..., then s2), session one would hold s1 while waiting, session two would hold s2 while
waiting for s1, and session one's turn for s2 would close the cycle: "deadlock detected".
Each wait is read from ``pg_stat_activity`` (no sleeps, no timing assumptions).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest

from core.conf import db as conf_db
from core.conf import settings as conf_settings
from devtools.servers import PostgresServer
from tests.conftest import _reset_engine

pytestmark = pytest.mark.postgres

S1 = "2026-01-02 10:00:00+00"  # two quarter hours
S2 = "2026-01-02 10:15:00+00"
DEADLINE = 30.0


@pytest.fixture
def dsn(postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """PostgreSQL migrated to the newest schema, with Alice's chat: a question (1) and two
    finished answers of one model, answer 2 in s1 and answer 3 in s2."""
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    monkeypatch.setenv("DATABASE_URL", postgres_server.url)
    conf_settings.reset_settings()
    conf_db.configure(postgres_server.url)
    conf_db.init_db()
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO chats (id, title, created_at, last_activity, message_count,"
            " own_settings, title_by_user, pinned, archived, owner_id) VALUES (1, 'c', %s, %s,"
            " 3, false, false, false, false, (SELECT id FROM users WHERE issuer = 'local'))",
            (S1, S1),
        )
        for id_, sender, at, speed in ((1, "user", S1, None), (2, "llm", S1, 10.0),
                                       (3, "llm", S2, 30.0)):  # fmt: skip
            conn.execute(
                "INSERT INTO messages (id, chat_id, sender, content, reasoning, status, model,"
                " tokens_per_second, created_at, parent_id, depth, selected, stop_requested)"
                " VALUES (%s, 1, %s, 'x', '', 'complete', %s, %s, %s, %s, %s, true, false)",
                (id_, sender, "m" if speed else None, speed, at, None if id_ == 1 else 1,
                 0 if id_ == 1 else 1),
            )  # fmt: skip
    yield postgres_server.dsn()
    _reset_engine()


def _waiting(dsn: str, pid: int) -> Callable[[], bool]:
    def check() -> bool:
        with psycopg.connect(dsn, autocommit=True) as conn:
            row = conn.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone()
        return row is not None and row[0] == "Lock"

    return check


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


class Session(threading.Thread):
    """One statement in its own transaction, on its own connection, in a thread."""

    def __init__(self, dsn: str, statement: str) -> None:
        super().__init__(daemon=True)
        self.conn = psycopg.connect(dsn)
        self.conn.execute("SET lock_timeout = '60s'")  # a hang fails the test instead
        self.conn.commit()
        self.pid = self.conn.info.backend_pid
        self.statement = statement
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            with self.conn.transaction():
                self.conn.execute(self.statement)
        except BaseException as exc:  # reported by the test
            self.failure = exc
        finally:
            self.conn.close()


def test_two_sessions_moving_answers_across_each_others_rows_do_not_deadlock(dsn: str) -> None:
    holder = psycopg.connect(dsn)
    held = holder.execute(  # answer 2's speed (10 tokens/s: bin 160)
        "SELECT answers FROM answer_measures WHERE measure = 'tps' AND model = 'm' AND bin = 160"
        " FOR UPDATE"
    ).fetchone()
    assert held == (1,)
    one = Session(dsn, f"UPDATE messages SET created_at = '{S2}', tokens_per_second = 20.0"
                       " WHERE id = 2")  # fmt: skip
    two = Session(dsn, f"UPDATE messages SET created_at = '{S1}' WHERE id = 3")
    one.start()
    _until(_waiting(dsn, one.pid), "session one to wait for the held row")
    two.start()
    _until(_waiting(dsn, two.pid), "session two to wait for session one")
    holder.commit()
    holder.close()
    for session in (one, two):
        session.join(DEADLINE)
        assert not session.is_alive()
        assert session.failure is None, session.failure
    with psycopg.connect(dsn) as conn:
        buckets = conn.execute(
            "SELECT to_timestamp(slot * 900) AT TIME ZONE 'UTC', complete, with_speed"
            " FROM answer_buckets ORDER BY slot"
        ).fetchall()
        speeds = conn.execute(
            "SELECT bin, answers FROM answer_measures WHERE measure = 'tps' AND answers > 0"
            " ORDER BY bin"
        ).fetchall()
    assert [(str(at), n, s) for at, n, s in buckets] == [
        ("2026-01-02 10:00:00", 1, 1),  # answer 3 now
        ("2026-01-02 10:15:00", 1, 1),  # answer 2 now
    ]
    assert speeds == [(320, 1), (480, 1)]  # 20 and 30 tokens/s
