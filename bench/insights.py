"""Benchmark 6: the Insights page at scale, on SQLite and (when it can be started) PostgreSQL.

Builds a history of ``messages`` messages (default 1 million; ``--quick``: 50 thousand; or
``python -m bench.insights --messages N``): 10,000 chats of questions and answers over a year, four
models with their own speeds, first-token times that grow with the prompt, 3 % errors, 5 % stopped,
5 % cut at the length limit, a tag on one chat in ten. Then measures, on each database:

- the Insights page script (``streamlit.testing`` AppTest, every filter open): its **first view**,
  which computes the overview (each run after forgetting the kept overviews); a **rerun** with the
  overview kept (what every click on the page costs); and the view **after a new answer**, which
  shows the figures from before at once while the new ones are computed in the background.
  Target: < 300 ms.
- each aggregation the overview runs (:mod:`core.repositories.insights`), p50 over several runs
  (the per-day sums both from the rollup, as the unfiltered page reads them, and by the raw pass,
  as a tag filter still does; the percentiles as the page reads them: from the histogram),
  against a same-run baseline: ``SELECT count(*)`` over the same rows (every finished answer), so
  the ratio says how many plain counts of the answers each aggregation costs on this machine.
- what the rollups' triggers (migration 0015) cost the writes: an answer saved as the chat saves
  one (inserted ``streaming``, then finished with its figures, one write transaction each),
  :data:`SAVES` of them, with the triggers and with them switched off, in alternating rounds
  (SQLite: dropped and created again from their own SQL; PostgreSQL: ``DISABLE TRIGGER``).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, text

from bench.common import Metric, median, table, timed

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FULL, QUICK = 1_000_000, 50_000
CHATS = 10_000
UNMEASURED: dict[str, Any] = dict.fromkeys(
    ("parent_id", "model", "finish_reason", "prompt_tokens", "completion_tokens",
     "time_to_first_token", "tokens_per_second")
)  # fmt: skip
MODELS = {"qwen3-8b": 38.0, "llama-3.2-3b": 71.0, "gemma-3-4b": 55.0, "gpt-oss-20b": 19.0}
START = datetime(2025, 6, 1, tzinfo=UTC)
WORDS = [
    "the",
    "model",
    "answers",
    "every",
    "question",
    "about",
    "local",
    "data",
    "with",
    "a",
    "short",
    "clear",
    "sentence",
]


def build(engine: Engine, messages: int, chats: int = CHATS, seed: int = 12) -> None:
    """Fill a migrated database with ``messages`` messages (half questions, half answers)."""
    from core.models import Chat, ChatTag, Message, Tag, User

    rng = random.Random(seed)
    chats = min(chats, max(1, messages // 4))
    per_chat = [messages // chats + (1 if c < messages % chats else 0) for c in range(chats)]
    models = list(MODELS)
    with engine.begin() as connection:
        # Everything is the local user's: Insights reads the current owner's (the local user here).
        me = connection.scalar(select(User.id).where(User.issuer == "local"))
        tags = [
            {"id": 1, "name": "work", "owner_id": me},
            {"id": 2, "name": "home", "owner_id": me},
        ]
        connection.execute(insert(Tag), tags)
        connection.execute(
            insert(Chat),
            [
                {
                    "id": c + 1,
                    "title": f"chat {c + 1}",
                    "created_at": START + timedelta(minutes=c * 52),
                    "last_activity": START + timedelta(minutes=c * 52 + per_chat[c]),
                    "message_count": per_chat[c],
                    "owner_id": me,
                }
                for c in range(chats)
            ],
        )
        connection.execute(
            insert(ChatTag), [{"chat_id": c + 1, "tag_id": 1 + c % 2} for c in range(0, chats, 10)]
        )
    batch: list[dict[str, Any]] = []
    next_id = 1
    for c in range(chats):
        model = models[c % len(models)]
        began = START + timedelta(minutes=c * 52)
        question = None
        for n in range(per_chat[c]):
            at = began + timedelta(seconds=n * 40)
            row: dict[str, Any] = {
                "id": next_id,
                "chat_id": c + 1,
                "content": " ".join(rng.choices(WORDS, k=12)),
                "created_at": at,
                "status": "complete",
                **UNMEASURED,  # every row names every column: an insert takes the first's keys
            }
            if n % 2 == 0:
                row["sender"] = "user"
                question = next_id
            else:
                roll = rng.random()
                status = "error" if roll < 0.03 else "stopped" if roll < 0.08 else "complete"
                measured = status != "error"
                prompt = 30 + 90 * n
                row.update(
                    sender="llm",
                    parent_id=question,
                    model=model,
                    status=status,
                    finish_reason=("length" if roll > 0.95 else "stop")
                    if status == "complete"
                    else None,
                    prompt_tokens=prompt,
                    completion_tokens=rng.randrange(20, 800) if measured else None,
                    time_to_first_token=round(0.15 + prompt / 4000 * rng.uniform(0.8, 1.2), 4)
                    if measured
                    else None,
                    tokens_per_second=round(MODELS[model] * rng.uniform(0.8, 1.15), 3)
                    if measured
                    else None,
                )
            batch.append(row)
            next_id += 1
            if len(batch) >= 20_000:
                with engine.begin() as connection:
                    connection.execute(insert(Message), batch)
                batch.clear()
    if batch:
        with engine.begin() as connection:
            connection.execute(insert(Message), batch)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            for name in ("chats", "messages", "tags"):
                connection.execute(
                    text(f"SELECT setval('{name}_id_seq', (SELECT max(id) FROM {name}))")
                )
        connection.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":
        # The triggers rewrote each rollup row once per answer: measure the tables as they are
        # once autovacuum has been by (within a minute of a bulk load), not full of dead rows.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


def _p50(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm: the pages are in the cache, as for a user on the page
    return median([timed(fn) for _ in range(runs)])


def measure_aggregations(runs: int) -> dict[str, float]:
    """p50 seconds of each aggregation the overview runs, and of the count baseline."""
    from core.conf.db import session_scope
    from core.repositories.insights import InsightsRepository
    from core.repositories.insights_daily import DailyAggregates
    from core.services import insights

    flt = insights.InsightsFilter()
    scope = insights._scope(flt)
    with session_scope() as db:
        repo, sums = InsightsRepository(db), DailyAggregates(db)
        span = repo.span()
        assert span is not None, "the database is empty"
        shift = insights.day_shift(flt.zone, span[0] - timedelta(days=1), span[1] + timedelta(1))
        daily = sums.daily(scope, shift)
        per_model = insights._per_model(daily.rows, daily.last_used)

        def counts(measure: str) -> dict[str | None, int]:
            return {m or None: v["counts"][measure] for m, v in per_model.items()}

        steps: dict[str, Callable[[], object]] = {
            "baseline: SELECT count(*) of the answers": lambda: db.execute(
                text("SELECT count(*) FROM messages WHERE sender = 'llm' AND status <> 'streaming'")
            ).scalar(),
            "per day, model, outcome (from the rollup: hours)": lambda: sums.from_rollup(
                scope, shift
            ),
            "per day, model, outcome (quarter hours: a zone off the hour)": lambda: (
                sums.from_rollup(scope, shift, 900)
            ),
            "per day, model, outcome (raw GROUP BY: a tag filter)": lambda: sums.from_answers(
                scope, shift
            ),
            "chats and questions reached": lambda: sums.reach(scope),
            "tokens/s percentiles per model": lambda: repo.quantiles(
                "tps", scope, counts("tps"), insights.SPEED_PS
            ),
            "first token p50/p95 per model": lambda: repo.quantiles(
                "ttft", scope, counts("ttft"), insights.TTFT_PS
            ),
            "median answer length per model": lambda: repo.quantiles(
                "length", scope, counts("length"), (0.5,)
            ),
            "median tokens/s, all models": lambda: repo.overall_quantile(
                "tps", scope, counts("tps"), 0.5
            ),
            "median first token, all models": lambda: repo.overall_quantile(
                "ttft", scope, counts("ttft"), 0.5
            ),
            "scatter points (2,000 newest)": lambda: repo.points(scope, insights.POINTS),
            "answers behind a click (one model)": lambda: repo.latest(
                insights._scope(flt, insights.Narrow(model=next(iter(per_model)))), 20
            ),
            "models the filter offers": repo.models_used,
            "database size": repo.database_bytes,
            "freshness fingerprint": repo.fingerprint,
        }
        return {name: _p50(step, runs) for name, step in steps.items()}


def measure_page(runs: int) -> tuple[float, float, float]:
    """(first view, rerun, view after a new answer) of the Insights page script, in seconds
    (medians). After a new answer the page shows the figures from before at once and computes the
    new ones in the background (each run here waits for that before the next answer)."""
    from streamlit.testing.v1 import AppTest

    from core.conf.db import session_scope
    from core.repositories.messages import MessageRepository
    from core.services import insights

    app = AppTest.from_file(str(PROJECT_ROOT / "pages" / "insights.py"), default_timeout=300)
    app.run()  # warm-up: imports, the first computation
    if app.exception:
        raise RuntimeError(f"pages/insights.py raised: {app.exception}")

    def first_view() -> None:
        insights.forget()
        app.run()

    def after_an_answer() -> float:
        with session_scope(write=True) as db:
            MessageRepository(db).create_message(1, "llm", "one more", model=next(iter(MODELS)))
        took = timed(app.run)
        shown = app.session_state["ins.view"]
        while not insights.updated(shown):
            time.sleep(0.05)
        return took

    first = median([timed(first_view) for _ in range(max(3, runs // 3))])
    rerun = median([timed(app.run) for _ in range(runs)])
    changed = median([after_an_answer() for _ in range(max(3, runs // 3))])
    return first, rerun, changed


SAVES = 200  # answers per round of the write cost
ROLLUP_TRIGGERS = ("answer_buckets_insert", "answer_buckets_delete", "answer_buckets_update",
                   "answer_measures_insert", "answer_measures_delete", "answer_measures_update",
                   "rollups_chat_delete", "rollups_chat_owner")  # fmt: skip


def _save_seconds(saves: int) -> float:
    """Seconds per answer saved as the chat saves one (two write transactions)."""
    from core.conf.db import session_scope
    from core.repositories.messages import MessageRepository

    rng = random.Random(3)
    start = time.perf_counter()
    for _ in range(saves):
        with session_scope(write=True) as db:
            answer = MessageRepository(db).create_message(
                1, "llm", "", status="streaming", model="qwen3-8b"
            )
        with session_scope(write=True) as db:
            MessageRepository(db).update_message(
                answer.id, content="an answer", status="complete", finish_reason="stop",
                prompt_tokens=rng.randrange(20, 4000), completion_tokens=rng.randrange(1, 900),
                time_to_first_token=rng.uniform(0.1, 2), tokens_per_second=rng.uniform(10, 80),
            )  # fmt: skip
    return (time.perf_counter() - start) / saves


def _rollup_triggers(engine: Engine, on: bool) -> None:
    """Switch the rollups' triggers off (or on again)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            action = "ENABLE" if on else "DISABLE"
            connection.execute(text(f"ALTER TABLE messages {action} TRIGGER answer_buckets_sync"))
            return
        if on:
            for sql in _SQLITE_TRIGGERS.values():
                connection.execute(text(sql))
            return
        rows = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        _SQLITE_TRIGGERS.update({n: sql for n, sql in rows if n in ROLLUP_TRIGGERS})
        for name in _SQLITE_TRIGGERS:
            connection.execute(text(f"DROP TRIGGER {name}"))


