"""``MessageRepository``: a chat's messages (the seed's API, plus what the pages need).

Writes add and flush but never commit: the caller owns the transaction, exactly as in the seed's
``complete_chat_flow`` (``create_message`` twice, then ``db.commit()``).

Messages form a tree with the chat's selected branch marked (``core.models``). The seed's calls
keep their meaning on that branch: ``create_message(chat_id, …)`` appends to the selected branch,
``get_chat_context_for_llm(chat_id)`` reads it. A linear chat (no versions) is one branch, all of it
selected, so it behaves exactly as before versions existed. Operations on versions (regenerate,
edit, switch, delete) live in :mod:`core.repositories.versions`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    LargeBinary,
    func,
    select,
    true,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from core.errors import ChatNotFound, InputError, MessageNotFound
from core.models import SENDERS, STATUSES, Chat, Message, utcnow
from core.repositories import NO_SYNC
from core.repositories.attachments import AttachmentRepository
from core.repositories.scope import my_chat, my_chat_id, my_messages, owner_param
from core.repositories.statements import (
    BUMP_CHAT,
    INSERT_MESSAGE,
    LEAF,
    STREAMING,
    STREAMING_IN_CHAT,
    USABLE,
)
from core.repositories.versions import VersionRepository
from core.schemas import MessageRecord
from core.text import check_text
from core.vocab import INTERRUPTED, Sender, Status

# Columns that update_message() may change.
UPDATABLE: Final = frozenset(
    {
        "content",
        "reasoning",
        "status",
        "error",
        "error_code",
        "error_params",
        "model",
        "params",
        "prompt_tokens",
        "completion_tokens",
        "time_to_first_token",
        "load_time",
        "tokens_per_second",
        "finish_reason",
        "writer",
    }
)


class _AtLeaf:
    """``create_message``'s default parent: the end of the chat's selected branch."""

    def __repr__(self) -> str:
        return "AT_LEAF"


AT_LEAF: Final = _AtLeaf()


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
        load_time=message.load_time,
        tokens_per_second=message.tokens_per_second,
        finish_reason=message.finish_reason,
        created_at=message.created_at,
        writer=message.writer,
        parent_id=message.parent_id,
        depth=message.depth,
        selected=message.selected,
        error_code=message.error_code,
        error_params=message.error_params,
    )


class MessageRepository:
    """The current owner's messages (scope.py); stop_requested/mark_interrupted: process-wide."""

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
        status: str = Status.COMPLETE,
        parent_id: int | _AtLeaf | None = AT_LEAF,
        counted: bool = False,
        **fields: Any,
    ) -> MessageRecord:
        """Add a message to ``chat_id`` and flush (no commit). Returns its record, id included.

        By default the message follows the end of the chat's selected branch. With ``parent_id``
        (``None``: a new first message) it becomes a new version after that message: the path to
        it is selected and what was selected below it is not (it stays, as another version).
        ``counted``: the transaction's :meth:`TurnRepository.claim` proved, locked and counted.
        """
        if sender not in SENDERS:
            raise InputError("input.bad_sender", value=sender)
        if status not in STATUSES:
            raise InputError("input.bad_status", value=status)
        unknown = set(fields) - UPDATABLE
        if unknown:
            raise TypeError(f"create_message() got unexpected fields: {sorted(unknown)}")
        values: dict[str, Any] = dict.fromkeys(UPDATABLE)
        values.update(
            fields,
            chat_id=chat_id,
            sender=sender,
            content=check_text(content),
            reasoning=check_text(reasoning),
            status=status,
        )
        now = utcnow()
        connection = self.db.connection()
        bump = {"chat_id": chat_id, "owner": owner_param(), "delta": 1, "now": now}
        if not counted and connection.execute(BUMP_CHAT, bump).rowcount == 0:
            raise ChatNotFound(chat_id)
        if isinstance(parent_id, _AtLeaf):
            leaf = connection.execute(LEAF, {"chat_id": chat_id}).first()
            parent, depth = (leaf.id, leaf.depth + 1) if leaf else (None, 0)
        else:
            parent = parent_id
            depth = VersionRepository(self.db).select_path_to(chat_id, parent_id) + 1
        values.update(parent_id=parent, depth=depth, selected=True, created_at=now, shown_at=now)
        message_id = connection.execute(INSERT_MESSAGE, values).scalar_one()
        values.pop("shown_at")
        return MessageRecord(id=message_id, **values)

    def get_chat_context_for_llm(self, chat_id: int, limit: int = 20) -> list[dict[str, str]]:
        """The last ``limit`` usable messages of the chat's selected branch, oldest first, as
        OpenAI chat messages. Raises :class:`ChatNotFound` for a chat that does not exist.

        ``user`` → ``user``, ``llm`` → ``assistant``. Reasoning is never included (models must not
        see their own thinking replayed as answer text), and answers that failed before any text
        arrived are left out: they carry nothing the model said. Other versions are never sent.
        (Attachments are not: the chat service adds them, :meth:`context_rows`.)
        """
        return [
            {"role": role, "content": content}
            for _, role, content in self.context_rows(chat_id, limit)
        ]

    def context_rows(self, chat_id: int, limit: int = 20) -> list[tuple[int, str, str]]:
        """(id, role, content) of what :meth:`get_chat_context_for_llm` returns; a user message
        with files and no text counts (its files are its content)."""
        rows = self.db.execute(
            select(Message.id, Message.sender, Message.content)
            .where(Message.chat_id == my_chat_id(chat_id), Message.selected == true(), USABLE)
            .order_by(Message.id.desc())
            .limit(limit)
        ).all()
        if not rows and not self._chat_exists(chat_id):
            raise ChatNotFound(chat_id)
        return [
            (int(message_id), Sender(sender).role, content)
            for message_id, sender, content in reversed(rows)
        ]

    # --- what the pages and the chat service need -------------------------------------------------
    def _chat_exists(self, chat_id: int) -> bool:
        return self.db.scalar(select(Chat.id).where(my_chat(chat_id))) is not None

    def get(self, message_id: int) -> MessageRecord:
        message = self.db.scalar(select(Message).where(Message.id == message_id, my_messages()))
        if message is None:
            raise MessageNotFound(message_id)
        return to_record(message)

    def branch(
        self, chat_id: int, *, limit: int | None = None, before_id: int | None = None
    ) -> list[MessageRecord]:
        """The chat's selected branch oldest first; with ``limit``, its newest ``limit`` messages
        (before ``before_id`` when given, to page backwards)."""
        query = select(Message).where(
            Message.chat_id == my_chat_id(chat_id), Message.selected == true()
        )
        return self._window(query, limit, before_id)

    def branch_length(self, chat_id: int) -> int:
        """How many messages the selected branch has (the leaf's depth plus one)."""
        if not self._chat_exists(chat_id):
            return 0
        leaf = self.db.connection().execute(LEAF, {"chat_id": chat_id}).first()
        return 0 if leaf is None else int(leaf.depth) + 1

    def branch_sizes(self, chat_id: int, limit: int) -> list[tuple[int, int]]:
        """(id, UTF-8 bytes of the content and its attachments) of the newest ``limit`` messages
        of the selected branch that are sent, newest first: what a context fit needs, without
        the texts."""
        dialect = self.db.get_bind().dialect.name
        size = (
            func.length(sql_cast(Message.content, LargeBinary))  # SQLite: bytes of the blob
            if dialect == "sqlite"
            else func.octet_length(Message.content)
        )
        rows = self.db.execute(
            select(Message.id, size)
            .where(Message.chat_id == my_chat_id(chat_id), Message.selected == true(), USABLE)
            .order_by(Message.id.desc())
            .limit(limit)
        ).all()
        files = AttachmentRepository(self.db).context_bytes_by_message(id_ for id_, _ in rows)
        return [
            (int(message_id), int(bytes_ or 0) + files.get(int(message_id), 0))
            for message_id, bytes_ in rows
        ]

    def list_for_chat(
        self, chat_id: int, *, limit: int | None = None, before_id: int | None = None
    ) -> list[MessageRecord]:
        """Every message of a chat, every version, in the order written (oldest first); with
        ``limit``, the newest ``limit`` of them (before ``before_id`` when given)."""
        return self._window(
            select(Message).where(Message.chat_id == my_chat_id(chat_id)), limit, before_id
        )

    def _window(self, query: Any, limit: int | None, before_id: int | None) -> list[MessageRecord]:
        if before_id is not None:
            query = query.where(Message.id < before_id)
        if limit is None:
            return self._with_attachments(self.db.scalars(query.order_by(Message.id)))
        newest = self.db.scalars(query.order_by(Message.id.desc()).limit(limit)).all()
        return self._with_attachments(reversed(newest))

    def _with_attachments(self, messages: Iterable[Message]) -> list[MessageRecord]:
        """Records of ``messages``, each with the files and images it carries."""
        records = [to_record(m) for m in messages]
        attached = AttachmentRepository(self.db).for_messages(
            r.id for r in records if r.sender == Sender.USER
        )
        if not attached:
            return records
        return [replace(r, attachments=attached[r.id]) if r.id in attached else r for r in records]

    def count_for_chat(self, chat_id: int) -> int:
        return (
            self.db.scalar(select(func.count()).where(Message.chat_id == my_chat_id(chat_id))) or 0
        )

    def last_message(self, chat_id: int) -> MessageRecord | None:
        """The end of the chat's selected branch."""
        found = self.branch(chat_id, limit=1)
        return found[0] if found else None

    def first_exchange(self, chat_id: int) -> list[MessageRecord]:
        """The first two messages of the chat's selected branch (its first question and answer,
        when it has them), oldest first: one step along ``ix_messages_branch``."""
        query = (
            select(Message)
            .where(Message.chat_id == my_chat_id(chat_id), Message.selected == true())
            .order_by(Message.id)
            .limit(2)
        )
        return [to_record(m) for m in self.db.scalars(query)]

    def first_questions(self, chat_id: int) -> list[str]:
        """The text of every version of the chat's first user message (``ix_messages_parent``)."""
        query = select(Message.content).where(
            Message.chat_id == my_chat_id(chat_id),
            Message.parent_id.is_(None),
            Message.sender == Sender.USER,
        )
        return list(self.db.scalars(query.order_by(Message.id)))

    def update_message(self, message_id: int, **fields: Any) -> None:
        """Change some columns of a message (flush, no commit)."""
        unknown = set(fields) - UPDATABLE
        if unknown:
            raise TypeError(f"update_message() got unexpected fields: {sorted(unknown)}")
        if "status" in fields and fields["status"] not in STATUSES:
            raise InputError("input.bad_status", value=fields["status"])
        for key in ("content", "reasoning"):
            if key in fields:
                check_text(fields[key])
        result = self.db.execute(
            update(Message).where(Message.id == message_id, my_messages()).values(**fields),
            execution_options=NO_SYNC,
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise MessageNotFound(message_id)

    def delete_message(self, message_id: int) -> None:
        """Delete one message; what followed it now follows its parent (nothing else is lost).

        Deleting a version with everything after it is
        :meth:`core.repositories.versions.VersionRepository.delete_version`.
        """
        message = self.db.scalar(select(Message).where(Message.id == message_id, my_messages()))
        if message is None:
            raise MessageNotFound(message_id)
        VersionRepository(self.db).splice_out(message)

    def streaming_answers(
        self, chat_id: int | None = None
    ) -> list[tuple[int, str | None, datetime]]:
        """(id, writer, created_at) of answers still streaming: of my chat, else everyone's."""
        if chat_id is None:
            query = select(Message.id, Message.writer, Message.created_at).where(STREAMING)
            rows = self.db.execute(query)
        else:
            params = {"chat_id": chat_id, "owner": owner_param()}
            rows = self.db.connection().execute(STREAMING_IN_CHAT, params)
        return [(row.id, row.writer, row.created_at) for row in rows]

    def request_stop(self, message_id: int) -> bool:
        """Ask whichever process writes this answer to stop it; False if it is not streaming."""
        mine = update(Message).where(Message.id == message_id, STREAMING, my_messages())
        result = self.db.execute(mine.values(stop_requested=True), execution_options=NO_SYNC)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def stop_requested(self, message_ids: Sequence[int]) -> list[int]:
        """Which of these answers someone asked to stop."""
        if not message_ids:
            return []
        return list(
            self.db.scalars(
                select(Message.id).where(
                    Message.id.in_(list(message_ids)), Message.stop_requested == true()
                )
            )
        )

    def progress(self, message_id: int) -> tuple[str, str, str] | None:
        """(content, reasoning, status) of an answer, or None if it is gone (following it)."""
        row = self.db.execute(
            select(Message.content, Message.reasoning, Message.status).where(
                Message.id == message_id, my_messages()
            )
        ).first()
        return None if row is None else (row.content, row.reasoning, row.status)

    def mark_interrupted(self, message_ids: Sequence[int]) -> int:
        """Mark answers whose writer died as ``stopped`` with error ``error.interrupted``."""
        if not message_ids:
            return 0
        result = self.db.execute(
            update(Message)
            .where(Message.id.in_(list(message_ids)), STREAMING)
            .values(status=Status.STOPPED, error_code=INTERRUPTED, writer=None),
            execution_options=NO_SYNC,
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
