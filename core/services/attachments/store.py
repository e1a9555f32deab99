"""Reading stored attachments for the pages (an image's thumbnail, a file to download) and removing
the ones no message carries any more. (Messages are found by their files through search:
:mod:`core.services.search`, on the index of migration 0013.)"""

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
