"""``AttachmentRepository``: the files and images messages carry.

An attachment is stored once, by the SHA-256 of its bytes (:class:`core.models.Attachment`); a
message links to it under the name the person gave the file (:class:`core.models.MessageAttachment`,
in order). So the same file sent twice, or kept by an edited version of its message, costs one row.

Writes flush but never commit: the caller owns the transaction (the chat service stores a message
and its attachments in one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, exists, func, select
from sqlalchemy.orm import Session, aliased

from core.models import Attachment, Chat, Message, MessageAttachment
from core.repositories.scope import my_chats
from core.schemas import AttachmentRecord


@dataclass(frozen=True)
class NewAttachment:
    """What storing an attachment needs (built by :mod:`core.services.attachments`)."""

    name: str
    kind: str
    mime: str
    data: bytes
    sha256: str
    text: str | None
    width: int | None
    height: int | None
    context_bytes: int


@dataclass(frozen=True)
class ContextAttachment:
    """An attachment as a request needs it: its name, kind and what the model is sent."""

    name: str
    kind: str
    mime: str
    text: str | None
    data: bytes | None  # images only: documents are sent as text


_RECORD_COLUMNS = (
    MessageAttachment.attachment_id,
    MessageAttachment.message_id,
    MessageAttachment.position,
    MessageAttachment.name,
    Attachment.kind,
    Attachment.mime,
    Attachment.size,
    Attachment.sha256,
    Attachment.width,
    Attachment.height,
    Attachment.context_bytes,
)


def _carried_by_mine() -> ColumnElement[bool]:
    """The attachment is on a message of the current owner's (core.repositories.scope)."""
    link = aliased(MessageAttachment, name="mine_link")
    return (
        select(link.attachment_id)
        .join(Message, Message.id == link.message_id)
        .join(Chat, Chat.id == Message.chat_id)
        .where(link.attachment_id == Attachment.id, my_chats())
        .exists()
    )


class AttachmentRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def store(self, new: NewAttachment) -> int:
        """The id of the attachment with these bytes: the existing one, else a new row."""
        found = self.db.scalar(select(Attachment.id).where(Attachment.sha256 == new.sha256))
        if found is not None:
            return int(found)
        row = Attachment(
            sha256=new.sha256,
            kind=new.kind,
            mime=new.mime,
            size=len(new.data),
            data=new.data,
            text=new.text,
            width=new.width,
            height=new.height,
            context_bytes=new.context_bytes,
        )
        self.db.add(row)
        self.db.flush()
        return row.id

    def attach(self, message_id: int, attachments: Sequence[NewAttachment]) -> None:
        """Store ``attachments`` and link them to ``message_id``, in order."""
        for position, new in enumerate(attachments):
            self.db.add(
                MessageAttachment(
                    message_id=message_id,
                    position=position,
                    attachment_id=self.store(new),
                    name=new.name[:255],
                )
            )
        self.db.flush()

    def copy_links(self, from_message: int, to_message: int) -> None:
        """Give ``to_message`` the attachments of ``from_message`` (an edited version keeps
        its files): new links to the same stored rows."""
        links = self.db.execute(
            select(
                MessageAttachment.position, MessageAttachment.attachment_id, MessageAttachment.name
            )
            .where(MessageAttachment.message_id == from_message)
            .order_by(MessageAttachment.position)
        ).all()
        for position, attachment_id, name in links:
            self.db.add(
                MessageAttachment(
                    message_id=to_message, position=position, attachment_id=attachment_id, name=name
                )
            )
        self.db.flush()

    def for_messages(self, message_ids: Iterable[int]) -> dict[int, tuple[AttachmentRecord, ...]]:
        """The attachments of these messages (without bytes), by message id, in order."""
        ids = list(message_ids)
        if not ids:
            return {}
        rows = self.db.execute(
            select(*_RECORD_COLUMNS)
            .join(Attachment, Attachment.id == MessageAttachment.attachment_id)
            .where(MessageAttachment.message_id.in_(ids))
            .order_by(MessageAttachment.message_id, MessageAttachment.position)
        ).all()
        found: dict[int, list[AttachmentRecord]] = defaultdict(list)
        for row in rows:
            found[row.message_id].append(
                AttachmentRecord(
                    id=row.attachment_id,
                    message_id=row.message_id,
                    position=row.position,
                    name=row.name,
                    kind=row.kind,
                    mime=row.mime,
                    size=row.size,
                    sha256=row.sha256,
                    width=row.width,
                    height=row.height,
                    context_bytes=row.context_bytes,
                )
            )
        return {message_id: tuple(items) for message_id, items in found.items()}

    def for_context(self, message_ids: Iterable[int]) -> dict[int, list[ContextAttachment]]:
        """What a request sends of these messages' attachments: documents' text, images' bytes."""
        ids = list(message_ids)
        if not ids:
            return {}
        rows = self.db.execute(
            select(
                MessageAttachment.message_id,
                MessageAttachment.name,
                Attachment.kind,
                Attachment.mime,
                Attachment.text,
                Attachment.data,
            )
            .join(Attachment, Attachment.id == MessageAttachment.attachment_id)
            .where(MessageAttachment.message_id.in_(ids))
            .order_by(MessageAttachment.message_id, MessageAttachment.position)
        ).all()
        found: dict[int, list[ContextAttachment]] = defaultdict(list)
        for row in rows:
            image = row.kind == "image"
            found[row.message_id].append(
                ContextAttachment(
                    row.name, row.kind, row.mime, row.text, bytes(row.data) if image else None
                )
            )
        return dict(found)

    def data(self, attachment_id: int) -> tuple[str, bytes] | None:
        """(MIME type, bytes) of a stored attachment, or None if it is gone (or only on someone
        else's messages: files are stored once for everyone, but read only through one's own)."""
        row = self.db.execute(
            select(Attachment.mime, Attachment.data).where(
                Attachment.id == attachment_id, _carried_by_mine()
            )
        ).first()
        return None if row is None else (row.mime, bytes(row.data))

    def text(self, attachment_id: int) -> str | None:
        """The text the model reads of a stored document (None for an image, or if gone)."""
        return self.db.scalar(
            select(Attachment.text).where(Attachment.id == attachment_id, _carried_by_mine())
        )

    def context_bytes_by_message(self, message_ids: Iterable[int]) -> dict[int, int]:
        """What the context arithmetic counts for each message's attachments, summed."""
        ids = list(message_ids)
        if not ids:
            return {}
        rows = self.db.execute(
            select(MessageAttachment.message_id, func.sum(Attachment.context_bytes))
            .join(Attachment, Attachment.id == MessageAttachment.attachment_id)
            .where(MessageAttachment.message_id.in_(ids))
            .group_by(MessageAttachment.message_id)
        ).all()
        return {int(message_id): int(total or 0) for message_id, total in rows}

    def prune(self) -> int:
        """Delete the attachments no message carries any more (after messages or chats were
        deleted); returns how many."""
        linked = exists().where(MessageAttachment.attachment_id == Attachment.id)
        result = self.db.execute(delete(Attachment).where(~linked))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def count(self) -> int:
        return self.db.scalar(select(func.count()).select_from(Attachment)) or 0
