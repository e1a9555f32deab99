"""Rows for the Insights tests: chats of questions and answers with known statistics, inserted
straight into the database (the tests compute what Insights must say from these rows alone)."""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text

from core.conf.db import session_scope
from core.models import Chat, Message
from core.repositories.scope import owner_id
from core.services.liveness import process_token

ZONE = ZoneInfo("Pacific/Auckland")  # +13:00 in summer: most UTC days straddle two of its days
MODELS = ("alpha-7b", "beta-3b", "gamma-1b")
START = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # Auckland leaves summer time on 2026-04-05


@dataclass
class Row:
    id: int
    chat_id: int
    parent_id: int
    model: str | None
    status: str
    finish_reason: str | None
    created_at: datetime
    prompt_tokens: int | None
    completion_tokens: int | None
    ttft: float | None
    tps: float | None

    @property
    def outcome(self) -> str:
        if self.status in ("error", "stopped"):
            return self.status
        return "length" if self.finish_reason == "length" else "complete"


def fill(count: int = 150, seed: int = 7, first_id: int = 1) -> list[Row]:
    """Chats of questions and answers of the current owner, every answer with known statistics;
    returns the answers. Chat and message ids start at ``first_id``."""
    rng = random.Random(seed)
    answers: list[Row] = []
    chats, messages = [], []
    next_id = first_id
    for chat_id in range(first_id, first_id + count // 5):
        chats.append({"id": chat_id, "title": f"chat {chat_id}", "created_at": START,
                      "last_activity": START, "message_count": 10})  # fmt: skip
        for _turn in range(5):
            at = START + timedelta(minutes=rng.randrange(0, 14 * 24 * 60))
            model = rng.choice((*MODELS, None)) if rng.random() < 0.05 else rng.choice(MODELS)
            roll = rng.random()
            status = "error" if roll < 0.08 else "stopped" if roll < 0.15 else "complete"
            finish = None if status != "complete" else ("length" if roll > 0.9 else "stop")
            measured = status != "error"
            row = Row(
                id=next_id + 1,
                chat_id=chat_id,
                parent_id=next_id,
                model=model,
                status=status,
                finish_reason=finish,
                created_at=at + timedelta(seconds=2),
                prompt_tokens=rng.randrange(20, 4000),
                completion_tokens=rng.randrange(1, 900) if measured else None,
                ttft=round(rng.uniform(0.05, 3.0), 4) if measured else None,
                tps=round(rng.uniform(5, 90), 3) if measured else None,
            )
            messages.append({"id": next_id, "chat_id": chat_id, "sender": "user",
                             "content": "q", "created_at": at, "status": "complete"})  # fmt: skip
            messages.append(
                {
                    "id": row.id,
                    "chat_id": chat_id,
                    "parent_id": next_id,
                    "sender": "llm",
                    "content": "a",
                    "status": status,
                    "finish_reason": finish,
                    "model": model,
                    "created_at": row.created_at,
                    "prompt_tokens": row.prompt_tokens,
                    "completion_tokens": row.completion_tokens,
                    "time_to_first_token": row.ttft,
                    "tokens_per_second": row.tps,
                }
            )
            answers.append(row)
            next_id += 2
    # One answer still being written (by this live process): never counted.
    messages.append({"id": next_id, "chat_id": first_id, "sender": "llm", "content": "…", "model": MODELS[0],
                     "status": "streaming", "created_at": START + timedelta(days=1),
                     "writer": process_token()})  # fmt: skip
    with session_scope(write=True) as db:
        owner = owner_id(db)  # the current owner's chats (the local user's by default)
        db.execute(insert(Chat), [{**chat, "owner_id": owner} for chat in chats])
        db.execute(insert(Message), messages)
        if db.get_bind().dialect.name == "postgresql":  # ids were given: move the sequences on
            for table in ("chats", "messages"):
                db.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
    return answers


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks, as ``percentile_cont``."""
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[round(p * 100) - 1] if 0 < p < 1 else (min(values) if p == 0 else max(values))


def local_day(row: Row) -> date:
    return row.created_at.astimezone(ZONE).date()
