"""The database engine, ``SessionLocal`` (the seed's name) and ``init_db()``.

The engine is built lazily from ``DATABASE_URL`` so importing this module never touches the disk.
SQLite connections are set up for an app that several browser sessions use at once: WAL journal
(readers never block the writer), foreign keys on (so deleting a chat deletes its messages), a busy
timeout (a second writer waits instead of failing with "database is locked") and
``synchronous=NORMAL`` (durable at every checkpoint and safe against application crashes in WAL).

``init_db()`` brings the schema to Alembic's newest revision. It is idempotent and safe when two
processes start at once: the migration runs under a lock (a file lock beside a SQLite database, a
PostgreSQL advisory lock otherwise) and is skipped when the database is already current.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from core.conf.settings import PROJECT_ROOT, get_settings

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
_PG_MIGRATION_LOCK = 0x43686172  # "Char": one advisory lock id for Charla's migrations
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, emit BEGIN (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # In WAL mode a transaction that reads first and writes later fails at once with "database is
    # locked" if another connection wrote in between (no busy wait). Write sessions therefore
    # start with BEGIN IMMEDIATE, which takes the write lock up front and waits for it politely.
    immediate = connection.get_execution_options().get(WRITE_OPTION)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


WRITE_OPTION = "charla_write"


def create_db_engine(url: str) -> Engine:
    """An engine for ``url`` with Charla's connection settings."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class _LazyEngine:
    """Holds the process's engine; rebuilt by :func:`configure` (tests point it elsewhere)."""

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def get(self) -> Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = create_db_engine(get_settings().database_url)
        return self._engine

    def set(self, engine: Engine | None) -> None:
        with self._lock:
            old, self._engine = self._engine, engine
        if old is not None and old is not engine:
            old.dispose()


class _LazySessionMaker(sessionmaker[Session]):
    """A sessionmaker that binds itself to the configured engine on first use, so the seed's
    ``db = SessionLocal()`` works straight after import without building an engine at import."""

    def __call__(self, **local_kw: Any) -> Session:
        if self.kw.get("bind") is None:
            get_engine()
        return super().__call__(**local_kw)


_engine = _LazyEngine()
# expire_on_commit=False: objects stay readable after commit; pages still get plain dataclasses.
SessionLocal = _LazySessionMaker(autoflush=False, expire_on_commit=False)


def get_engine() -> Engine:
    engine = _engine.get()
    if SessionLocal.kw.get("bind") is not engine:
        SessionLocal.configure(bind=engine)
    return engine


def configure(url: str | None = None) -> Engine:
    """Point ``SessionLocal`` at ``url`` (default: the configured ``DATABASE_URL``)."""
    engine = create_db_engine(url or get_settings().database_url)
    _engine.set(engine)
    SessionLocal.configure(bind=engine)
    return engine


def reset() -> None:
    """Forget the engine (closing its connections); the next use builds it from the settings."""
    _engine.set(None)
    SessionLocal.configure(bind=None)


def __getattr__(name: str) -> Any:
    # ``from core.conf.db import engine`` keeps working, and still builds the engine lazily.
    if name == "engine":
        return get_engine()
    raise AttributeError(name)


def write_session() -> Session:
    """A session for a unit of work that writes (takes SQLite's write lock when it begins)."""
    return SessionLocal(bind=get_engine().execution_options(**{WRITE_OPTION: True}))


@contextmanager
def write_transaction() -> Iterator[Connection]:
    """One write transaction on a Core connection (``BEGIN IMMEDIATE`` on SQLite): committed at the
    end, rolled back on error. For bulk writes that need no ORM session (imports)."""
    with get_engine().execution_options(**{WRITE_OPTION: True}).begin() as connection:
        yield connection


@contextmanager
def session_scope(
    *, write: bool = False, factory: Callable[[], Session] | None = None
) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error, always close.

    ``factory`` makes the session (default: ``write_session`` or ``SessionLocal``, by ``write``).
    """
    db = factory() if factory is not None else write_session() if write else SessionLocal()
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise
    finally:
        db.close()


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def _current_and_head(engine: Engine) -> tuple[str | None, str]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    assert head is not None, "migrations/ has no revisions"
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:":
            yield
            return
        with open(f"{database}.migrate.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    else:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                connection.commit()


def init_db(engine: Engine | None = None) -> None:
    """Migrate the database to the newest schema (idempotent, safe to run concurrently)."""
    from alembic import command

    engine = engine or get_engine()
    current, head = _current_and_head(engine)
    if current == head:
        return
    with _migration_lock(engine):
        current, head = _current_and_head(engine)
        if current != head:
            command.upgrade(_alembic_config(engine), "head")
