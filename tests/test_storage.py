"""Storage (issue 2, section 3), run on SQLite and on a real PostgreSQL (the ``db`` fixture).

What is checked is what the pages and the chat service rely on: the seed's transaction contract
(``create_message`` flushes, the caller commits), the LLM context, chats and their settings, plain
records, UTC timestamps, idempotent and concurrent migration, and SQLite's connection settings.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.conf.db import SessionLocal, get_engine, init_db, session_scope, write_session
from core.errors import ChatNotFound, InputError, MessageNotFound
from core.repositories.app_settings import AppSettingsRepository
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository
from core.schemas import ChatSettings, ChatSummary, MessageRecord

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def session() -> Iterator[Session]:
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


def new_chat(title: str = "", settings: ChatSettings | None = None) -> int:
    with session_scope(write=True) as db:
        return ChatRepository(db).create(title, settings).id


def add(chat_id: int, sender: str, content: str, **fields: object) -> MessageRecord:
    with session_scope(write=True) as db:
        return MessageRepository(db).create_message(chat_id, sender, content, **fields)


def head_revision(url: str) -> tuple[list[str], set[str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            versions = [
                row[0]
                for row in connection.execute(text("SELECT version_num FROM alembic_version"))
            ]
        return versions, set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


# --- the seed's transaction contract ------------------------------------------------------------
def test_create_message_flushes_but_does_not_commit(db: str) -> None:
    chat_id = new_chat("contract")
    writer, reader = SessionLocal(), SessionLocal()
    try:
        record = MessageRepository(writer).create_message(chat_id, "user", "Hola")
        assert isinstance(record.id, int)  # flushed: the row has its id
        assert [m.content for m in MessageRepository(writer).list_for_chat(chat_id)] == ["Hola"]
        # another session does not see it before the commit
        assert MessageRepository(reader).list_for_chat(chat_id) == []
        assert ChatRepository(reader).get(chat_id).message_count == 0
        reader.rollback()

        writer.rollback()  # the caller owns the transaction: rollback removes it
        assert MessageRepository(writer).list_for_chat(chat_id) == []
        assert ChatRepository(writer).get(chat_id).message_count == 0

        MessageRepository(writer).create_message(chat_id, "user", "Hola otra vez")
        writer.commit()
        assert [m.content for m in MessageRepository(reader).list_for_chat(chat_id)] == [
            "Hola otra vez"
        ]
        assert ChatRepository(reader).get(chat_id).message_count == 1
    finally:
        writer.close()
        reader.close()


def test_create_message_refuses_bad_sender_and_status(db: str) -> None:
    chat_id = new_chat()
    with session() as dbs:
        repo = MessageRepository(dbs)
        with pytest.raises(InputError):
            repo.create_message(chat_id, "assistant", "x")
        with pytest.raises(InputError):
            repo.create_message(chat_id, "llm", "x", status="done")
        with pytest.raises(InputError):
            repo.create_message(chat_id, "user", "nul\x00byte")


# --- the LLM context ------------------------------------------------------------------------------
def test_context_for_llm_order_roles_and_what_is_left_out(db: str) -> None:
    chat_id = new_chat()
    other = new_chat()
    add(other, "user", "another chat")
    add(chat_id, "user", "Hola, ¿cómo estás?")
    add(chat_id, "llm", "¡Hola! Estoy bien.", reasoning="SECRET REASONING one")
    add(chat_id, "user", "¿Puedes ayudarme con Python?")
    add(chat_id, "llm", "", status="error", error="Cannot reach the model server")  # failed, empty
    add(chat_id, "user", "¿Sigues ahí?")
    add(chat_id, "llm", "Sí, aquí est", status="stopped", reasoning="SECRET REASONING two")
    add(chat_id, "user", "Continúa")
    add(chat_id, "llm", "", status="streaming")  # an answer being written has nothing to send yet

    with session() as dbs:
        context = MessageRepository(dbs).get_chat_context_for_llm(chat_id)
    assert context == [
        {"role": "user", "content": "Hola, ¿cómo estás?"},
        {"role": "assistant", "content": "¡Hola! Estoy bien."},
        {"role": "user", "content": "¿Puedes ayudarme con Python?"},
        {"role": "user", "content": "¿Sigues ahí?"},
        {"role": "assistant", "content": "Sí, aquí est"},  # a stopped partial answer is kept
        {"role": "user", "content": "Continúa"},
    ]
    assert "SECRET REASONING" not in repr(context)


def test_context_for_llm_limit_keeps_the_newest_oldest_first(db: str) -> None:
    chat_id = new_chat()
    for i in range(30):
        add(chat_id, "user" if i % 2 == 0 else "llm", f"m{i}")
    with session() as dbs:
        repo = MessageRepository(dbs)
        default = repo.get_chat_context_for_llm(chat_id)  # the seed's default limit is 20
        three = repo.get_chat_context_for_llm(chat_id, limit=3)
    assert [m["content"] for m in default] == [f"m{i}" for i in range(10, 30)]
    assert three == [
        {"role": "assistant", "content": "m27"},
        {"role": "user", "content": "m28"},
        {"role": "assistant", "content": "m29"},
    ]


def test_context_for_llm_of_an_empty_chat(db: str) -> None:
    chat_id = new_chat()
    with session() as dbs:
        assert MessageRepository(dbs).get_chat_context_for_llm(chat_id) == []


# --- chats ----------------------------------------------------------------------------------------
def test_chat_create_get_rename(db: str) -> None:
    settings = ChatSettings(
        model="qwen3-8b",
        temperature=0.2,
        max_tokens=64,
        top_p=0.9,
        seed=7,
        stop=("###",),
        system_prompt="Be brief.",
    )
    with session_scope(write=True) as dbs:
        created = ChatRepository(dbs).create("  Mi   primer chat ", settings)
    with session() as dbs:
        chat = ChatRepository(dbs).get(created.id)
    assert isinstance(chat, ChatSummary)
    assert chat.title == "Mi primer chat"
    assert chat.message_count == 0
    assert chat.model == "qwen3-8b"
    assert chat.settings == settings

    with session_scope(write=True) as dbs:
        renamed = ChatRepository(dbs).rename(created.id, " Renombrado\n")
    assert renamed.title == "Renombrado"
    with session() as dbs:
        assert ChatRepository(dbs).get(created.id).title == "Renombrado"
        with pytest.raises(InputError) as info:
            ChatRepository(dbs).rename(created.id, "   ")
    assert "title is empty" in str(info.value)


def test_update_settings_replaces_and_clears(db: str) -> None:
    chat_id = new_chat("s")
    wanted = ChatSettings(model="m", temperature=1.5, max_tokens=10, top_k=40, repeat_penalty=1.1)
    with session_scope(write=True) as dbs:
        ChatRepository(dbs).update_settings(chat_id, wanted)
    with session() as dbs:
        assert ChatRepository(dbs).get(chat_id).settings == wanted
    with session_scope(write=True) as dbs:
        ChatRepository(dbs).update_settings(chat_id, ChatSettings())
    with session() as dbs:
        assert ChatRepository(dbs).get(chat_id).settings == ChatSettings()
        with pytest.raises(InputError) as info:
            ChatRepository(dbs).update_settings(chat_id, ChatSettings(temperature=5.0))
    assert "Temperature must be between 0.0 and 2.0" in str(info.value)  # its label


def test_delete_takes_the_messages_with_it(db: str) -> None:
    keep = new_chat("keep")
    gone = new_chat("gone")
    for chat_id in (keep, gone):
        add(chat_id, "user", "q")
        add(chat_id, "llm", "a")
    with session_scope(write=True) as dbs:
        ChatRepository(dbs).delete(gone)
    with session() as dbs:
        assert not ChatRepository(dbs).exists(gone)
        with pytest.raises(ChatNotFound):
            ChatRepository(dbs).get(gone)
        assert MessageRepository(dbs).count_for_chat(gone) == 0
        assert MessageRepository(dbs).count_for_chat(keep) == 2


def test_database_cascades_on_delete(db: str) -> None:
    """The foreign key itself cascades (SQLite needs foreign_keys=ON for that)."""
    chat_id = new_chat()
    add(chat_id, "user", "q")
    with session_scope(write=True) as dbs:
        dbs.execute(text("DELETE FROM chats WHERE id = :id"), {"id": chat_id})
    with session() as dbs:
        orphans = dbs.execute(
            text("SELECT count(*) FROM messages WHERE chat_id = :id"), {"id": chat_id}
        ).scalar_one()
    assert orphans == 0


def test_list_chats_by_last_activity_with_counts_and_paging(db: str) -> None:
    first, second, third = new_chat("first"), new_chat("second"), new_chat("third")
    add(first, "user", "q1")
    add(first, "llm", "a1")
    add(second, "user", "q2")
    add(first, "user", "q3")  # the first chat is now the most recently active
    with session() as dbs:
        repo = ChatRepository(dbs)
        listed = repo.list_chats()
        page1 = repo.list_chats(limit=2)
        page2 = repo.list_chats(limit=2, offset=2)
        found = repo.list_chats(search="SEC")
        count = repo.count()
    assert [(c.title, c.message_count) for c in listed] == [
        ("first", 3),
        ("second", 1),
        ("third", 0),
    ]
    assert [c.id for c in page1] == [first, second]
    assert [c.id for c in page2] == [third]
    assert [c.id for c in found] == [second]
    assert count == 3
    assert listed[0].last_activity >= listed[1].last_activity >= listed[2].last_activity
    assert listed[0].last_activity > listed[0].created_at


@pytest.mark.parametrize(
    "call",
    [
        lambda db: ChatRepository(db).get(424242),
        lambda db: ChatRepository(db).rename(424242, "x"),
        lambda db: ChatRepository(db).delete(424242),
        lambda db: ChatRepository(db).update_settings(424242, ChatSettings()),
        lambda db: MessageRepository(db).create_message(424242, "user", "hola"),
        lambda db: MessageRepository(db).get_chat_context_for_llm(424242),
    ],
    ids=["get", "rename", "delete", "update_settings", "create_message", "context"],
)
def test_unknown_chat_raises_chat_not_found(db: str, call: object) -> None:
    with session() as dbs, pytest.raises(ChatNotFound) as info:
        call(dbs)  # type: ignore[operator]
    assert info.value.chat_id == 424242
    assert "Chat 424242 does not exist" in str(info.value)
    assert "424242" in info.value.user_message("es")


def test_unknown_message_raises_message_not_found(db: str) -> None:
    with session() as dbs:
        repo = MessageRepository(dbs)
        with pytest.raises(MessageNotFound):
            repo.get(31337)
        with pytest.raises(MessageNotFound):
            repo.update_message(31337, content="x")
        with pytest.raises(MessageNotFound):
            repo.delete_message(31337)


# --- messages for the pages -----------------------------------------------------------------------
def test_list_messages_paged_update_and_delete(db: str) -> None:
    chat_id = new_chat()
    ids = [add(chat_id, "user" if i % 2 == 0 else "llm", f"m{i}").id for i in range(7)]
    with session() as dbs:
        repo = MessageRepository(dbs)
        assert [m.content for m in repo.list_for_chat(chat_id)] == [f"m{i}" for i in range(7)]
        newest = repo.list_for_chat(chat_id, limit=3)
        assert [m.content for m in newest] == ["m4", "m5", "m6"]
        older = repo.list_for_chat(chat_id, limit=3, before_id=newest[0].id)
        assert [m.content for m in older] == ["m1", "m2", "m3"]
        assert repo.count_for_chat(chat_id) == 7
        assert repo.last_message(chat_id).content == "m6"  # type: ignore[union-attr]

    with session_scope(write=True) as dbs:
        MessageRepository(dbs).update_message(
            ids[-1], content="final", status="complete", completion_tokens=3, finish_reason="stop"
        )
        MessageRepository(dbs).delete_message(ids[0])
    with session() as dbs:
        repo = MessageRepository(dbs)
        last = repo.get(ids[-1])
        assert (last.content, last.completion_tokens, last.finish_reason) == ("final", 3, "stop")
        assert repo.count_for_chat(chat_id) == 6
        assert ChatRepository(dbs).get(chat_id).message_count == 6
        with pytest.raises(InputError):
            repo.update_message(ids[-1], status="bogus")


def test_records_are_plain_and_survive_commit_and_close(db: str) -> None:
    chat_id = new_chat("plain")
    dbs = SessionLocal()
    created = MessageRepository(dbs).create_message(
        chat_id,
        "llm",
        "answer",
        reasoning="why",
        model="m",
        params={"temperature": 0.5},
        prompt_tokens=12,
        completion_tokens=3,
        time_to_first_token=0.25,
        tokens_per_second=40.0,
        finish_reason="stop",
    )
    summary = ChatRepository(dbs).get(chat_id)
    dbs.commit()
    listed = MessageRepository(dbs).list_for_chat(chat_id)
    dbs.close()
    for record in (created, listed[0]):
        assert dataclasses.is_dataclass(record) and isinstance(record, MessageRecord)
        assert dataclasses.asdict(record)["content"] == "answer"  # every field readable
        assert (record.role, record.reasoning, record.params) == (
            "assistant",
            "why",
            {"temperature": 0.5},
        )
        assert (record.prompt_tokens, record.completion_tokens, record.finish_reason) == (
            12,
            3,
            "stop",
        )
    assert dataclasses.is_dataclass(summary) and summary.title == "plain"
    assert listed[0] == dataclasses.replace(created, created_at=listed[0].created_at)


def test_timestamps_are_aware_utc_and_round_trip(db: str) -> None:
    before = datetime.now(UTC)
    chat_id = new_chat()
    created = add(chat_id, "user", "hora")
    with session() as dbs:
        stored = MessageRepository(dbs).get(created.id)
        chat = ChatRepository(dbs).get(chat_id)
    for moment in (created.created_at, stored.created_at, chat.created_at, chat.last_activity):
        assert moment.tzinfo is not None
        assert moment.utcoffset() == timedelta(0)
        assert before - timedelta(minutes=5) < moment < before + timedelta(minutes=5)
    assert stored.created_at == created.created_at


def test_app_defaults_survive_sessions(db: str) -> None:
    defaults = ChatSettings(
        model="qwen3-8b",
        system_prompt="Sé breve.",
        temperature=0.3,
        max_tokens=256,
        stop=("<|end|>",),
    )
    with session_scope(write=True) as dbs:
        AppSettingsRepository(dbs).set_generation_defaults(defaults)
        AppSettingsRepository(dbs).set("language", "es")
    with session() as dbs:
        repo = AppSettingsRepository(dbs)
        assert repo.generation_defaults() == defaults
        assert repo.get("language") == "es"
        assert repo.get("missing", "fallback") == "fallback"
        with pytest.raises(InputError):
            repo.set_generation_defaults(ChatSettings(top_p=1.5))


# --- migration at start ---------------------------------------------------------------------------
def test_init_db_is_idempotent(db: str) -> None:
    chat_id = new_chat("survives")
    versions, tables = head_revision(db)
    init_db()
    init_db(get_engine())
    assert head_revision(db) == (versions, tables)
    assert len(versions) == 1
    assert {"chats", "messages", "app_settings"} <= tables
    with session() as dbs:
        assert ChatRepository(dbs).get(chat_id).title == "survives"


MIGRATE_WHEN_GATE_OPENS = """
import sys, time
from pathlib import Path
import core.cli, core.bootstrap, alembic.command  # import everything first: start together
ready, gate = Path(sys.argv[1]), Path(sys.argv[2])
ready.touch()
while not gate.exists():
    time.sleep(0.002)
