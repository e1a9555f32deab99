"""Benchmark: full-text search at scale, on SQLite and (when it can be started) PostgreSQL.

``python -m bench --only search`` builds one database per backend through the real schema (the
migrations, so the index is migration 0008_search's) with the storage benchmark's bulk loader
(:func:`bench.storage.build`: inserts go through the index's triggers / generated columns, as in
use), :data:`DEFAULT_MESSAGES` messages over one chat per 100 (``--quick``: 50,000). The size is
``BENCH_SEARCH_MESSAGES`` (e.g. ``BENCH_SEARCH_MESSAGES=100000``; the 10M stretch figure is
``BENCH_SEARCH_MESSAGES=10000000 python -m bench --only search``, SQLite and PostgreSQL alike).
A rare word (:data:`RARE`) is then added to 1 message in 20,000.

Measured, in one run, on each backend (ratios against figures of the same run):

- :func:`core.services.search.search_messages` p50 and p95 for a rare word, a common word, a
  two-word phrase and a prefix (target: p50 < 20 ms, p95 < 50 ms), each against the substring
  scan the History filter did before the index (``LIKE`` / ``ILIKE '%…%'`` over content, newest
  first, the same page size), the same queries interleaved so machine noise hits both;
- SQLite: the first fold of the bulk-loaded messages' words into migration 0014's vocabulary
  (what the first prefix search after a bulk load does);
- the index's size (SQLite: the FTS5 shadow tables and the vocabulary; PostgreSQL: the GIN
  index plus the stored vectors) and the time to build it for the existing rows (the migration's upgrade);
- the cost per saved message: one message per write transaction through the repository, with
  the index, against the same with the index removed (SQLite: its triggers dropped; PostgreSQL:
  the generated column dropped) — measured last, as it takes the index away.

The streaming path (:func:`streaming_with_and_without_index`): the ``streaming`` suite's (d),
the chat service saving to SQLite as it streams, against the floor (target ≥ 0.8×), run twice in
alternation — with the index, and with its triggers dropped — so the index's own cost on the
streaming path is visible apart from machine noise.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, text

from bench.common import Metric, interleaved, median, percentile
from bench.storage import build

DEFAULT_MESSAGES = 1_000_000
QUICK_MESSAGES = 50_000
RARE = "zebra"
RARE_EVERY = 20_000  # one message in this many holds the rare word
ROUNDS = 60  # samples per query
SAVES = 1_000  # messages saved one by one for the cost per message
QUERIES = {  # name: (search query, substring the old filter looked for)
    "rare word": (RARE, RARE),
    "common word": ("privacy", "privacy"),
    "two-word phrase": ('"local privacy"', "local privacy"),
    "prefix": ("strea*", "strea"),
}


def _size(quick: bool) -> int:
    raw = os.environ.get("BENCH_SEARCH_MESSAGES", "")
    return int(raw) if raw.strip() else (QUICK_MESSAGES if quick else DEFAULT_MESSAGES)


def _add_rare_word(engine: Engine, messages: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(f"UPDATE messages SET content = content || ' {RARE}' WHERE id % :every = 7"),
            {"every": RARE_EVERY},
        )
        connection.execute(text("ANALYZE"))


def _substring_scan(engine: Engine, needle: str) -> Callable[[], float]:
    like = "LIKE" if engine.dialect.name == "sqlite" else "ILIKE"
    statement = text(
        f"SELECT id FROM messages WHERE content {like} :pattern ORDER BY id DESC LIMIT 21"
    )

    def run() -> float:
        start = time.perf_counter()
        with engine.connect() as connection:
            connection.execute(statement, {"pattern": f"%{needle}%"}).all()
        return time.perf_counter() - start

    return run


def _search(query: str) -> Callable[[], float]:
    from core.services.search import search_messages

    def run() -> float:
        start = time.perf_counter()
        search_messages(query)
        return time.perf_counter() - start

    return run


def _index_bytes(engine: Engine) -> float:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            shadow = [
                "messages_fts_data",
                "messages_fts_idx",
                "messages_fts_docsize",
                "messages_fts_config",
                "search_terms",  # 0014: the words, for prefixes
            ]
            total = 0
            for table in shadow:
                columns = [
                    row[1] for row in connection.execute(text(f"PRAGMA table_info({table})"))
                ]
                sizes = " + ".join(f"coalesce(length({c}), 8)" for c in columns)
                total += int(
                    connection.execute(text(f"SELECT sum({sizes}) FROM {table}")).scalar() or 0
                )
            return float(total)
        gin = connection.execute(text("SELECT pg_relation_size('ix_messages_search')")).scalar()
        vectors = connection.execute(
            text("SELECT sum(pg_column_size(search_vector)) FROM messages")
        ).scalar()
        return float(int(gin or 0) + int(vectors or 0))


def _rebuild_seconds(engine: Engine) -> float:
    """The migration's upgrade on the existing rows: down to 0007, then up again, timed up."""
    from alembic import command

    from core.conf.db import _alembic_config

    config = _alembic_config(engine)
    command.downgrade(config, "0007")
    start = time.perf_counter()
    command.upgrade(config, "head")
    return time.perf_counter() - start


