"""Reading stored attachments for the pages (an image's thumbnail, a file to download), finding
messages by their files (History search), and removing the ones no message carries any more."""

from __future__ import annotations

from core.conf.db import session_scope
from core.repositories.attachments import AttachmentRepository


def attachment_data(attachment_id: int) -> tuple[str, bytes] | None:
    """(MIME type, bytes) of a stored attachment; None if it is gone."""
    with session_scope() as db:
        return AttachmentRepository(db).data(attachment_id)


def prune_attachments() -> int:
    """Delete the stored files no message carries any more (after deletions); how many."""
    with session_scope(write=True) as db:
        return AttachmentRepository(db).prune()


def messages_with_files_matching(term: str, limit: int = 200) -> list[tuple[int, int, str]]:
    """(chat id, message id, file name) of messages whose files' names or text contain ``term``
    (case-insensitive), newest first."""
    with session_scope() as db:
        return AttachmentRepository(db).matching_messages(term, limit)