_SQLITE_TRIGGERS: dict[str, str] = {}


def measure_writes(engine: Engine, rounds: int = 3) -> tuple[float, float]:
    """(with, without) the rollups' triggers: medians of seconds per saved answer."""
    found: dict[bool, list[float]] = {True: [], False: []}
    _save_seconds(20)  # warm
    for _ in range(rounds):
        for on in (True, False):
            _rollup_triggers(engine, on)
            found[on].append(_save_seconds(SAVES))
    _rollup_triggers(engine, True)
    return median(found[True]), median(found[False])


def streaming_with_and_without_rollups(quick: bool, rounds: int = 2) -> list[Metric]:
    """The streaming suite's chat service ratio to the floor (d), with the rollup triggers and
    with them dropped (SQLite; ``python -m bench.insights --streaming``)."""
    from bench import streaming

    on, off = streaming.with_and_without(lambda e: _rollup_triggers(e, False), quick, rounds)
    return [
        Metric(
            "6 insights: streaming path (SQLite)",
            "(d) chat service ÷ floor, with the rollup triggers",
            on,
            "×",
            target=">= 0.8",
            note=f"triggers dropped: {off:.2f}× (medians of {rounds} alternating runs)",
        )
    ]


def _backend(name: str, url: str, messages: int, runs: int) -> list[Metric]:
    from core.conf import db as conf_db
    from core.conf.settings import reset_settings

    os.environ["DATABASE_URL"] = url
    reset_settings()
    engine = conf_db.configure(url)
    conf_db.init_db(engine)
    began = time.perf_counter()
    build(engine, messages)
    print(
        f"  {name}: built {messages:,} messages in {time.perf_counter() - began:.0f} s", flush=True
    )
    try:
        steps = measure_aggregations(runs)
        first, rerun, changed = measure_page(runs)
        saved, unsaved = measure_writes(engine)
    finally:
        conf_db.reset()
    group, ms = f"6 insights: {name} @{messages:,} messages", 1000
    metrics = [
        Metric(group, "Insights page, first view (computes)", first * ms, "ms", target="< 300"),
        Metric(group, "Insights page, rerun (overview kept)", rerun * ms, "ms", target="< 300"),
        Metric(
            group,
            "Insights page after a new answer (figures from before, update in background)",
            changed * ms,
            "ms",
            target="< 300",
        ),
    ]
    metrics.append(
        Metric(
            group,
            "cost per saved answer, rollup triggers (insert + finish)",
            saved * ms,
            "ms",
            unsaved * ms,
            "triggers off",
            note=f"{SAVES} answers a round, medians of 3 alternating rounds",
        )
    )
    baseline_name, baseline = next(iter(steps.items()))
    metrics.append(Metric(group, baseline_name, baseline * ms, "ms"))
    for step, value in list(steps.items())[1:]:
        metrics.append(
            Metric(group, f"{step} p50", value * ms, "ms", baseline * ms, "count(*) of the answers")
        )
    return metrics


