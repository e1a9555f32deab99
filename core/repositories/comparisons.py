"""``ComparisonRepository``: the rows of comparisons (:mod:`core.services.compare`).

A comparison is a chat of kind ``comparison`` whose first user message has one answer per model
(siblings, as versions are stored). Reading one is two steps along ``ix_messages_parent``: the first
message of the chat, then the answers under it — however long the chat grew after one was kept.
Every query is the current owner's (:mod:`core.repositories.scope`): someone else's comparison is
not found.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.errors import ChatNotFound
from core.models import COMPARISON, KINDS, Chat, Message
from core.repositories import NO_SYNC
from core.repositories.messages import to_record
from core.repositories.scope import my_chat, my_chat_id, my_chats, my_messages
from core.schemas import MessageRecord
from core.vocab import Sender


class ComparisonRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def first_turn(self, chat_id: int) -> tuple[MessageRecord, list[MessageRecord]] | None:
        """The chat's first question and every answer to it (oldest first), or None."""
        prompt = self.db.scalars(
            select(Message)
            .where(
                Message.chat_id == my_chat_id(chat_id),
                Message.parent_id.is_(None),
                Message.sender == Sender.USER,
            )
            .order_by(Message.id)
            .limit(1)
        ).first()
        if prompt is None:
            return None
        answers = self.db.scalars(
            select(Message)
            .where(
                Message.chat_id == chat_id,
                Message.parent_id == prompt.id,
                Message.sender == Sender.LLM,
            )
            .order_by(Message.id)
        )
        return to_record(prompt), [to_record(a) for a in answers]

    def recent(self, limit: int) -> list[Chat]:
        """The newest comparisons (chats still of that kind)."""
        query = select(Chat).where(Chat.kind == COMPARISON, my_chats())
        query = query.order_by(Chat.id.desc()).limit(limit)
        return list(self.db.scalars(query))

    def set_kind(self, chat_id: int, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown chat kind {kind!r}")
        result = self.db.execute(
            update(Chat).where(my_chat(chat_id)).values(kind=kind), execution_options=NO_SYNC
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise ChatNotFound(chat_id)

    def mine(self, message_ids: Sequence[int]) -> set[int]:
        """Which of ``message_ids`` are the current owner's (the others are not to be followed or
        stopped, however the caller came by them)."""
        if not message_ids:
            return set()
        query = select(Message.id).where(Message.id.in_(list(message_ids)), my_messages())
        return set(self.db.scalars(query))
