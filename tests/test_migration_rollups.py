"""Migration 0015 (the Insights rollups) on a database with data, on SQLite and PostgreSQL: the
rollups are filled from the answers already there, per owner; the triggers follow later writes
(a chat changing hands too); going back drops only what 0015 made (0008's search triggers stay)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from core.conf.db import _alembic_config, create_db_engine
from core.rollups import REACH_INDEX
from tests.test_migrations import _triggers


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on an empty database."""
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


def test_0015_fills_the_insights_rollup_from_old_answers_and_goes_back(engine: Engine) -> None:
    """A database at 0014 with a chat (a question, answers of two models and of none, an error,
    one still streaming) and another person's chat: 0015 sums the finished answers per owner,
    quarter hour and model, and its triggers follow later writes (the other chat changing
    hands too); down again, the table and its triggers go, the messages and the search triggers
    stay; up again, the sums are rebuilt."""
    config = _alembic_config(engine)
    command.upgrade(config, "0014")
    triggers = _triggers(engine)
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO chats (id, title, created_at, last_activity, message_count,"
                " own_settings, title_by_user, pinned, archived, owner_id)"
                " VALUES (1, 'Old chat', '2026-01-02 03:04:05', '2026-01-02 03:04:05', 6,"
                " false, false, false, false, (SELECT id FROM users WHERE issuer = 'local'))"
            )
        )
        rows = [  # id, sender, status, finish, model, prompt, completion, ttft, tps, at
            (1, "user", "complete", None, None, None, None, None, None, "2026-01-02 03:04:05"),
            (2, "llm", "complete", "stop", "qwen3-8b", 10, 20, 0.5, 40.0, "2026-01-02 03:05:00"),
            (3, "llm", "complete", "length", "qwen3-8b", 30, 40, None, 41.0,
             "2026-01-02 03:14:59"),
            (4, "llm", "error", None, "gemma-3-4b", 50, None, None, None, "2026-01-02 03:15:00"),
            (5, "llm", "stopped", None, None, 7, 8, 0.25, None, "2026-01-02 03:16:00"),
            (6, "llm", "streaming", None, "qwen3-8b", 9, 9, 0.1, 9.0, "2026-01-02 03:17:00"),
        ]  # fmt: skip
        db.execute(
            text(
                "INSERT INTO users (issuer, subject, name, created_at)"
                " VALUES ('http://idp', 'other', 'Other', '2026-01-01 00:00:00')"
            )
        )
        db.execute(
            text(
                "INSERT INTO chats (id, title, created_at, last_activity, message_count,"
                " own_settings, title_by_user, pinned, archived, owner_id)"
                " VALUES (2, 'Theirs', '2026-01-02 03:04:05', '2026-01-02 03:04:05', 2,"
                " false, false, false, false, (SELECT id FROM users WHERE subject = 'other'))"
            )
        )
        theirs = [
            (7, "user", "complete", None, None, None, None, None, None, "2026-01-02 03:05:10"),
            (8, "llm", "complete", "stop", "qwen3-8b", 11, 12, 0.5, 40.0, "2026-01-02 03:05:30"),
        ]  # fmt: skip
        for row in rows + theirs:
            db.execute(
                text(
                    "INSERT INTO messages (id, chat_id, sender, content, reasoning, status,"
                    " finish_reason, model, prompt_tokens, completion_tokens, time_to_first_token,"
                    " tokens_per_second, created_at, parent_id) VALUES (:id, :chat, :sender,"
                    " 'text', '', :status, :finish, :model, :p, :c, :ttft, :tps, :at, :parent)"
                ),
                dict(zip(("id", "sender", "status", "finish", "model", "p", "c", "ttft", "tps",
                          "at"), row, strict=True), chat=1 if row[0] < 7 else 2,
                     parent={1: None, 7: None}.get(row[0], 1 if row[0] < 7 else 7)),
            )  # fmt: skip
        me, other = db.execute(text("SELECT id FROM users ORDER BY subject")).scalars()
    messages = text("SELECT id, status, model, prompt_tokens FROM messages ORDER BY id")
    with engine.connect() as db:
        before = db.execute(messages).all()
    slot = 1767323100 // 900  # 2026-01-02 03:05 UTC, in quarter hours since 1970
    # complete, length, stopped, error, tokens in, out, with speed, ttft, length, points
    expected = {
        (me, slot, "qwen3-8b", True): (1, 1, 0, 0, 40, 60, 2, 1, 2, 1),
        (me, slot + 1, "gemma-3-4b", True): (0, 0, 0, 1, 50, 0, 0, 0, 0, 0),
        (me, slot + 1, "", False): (0, 0, 1, 0, 7, 8, 0, 1, 1, 1),
        (other, slot, "qwen3-8b", True): (1, 0, 0, 0, 11, 12, 1, 1, 1, 1),  # apart from mine
    }
    buckets = text(
        "SELECT owner_id, slot, model, model_known, complete, length, stopped, error, tokens_in,"
        " tokens_out, with_speed, with_ttft, with_length, with_points FROM answer_buckets"
    )

    def rollup() -> dict[tuple[Any, ...], tuple[int, ...]]:
        """answer_buckets, after checking that answer_hours holds the same sums per hour."""
        with engine.connect() as db:
            found = db.execute(buckets).all()
            hours = db.execute(text(buckets.text.replace("answer_buckets", "answer_hours"))).all()
        kept = {(r[0], r[1], r[2], bool(r[3])): tuple(int(v) for v in r[4:]) for r in found}
        kept = {key: sums for key, sums in kept.items() if any(sums)}
        per_hour: dict[tuple[Any, ...], list[int]] = {}
        for (owner, slot, *model), sums in kept.items():
            summed = per_hour.setdefault((owner, slot // 4, *model), [0] * len(sums))
            summed[:] = [a + b for a, b in zip(summed, sums, strict=True)]
        in_hours = {(r[0], r[1], r[2], bool(r[3])): [int(v) for v in r[4:]] for r in hours}
        assert {k: v for k, v in in_hours.items() if any(v)} == per_hour
        return kept

    def histogram() -> dict[tuple[Any, ...], int]:
        query = text(
            "SELECT owner_id, measure, model, model_known, bin, answers FROM answer_measures"
        )
        with engine.connect() as db:
            return {(*r[:3], bool(r[3]), r[4]): r[5] for r in db.execute(query) if r[5]}

    # Every answer's measures, streaming or not (as the percentiles' walks read them), binned:
    # tokens/s by 1/16, first token by 1/256 s, length by 1 token.
    mine = {("tps", "qwen3-8b", True, 640): 1, ("tps", "qwen3-8b", True, 656): 1,
            ("tps", "qwen3-8b", True, 144): 1, ("ttft", "qwen3-8b", True, 128): 1,
            ("ttft", "", False, 64): 1, ("ttft", "qwen3-8b", True, 25): 1,
            ("length", "qwen3-8b", True, 20): 1, ("length", "qwen3-8b", True, 40): 1,
            ("length", "", False, 8): 1, ("length", "qwen3-8b", True, 9): 1}  # fmt: skip
    measures = {(me, *key): n for key, n in mine.items()}
    measures |= {(other, "tps", "qwen3-8b", True, 640): 1, (other, "ttft", "qwen3-8b", True, 128): 1,
                 (other, "length", "qwen3-8b", True, 12): 1}  # fmt: skip

    def reach() -> tuple[list[Any], list[Any]]:
        with engine.connect() as db:
            chats = db.execute(text("SELECT * FROM chat_reach ORDER BY chat_id")).all()
            asked = db.execute(text("SELECT * FROM answered_questions ORDER BY 1")).all()
        return [tuple(r) for r in chats], [tuple(r) for r in asked]

    command.upgrade(config, "0015")
    assert REACH_INDEX.name in {ix["name"] for ix in inspect(engine).get_indexes("messages")}
    assert rollup() == expected
    assert histogram() == measures
    # answers 2 to 5 (not the streaming one), of question 1; answer 8 of question 7
    assert reach() == ([(me, 1, 4, 1), (other, 2, 1, 1)], [(1, 4), (7, 1)])
    with engine.begin() as db:  # the streaming answer ends; the error is deleted
        db.execute(text("UPDATE messages SET status = 'complete' WHERE id = 6"))
        db.execute(text("DELETE FROM messages WHERE id = 4"))
    expected[(me, slot + 1, "qwen3-8b", True)] = (1, 0, 0, 0, 9, 9, 1, 1, 1, 1)
    del expected[(me, slot + 1, "gemma-3-4b", True)]
    assert rollup() == expected
    assert histogram() == measures
    assert reach() == ([(me, 1, 4, 1), (other, 2, 1, 1)], [(1, 4), (7, 1)])  # one came, one went
    with engine.begin() as db:  # their chat becomes mine (users claim-local)
        db.execute(text("UPDATE chats SET owner_id = :me WHERE id = 2"), {"me": me})
    del expected[(other, slot, "qwen3-8b", True)]
    expected[(me, slot, "qwen3-8b", True)] = (2, 1, 0, 0, 51, 72, 3, 2, 3, 2)
    for key in (("tps", "qwen3-8b", True, 640), ("ttft", "qwen3-8b", True, 128)):
        measures[(me, *key)] = 2
    measures = {k: n for k, n in measures.items() if k[0] == me} | {
        (me, "length", "qwen3-8b", True, 12): 1
    }
    assert rollup() == expected
    assert histogram() == measures
    assert reach() == ([(me, 1, 4, 1), (me, 2, 1, 1)], [(1, 4), (7, 1)])

    command.downgrade(config, "0014")
    rollups = {
        "answer_buckets",
        "answer_hours",
        "answer_measures",
        "answered_questions",
        "chat_reach",
    }
    assert not rollups & set(inspect(engine).get_table_names())
    assert REACH_INDEX.name not in {ix["name"] for ix in inspect(engine).get_indexes("messages")}
    assert _triggers(engine) == triggers  # the rollup's went, the search index's stay
    with engine.connect() as db:
        after = db.execute(messages).all()
    assert after == [row if row[0] != 6 else (6, "complete", *row[2:]) for row in before
                     if row[0] != 4]  # fmt: skip
    command.upgrade(config, "head")
    assert rollup() == expected
    assert histogram() == measures
    assert reach() == ([(me, 1, 4, 1), (me, 2, 1, 1)], [(1, 4), (7, 1)])