def run(quick: bool = False, messages: int | None = None, postgres: bool = True) -> list[Metric]:
    size = messages or int(os.environ.get("INSIGHTS_MESSAGES") or (QUICK if quick else FULL))
    runs = 5 if quick else 9
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "LM_STUDIO_URL")}
    os.environ["LM_STUDIO_URL"] = "http://127.0.0.1:9"  # nothing listens: the page needs no server
    metrics: list[Metric] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            metrics += _backend("SQLite", f"sqlite:///{Path(tmp) / 'insights.db'}", size, runs)
            if postgres:
                metrics += _postgres(size, runs)
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
    return metrics


def _postgres(size: int, runs: int) -> list[Metric]:
    from devtools.servers import PostgresServer, ServiceUnavailable

    try:
        server = PostgresServer().start()
    except ServiceUnavailable as exc:
        print(f"  PostgreSQL not measured: {exc.reason}")
        return []
    try:
        return _backend("PostgreSQL", server.url, size, runs)
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.insights")
    parser.add_argument("--messages", type=int, default=FULL, help="history size (messages)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--streaming", action="store_true", help="only the streaming path with / without triggers"
    )
    args = parser.parse_args(argv)
    if args.streaming:
        print(table(streaming_with_and_without_rollups(quick=False)))
        return 0
    print(table(run(messages=args.messages, postgres=not args.no_postgres)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
