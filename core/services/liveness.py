"""Which process is writing a streaming answer, and is it still alive?

An answer row is ``streaming`` while some app process writes it. If that process dies (SIGKILL, a
power cut), the row would stay ``streaming`` forever. So the writer leaves its token on the row —
``host:pid:start`` where ``start`` is the process's start time in clock ticks since boot (from
``/proc``), which tells a live process from a later one that reused the pid. At start-up, and when a
page shows such a row, :func:`writer_alive` decides: a token from this host is checked against the
process table; a token from another host (a team sharing PostgreSQL) cannot be checked, so such rows
are left alone until they are older than :data:`FOREIGN_STALE_AFTER`.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy.orm import Session

from core.conf.db import session_scope
from core.models import utcnow
from core.repositories.messages import MessageRepository

# A foreign host's answer that has been "streaming" this long is certainly dead (no read timeout
# allows an answer to run so long without its writer finishing it).
FOREIGN_STALE_AFTER = timedelta(hours=6)


def _start_ticks(pid: int) -> str:
    """The process's start time (field 22 of /proc/PID/stat), or "" if it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return ""
    # The command name (field 2) may contain spaces: split after its closing parenthesis.
    fields = stat.rsplit(b")", 1)[1].split()
    return "" if fields[0] in (b"Z", b"X") else fields[19].decode()


@cache
def process_token() -> str:
    """This process's writer token."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid)}"


def writer_alive(token: str | None) -> bool | None:
    """True/False for a writer on this host; None when it cannot be told (another host)."""
    if not token:
        return False
    parts = token.rsplit(":", 2)
    if len(parts) != 3:
        return False
    host, pid_text, start = parts
    if host != socket.gethostname():
        return None
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid():
        return start == _start_ticks(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    return _start_ticks(pid) == start


def _dead(writer: str | None, created_at: datetime, now: datetime) -> bool:
    alive = writer_alive(writer)
    return alive is False or (alive is None and now - created_at > FOREIGN_STALE_AFTER)


def answering(db: Session, chat_id: int) -> bool:
    """Whether an answer of this chat is being written by a live process. Answers whose writer
    died are marked interrupted on the way (in ``db``'s transaction), so a crash never leaves a
    chat that refuses every new message."""
    repo = MessageRepository(db)
    now = utcnow()
    streaming = repo.streaming_answers(chat_id)
    dead = [answer_id for answer_id, writer, created in streaming if _dead(writer, created, now)]
    repo.mark_interrupted(dead)
    return len(dead) < len(streaming)


def mark_interrupted_answers() -> int:
    """At start-up: answers whose writing process is gone become ``stopped`` with the error code
    ``error.interrupted``; what they hold is kept."""
    with session_scope(write=True) as db:
        repo = MessageRepository(db)
        now = utcnow()
        dead = [
            message_id
            for message_id, writer, created_at in repo.streaming_answers()
            if _dead(writer, created_at, now)
        ]
        return repo.mark_interrupted(dead)