def _fold_seconds(engine: Engine) -> float | None:
    """SQLite: list the words of the messages the bulk load wrote (migration 0014's vocabulary; the
    first prefix search would do it), timed; None on PostgreSQL, which needs no vocabulary."""
    if engine.dialect.name != "sqlite":
        return None
    from core.conf.db import session_scope
    from core.repositories.search_terms import fold_vocabulary

    start = time.perf_counter()
    with session_scope(write=True) as db:
        fold_vocabulary(db)
    return time.perf_counter() - start


def _save_seconds(chat_id: int) -> float:
    from core.conf.db import session_scope
    from core.repositories.messages import MessageRepository

    rng = random.Random(5)
    words = ["local", "privacy", "streams", "tokens", "history", "model", "answers"]
    start = time.perf_counter()
    for _ in range(SAVES):
        with session_scope(write=True) as db:
            content = " ".join(rng.choice(words) for _ in range(40))
            MessageRepository(db).create_message(chat_id, "user", content)
    return (time.perf_counter() - start) / SAVES


def _drop_index(engine: Engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            for table in ("messages", "chats"):
                for trigger in ("insert", "delete", "update"):
                    connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_fts_{trigger}"))
            connection.execute(text("DROP TRIGGER IF EXISTS search_terms_changed"))  # 0014
        else:
            connection.execute(text("ALTER TABLE messages DROP COLUMN search_vector"))


def _bench_backend(name: str, url: str, size: int) -> list[Metric]:
    from core.conf import db as conf_db

    engine = conf_db.configure(url)
    conf_db.init_db(engine)
    started = time.perf_counter()
    build(engine, max(2, size // 100), size, big_chat=min(2000, size // 10))
    built = time.perf_counter() - started
    _add_rare_word(engine, size)
    folded = _fold_seconds(engine)
    print(
        f"  {name}: built {size:,} messages (index kept by the writes) in {built:.0f} s", flush=True
    )
    group = f"search: {name} @{size:,} messages"
    ms = 1000
    metrics = [Metric(group, "bulk load with the index", built, "s")]
    if folded is not None:
        metrics.append(Metric(group, "prefix words: first fold after the bulk load", folded, "s"))
    runs: dict[str, Callable[[], float]] = {}
    for label, (query, needle) in QUERIES.items():
        runs[label] = _search(query)
        runs[f"{label} (substring scan)"] = _substring_scan(engine, needle)
    for runner in runs.values():  # warm the caches once
        runner()
    samples = interleaved(runs, ROUNDS)
    for label in QUERIES:
        fts, scan = samples[label], samples[f"{label} (substring scan)"]
        metrics += [
            Metric(group, f"{label} p50", median(fts) * ms, "ms", target="< 20"),
            Metric(group, f"{label} p95", percentile(fts, 95) * ms, "ms", target="< 50"),
            Metric(
                group,
                f"{label} p50 vs substring scan",
                median(fts) * ms,
                "ms",
                median(scan) * ms,
                "substring scan",
            ),
        ]
    metrics.append(Metric(group, "index size", _index_bytes(engine) / 1e6, "MB"))
    metrics.append(Metric(group, "index build for existing rows", _rebuild_seconds(engine), "s"))
    with_index = _save_seconds(1)
    _drop_index(engine)
    without = _save_seconds(1)
    metrics.append(
        Metric(
            group,
            "cost per saved message",
            with_index * ms,
            "ms",
            without * ms,
            "without the index",
            note=f"{SAVES} messages, one write transaction each",
        )
    )
    conf_db.reset()
    return metrics


def streaming_with_and_without_index(quick: bool, rounds: int = 2) -> list[Metric]:
    """The streaming suite's (d) ratio to the floor, with the index and without it."""
    from bench import streaming
    from core.conf import db as conf_db

    migrate = conf_db.init_db

    def without_index(engine: Engine | None = None) -> None:
        migrate(engine)
        _drop_index(conf_db.get_engine())

    ratios: dict[str, list[float]] = {"with": [], "without": []}
    try:
        for _ in range(rounds):
            for label in ratios:
                conf_db.init_db = migrate if label == "with" else without_index
                found = {m.name: m for m in streaming.run(quick=quick)}
                ratios[label].append(found["(d) Charla chat service + SQLite"].ratio or 0.0)
    finally:
        conf_db.init_db = migrate
    with_index, without = median(ratios["with"]), median(ratios["without"])
    return [
        Metric(
            "search: streaming path (SQLite)",
            "(d) chat service ÷ floor, with the index",
            with_index,
            "×",
            target=">= 0.8",
            note=f"without the index: {without:.2f}× (medians of {rounds} alternating runs)",
        )
    ]


def run(quick: bool = False) -> list[Metric]:
    size = _size(quick)
    metrics: list[Metric] = streaming_with_and_without_index(quick)
    with tempfile.TemporaryDirectory() as name:
        metrics += _bench_backend("SQLite", f"sqlite:///{Path(name) / 'search.db'}", size)
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
        import psycopg

        with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench_search")
        base = server.url.rsplit("/", 1)[0]
        metrics += _bench_backend("PostgreSQL", f"{base}/bench_search", size)
    finally:
        server.stop()
    return metrics
