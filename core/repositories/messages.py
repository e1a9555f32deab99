"""``MessageRepository``: a chat's messages (the seed's API, plus what the pages need).

Writes add and flush but never commit: the caller owns the transaction, exactly as in the seed's
``complete_chat_flow`` (``create_message`` twice, then ``db.commit()``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from core.errors import ChatNotFound, InputError, MessageNotFound
from core.models import SENDERS, STATUSES, Chat, Message, UTCDateTime, utcnow
from core.schemas import MessageRecord
from core.text import check_text

ROLE_BY_SENDER = {"user": "user", "llm": "assistant"}
INTERRUPTED = "interrupted"  # the error text of an answer whose writing process died

# create_message() is on the path to every answer's first token, so its two statements are built
# once, with bind parameters, and run as Core statements: building and cache-keying a statement
# per call, and the ORM unit of work, cost ten times what SQLite takes to run them.
_CHATS = cast(Table, Chat.__table__)
_MESSAGES = cast(Table, Message.__table__)
_BUMP_CHAT = (
    update(_CHATS)
    .where(_CHATS.c.id == bindparam("chat_id"))
    .values(
        message_count=_CHATS.c.message_count + bindparam("delta"),
        last_activity=bindparam("now", type_=UTCDateTime()),
    )
)
_INSERT_MESSAGE = insert(_MESSAGES).returning(_MESSAGES.c.id)

# Bulk UPDATEs skip SQLAlchemy's identity-map synchronisation (the default "auto" costs a large
# share of every write). Sessions here are short and records are built from fresh reads, so no
# caller sees a stale object.
NO_SYNC = {"synchronize_session": False}

# Columns that update_message() may change.
_UPDATABLE = frozenset(
    {
        "content",
        "reasoning",
        "status",
        "error",
        "model",
        "params",
        "prompt_tokens",
        "completion_tokens",
        "time_to_first_token",
        "tokens_per_second",
        "finish_reason",
        "writer",
    }
)


def to_record(message: Message) -> MessageRecord:
    return MessageRecord(
        id=message.id,
        chat_id=message.chat_id,
        sender=message.sender,
        content=message.content,
        reasoning=message.reasoning,
        status=message.status,
        error=message.error,
        model=message.model,
        params=message.params,
        prompt_tokens=message.prompt_tokens,
        completion_tokens=message.completion_tokens,
        time_to_first_token=message.time_to_first_token,
        tokens_per_second=message.tokens_per_second,
        finish_reason=message.finish_reason,
        created_at=message.created_at,
        writer=message.writer,
    )


class MessageRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    # --- the seed's API -----------------------------------------------------------------------
    def create_message(
        self,
        chat_id: int,
        sender: str,
        content: str,
        *,
        reasoning: str = "",
        status: str = "complete",
        **fields: Any,
    ) -> MessageRecord:
        """Add a message to ``chat_id`` and flush (no commit). Returns its record, id included."""
        if sender not in SENDERS:
            raise InputError("input.bad_sender", value=sender)
        if status not in STATUSES:
            raise InputError("input.bad_status", value=status)
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise TypeError(f"create_message() got unexpected fields: {sorted(unknown)}")
        now = utcnow()
        # Bump the chat's denormalised counters in the same statement that proves it exists.
        connection = self.db.connection()
        bumped = connection.execute(_BUMP_CHAT, {"chat_id": chat_id, "delta": 1, "now": now})
        if bumped.rowcount == 0:
            raise ChatNotFound(chat_id)
        values: dict[str, Any] = dict.fromkeys(_UPDATABLE)
        values.update(
            fields,
            chat_id=chat_id,
            sender=sender,
            content=check_text(content),
            reasoning=check_text(reasoning),
            status=status,
            created_at=now,
        )
        message_id = connection.execute(_INSERT_MESSAGE, values).scalar_one()
        return MessageRecord(id=message_id, **values)

    def get_chat_context_for_llm(self, chat_id: int, limit: int = 20) -> list[dict[str, str]]:
        """The last ``limit`` usable messages of a chat, oldest first, as OpenAI chat messages.

        ``user`` → ``user``, ``llm`` → ``assistant``. Reasoning is never included (models must not
        see their own thinking replayed as answer text), and answers that failed before any text
        arrived are left out: they carry nothing the model said.
        """
        rows = self.db.execute(
            select(Message.sender, Message.content)
            .where(Message.chat_id == chat_id, Message.content != "")
            .order_by(Message.id.desc())
            .limit(limit)
        ).all()
        return [
            {"role": ROLE_BY_SENDER[sender], "content": content}
            for sender, content in reversed(rows)
        ]

    # --- what the pages and the chat service need -------------------------------------------------
    def get(self, message_id: int) -> MessageRecord:
        message = self.db.get(Message, message_id)
        if message is None:
            raise MessageNotFound(message_id)
        return to_record(message)

    def list_for_chat(
        self, chat_id: int, *, limit: int | None = None, before_id: int | None = None
    ) -> list[MessageRecord]:
        """A chat's messages oldest first; with ``limit``, the newest ``limit`` of them (before
        ``before_id`` when given, to page backwards through a long chat)."""
        query = select(Message).where(Message.chat_id == chat_id)
        if before_id is not None:
            query = query.where(Message.id < before_id)
        if limit is None:
            return [to_record(m) for m in self.db.scalars(query.order_by(Message.id))]
        newest = self.db.scalars(query.order_by(Message.id.desc()).limit(limit)).all()
        return [to_record(m) for m in reversed(newest)]

    def count_for_chat(self, chat_id: int) -> int:
        return self.db.scalar(select(func.count()).where(Message.chat_id == chat_id)) or 0

    def last_message(self, chat_id: int) -> MessageRecord | None:
        message = self.db.scalars(
            select(Message).where(Message.chat_id == chat_id).order_by(Message.id.desc()).limit(1)
        ).first()
        return to_record(message) if message else None

    def update_message(self, message_id: int, **fields: Any) -> None:
        """Change some columns of a message (flush, no commit)."""
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise TypeError(f"update_message() got unexpected fields: {sorted(unknown)}")
        if "status" in fields and fields["status"] not in STATUSES:
            raise InputError("input.bad_status", value=fields["status"])
        for key in ("content", "reasoning"):
            if key in fields:
                check_text(fields[key])
        result = self.db.execute(
            update(Message).where(Message.id == message_id).values(**fields),
            execution_options=NO_SYNC,
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise MessageNotFound(message_id)

    def delete_message(self, message_id: int) -> None:
        message = self.db.get(Message, message_id)
        if message is None:
            raise MessageNotFound(message_id)
        self.db.execute(
            update(Chat)
            .where(Chat.id == message.chat_id)
            .values(message_count=Chat.message_count - 1),
            execution_options=NO_SYNC,
        )
        self.db.delete(message)
        self.db.flush()

    def streaming_answers(self) -> list[tuple[int, str | None, datetime]]:
        """(id, writer, created_at) of every answer still marked ``streaming``."""
        rows = self.db.execute(
            select(Message.id, Message.writer, Message.created_at).where(
                Message.status == "streaming"
            )
        ).all()
        return [(row.id, row.writer, row.created_at) for row in rows]

    def mark_interrupted(self, message_ids: Sequence[int]) -> int:
        """Mark answers whose writer died as ``stopped`` with error ``interrupted``."""
        if not message_ids:
            return 0
        result = self.db.execute(
            update(Message)
            .where(Message.id.in_(list(message_ids)), Message.status == "streaming")
            .values(status="stopped", error=INTERRUPTED, writer=None),
            execution_options=NO_SYNC,
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