sys.exit(core.cli.main(["migrate"]))
"""


def test_concurrent_migrations_both_succeed(db_url: str, tmp_path: Path) -> None:
    """Several processes run ``python -m core.cli migrate`` on the same fresh database at once."""
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(PROJECT_ROOT)}
    gate = tmp_path / "gate"
    racers = []
    for i in range(3):
        ready = tmp_path / f"ready{i}"
        command = [sys.executable, "-c", MIGRATE_WHEN_GATE_OPENS, str(ready), str(gate)]
        racers.append(
            (
                ready,
                subprocess.Popen(
                    command,
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
        )
    # Plus the plain command line, started at the same time.
    plain = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "migrate"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for ready, process in racers:
        while not ready.exists():
            assert process.poll() is None, process.communicate()
            time.sleep(0.005)
    gate.touch()
    results = [
        (*p.communicate(timeout=120), p.returncode) for p in [r[1] for r in racers] + [plain]
    ]
    for out, err, code in results:
        assert code == 0, err
        assert "Database ready." in out
    versions, tables = head_revision(db_url)
    assert len(versions) == 1
    assert {"chats", "messages", "app_settings"} <= tables


# --- SQLite connection settings -------------------------------------------------------------------
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_pragmas(db: str) -> None:
    with session() as dbs:
        connection = dbs.connection()
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") >= 5000
    path = make_url(db).database
    assert path is not None
    raw = sqlite3.connect(path)  # WAL is a property of the file: every later connection sees it
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_second_writer_waits_instead_of_failing(db: str) -> None:
    """Two write sessions: the second waits for the first's commit (busy timeout), no 'locked'."""
    import threading

    chat_id = new_chat()
    first = write_session()
    MessageRepository(first).create_message(chat_id, "user", "one")
    outcome: list[object] = []

    def second_writer() -> None:
        try:
            with session_scope(write=True) as dbs:
                MessageRepository(dbs).create_message(chat_id, "user", "two")
            outcome.append("ok")
        except Exception as exc:  # pragma: no cover - the failure this test looks for
            outcome.append(exc)

    thread = threading.Thread(target=second_writer)
    thread.start()
    thread.join(0.3)  # the second writer is (very likely) waiting for the lock now
    first.commit()
    first.close()
    thread.join(30)
    assert outcome == ["ok"]
    with session() as dbs:
        assert [m.content for m in MessageRepository(dbs).list_for_chat(chat_id)] == ["one", "two"]
