"""Benchmark 3: storage at scale, on SQLite and (when it can be started) PostgreSQL.

Builds two databases through the real schema (Alembic migrations): 10 thousand and 1 million
messages over 10,000 chats (``--quick``: 2 thousand and 50 thousand over 500 chats). One chat holds
2,000 messages. Then measures, on each:

- ``get_chat_context_for_llm`` p50/p99 over random chats (target p50 < 1 ms, and the big/small p50
  ratio ≤ 1.5: the cost must not grow with the database);
- the chat list page query (newest activity first, 50 rows);
- loading the 2,000-message chat;
- the history text filter (title or content);
- the full CSV export, in a child process: rows/s against the ``sqlite3`` command-line tool's own
  CSV export of the same rows (target ≥ 0.5×), and peak memory (target < 300 MB for 1M messages).
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, select, text

from bench.common import Metric, median, percentile

WORDS = [
    "the",
    "model",
    "answers",
    "quickly",
    "and",
    "the",
    "history",
    "keeps",
    "every",
    "word",
    "of",
    "what",
    "was",
    "said",
    "about",
    "python",
    "streams",
    "tokens",
    "context",
    "reasoning",
    "llama",
    "studio",
    "local",
    "privacy",
    "export",
    "table",
    "chart",
    "data",
]


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def build(engine: Engine, chats: int, messages: int, big_chat: int = 2000, seed: int = 1) -> None:
    """Fill a migrated database: ``chats`` chats, ``messages`` messages, chat 1 with ``big_chat``."""
    from core.models import Chat, Message, User

    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    per_chat = [0] * (chats + 1)
    per_chat[1] = big_chat
    rest = messages - big_chat
    for i in range(rest):
        per_chat[2 + i % (chats - 1)] += 1
    with engine.begin() as connection:
        local = connection.scalar(select(User.id).where(User.issuer == "local"))
        connection.execute(
            insert(Chat),
            [
                {
                    "id": cid,
                    "title": _sentence(rng, 5),
                    "created_at": start + timedelta(minutes=cid),
                    "last_activity": start + timedelta(minutes=cid, seconds=per_chat[cid]),
                    "message_count": per_chat[cid],
                    "model": rng.choice(("qwen3-8b", "smollm2", "gpt-oss-20b")),
                    "owner_id": local,
                }
                for cid in range(1, chats + 1)
            ],
        )
    batch: list[dict[str, object]] = []
    next_id = 1
    for cid in range(1, chats + 1):
        for n in range(per_chat[cid]):
            llm = n % 2 == 1
            batch.append(
                {
                    "id": next_id,
                    "chat_id": cid,
                    "sender": "llm" if llm else "user",
                    "content": _sentence(rng, 40 if llm else 12),
                    "reasoning": _sentence(rng, 20) if llm and n % 6 == 1 else "",
                    "status": "complete",
                    "model": "qwen3-8b" if llm else None,
                    "prompt_tokens": 100 + n if llm else None,
                    "completion_tokens": 60 if llm else None,
                    "created_at": start + timedelta(minutes=cid, seconds=n),
                }
            )
            next_id += 1
            if len(batch) >= 20_000:
                with engine.begin() as connection:
                    connection.execute(insert(Message), batch)
                batch.clear()
    if batch:
        with engine.begin() as connection:
            connection.execute(insert(Message), batch)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("SELECT setval('chats_id_seq', (SELECT max(id) FROM chats))"))
            connection.execute(
                text("SELECT setval('messages_id_seq', (SELECT max(id) FROM messages))")
            )
            connection.execute(text("ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def _latencies(fn: Callable[[], object], n: int) -> list[float]:
    for _ in range(min(20, n)):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def measure_queries(chats: int, samples: int) -> dict[str, list[float]]:
    """Latencies of the pages' queries on the configured database (seconds)."""
    from core.conf.db import SessionLocal
    from core.repositories.chats import ChatRepository
    from core.repositories.messages import MessageRepository

    rng = random.Random(3)
    db = SessionLocal()
    try:
        messages, chat_repo = MessageRepository(db), ChatRepository(db)
        results = {
            "context": _latencies(
                lambda: messages.get_chat_context_for_llm(rng.randint(2, chats)), samples
            ),
            "chat list": _latencies(lambda: chat_repo.list_chats(limit=50), max(20, samples // 10)),
            "2,000-message chat": _latencies(lambda: messages.list_for_chat(1), 10),
        }
        try:
            from core.services.history import HistoryFilter, search_chats
        except ImportError:
            pass
        else:
            for label, needle in (("common term", "privacy export"), ("rare term", "zebra")):
                flt = HistoryFilter(text=needle)
                results[f"history text filter, {label}"] = _latencies(
                    lambda flt=flt: search_chats(db, flt, limit=100, offset=0), 10
                )
    finally:
        db.close()
    return results


EXPORT_CHILD = """
import resource, sys, time
from core.conf import db as conf_db
conf_db.configure(sys.argv[1])
from core.services.export import ExportScope, iter_csv
start = time.perf_counter()
with open(sys.argv[2], "wb") as out:
    for chunk in iter_csv(ExportScope.everything(), safe=True):
        out.write(chunk)
elapsed = time.perf_counter() - start
# VmHWM is this process's own peak. ru_maxrss is not: Linux carries the high-water mark of the
# image exec replaced, so it reports at least the parent's size at the fork (this benchmark's own
# process: ~80 MB once it has built the databases).
try:
    with open("/proc/self/status") as status:
        peak = next(int(s.split()[1]) for s in status if s.startswith("VmHWM:")) / 1024
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(elapsed, peak)
"""

SQLITE_CLI_QUERY = (
    "SELECT m.chat_id, c.title, m.id, m.created_at, m.sender, m.content, m.reasoning, m.model, "
    "m.status, m.error, m.prompt_tokens, m.completion_tokens, m.time_to_first_token, "
    "m.tokens_per_second FROM messages m JOIN chats c ON c.id = m.chat_id ORDER BY m.chat_id, m.id"
)


def measure_export(url: str, sqlite_path: Path | None, rows: int, tmp: Path) -> list[Metric]:
    group = "3 storage: CSV export"
    try:
        import core.services.export  # noqa: F401
    except ImportError:
        return []
    out = tmp / "export.csv"
    result = subprocess.run(
        [sys.executable, "-c", EXPORT_CHILD, url, str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed, peak = (float(x) for x in result.stdout.split()[-2:])
    metrics = []
    rate = rows / elapsed
    dialect = "SQLite" if sqlite_path else "PostgreSQL"
    if sqlite_path and shutil.which("sqlite3"):
        start = time.perf_counter()
        with open(tmp / "cli.csv", "wb") as cli_out:
            subprocess.run(
                ["sqlite3", "-csv", "-header", str(sqlite_path), SQLITE_CLI_QUERY],
                stdout=cli_out,
                check=True,
            )
        cli_rate = rows / (time.perf_counter() - start)
        metrics.append(
            Metric(
                group,
                f"{dialect} export {rows:,} rows",
                rate,
                "rows/s",
                cli_rate,
                "sqlite3 CLI",
                ">= 0.5",
            )
        )
    else:
        metrics.append(Metric(group, f"{dialect} export {rows:,} rows", rate, "rows/s"))
    metrics.append(
        Metric(group, f"{dialect} export {rows:,} rows, peak memory", peak, "MB", target="< 300")
    )
    return metrics


def _bench_backend(
    name: str,
    urls: tuple[str, str],
    sizes: tuple[tuple[int, int], tuple[int, int]],
    samples: int,
    tmp: Path,
    sqlite_paths: tuple[Path | None, Path | None],
) -> list[Metric]:
    from core.conf import db as conf_db

    timings = []
    for url, (chats, messages) in zip(urls, sizes, strict=True):
        engine = conf_db.configure(url)
        conf_db.init_db(engine)
        start = time.perf_counter()
        build(engine, chats, messages)
        print(
            f"  {name}: built {messages:,} messages in {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        timings.append(measure_queries(chats, samples))
        conf_db.reset()
    small, big = timings
    (_, small_n), (_, big_n) = sizes
    group = f"3 storage: {name}"
    ms = 1000
    metrics = [
        Metric(
            group, f"context p50 @{small_n:,}", median(small["context"]) * ms, "ms", target="< 1"
        ),
        Metric(group, f"context p50 @{big_n:,}", median(big["context"]) * ms, "ms", target="< 1"),
        Metric(group, f"context p99 @{big_n:,}", percentile(big["context"], 99) * ms, "ms"),
        Metric(
            group,
            f"context p50 @{big_n:,} vs @{small_n:,}",
            median(big["context"]) * ms,
            "ms",
            median(small["context"]) * ms,
            f"@{small_n:,}",
            "<= 1.5",
        ),
    ]
    for key in (
        "chat list",
        "2,000-message chat",
        "history text filter, common term",
        "history text filter, rare term",
    ):
        if key in big:
            metrics.append(
                Metric(
                    group,
                    f"{key} p50 @{big_n:,}",
                    median(big[key]) * ms,
                    "ms",
                    median(small[key]) * ms,
                    f"@{small_n:,}",
                )
            )
    metrics += measure_export(urls[1], sqlite_paths[1], big_n, tmp)
    return metrics


def run(quick: bool = False) -> list[Metric]:
    sizes = (
        ((500, 2_000), (500, 50_000)) if quick else ((10_000, 10_000 + 2_000), (10_000, 1_000_000))
    )
    # The small database has 10,000 chats too, so the comparison isolates the number of messages.
    samples = 300 if quick else 2000
    metrics: list[Metric] = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        paths = (tmp / "small.db", tmp / "big.db")
        metrics += _bench_backend(
            "SQLite", tuple(f"sqlite:///{p}" for p in paths), sizes, samples, tmp, paths
        )  # type: ignore[arg-type]
        try:
            from devtools.servers import PostgresServer, ServiceUnavailable
        except ImportError:
            return metrics
        try:
            server = PostgresServer().start()
        except ServiceUnavailable as exc:
            print(f"  PostgreSQL not measured: {exc.reason}")
            return metrics
        try:
            base = server.url.rsplit("/", 1)[0]
            import psycopg

            with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
                conn.execute("CREATE DATABASE bench_small")
                conn.execute("CREATE DATABASE bench_big")
            urls = (f"{base}/bench_small", f"{base}/bench_big")
            metrics += _bench_backend("PostgreSQL", urls, sizes, samples, tmp, (None, None))
        finally:
            server.stop()
    return metrics
