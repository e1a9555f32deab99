"""The chats' use cases for the pages: list, open, rename, delete, and a chat's versions.

Pages never open a database session or import a repository: every question they ask and every
change they make is one function here, one short transaction each, returning plain records
(:mod:`core.schemas`). ``ChatNotFound`` / ``MessageNotFound`` come out for ids that are gone (a chat
deleted in another tab, an old bookmark), so a page can say so instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.conf.db import session_scope
from core.errors import MessageNotFound
from core.repositories.attachments import AttachmentRepository
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository
from core.repositories.versions import VersionRepository, Versions
from core.schemas import ChatSettings, ChatSummary, MessageRecord
from core.vocab import Status

__all__ = [
    "ChatView",
    "Versions",
    "chat_exists",
    "count_chats",
    "delete_chat",
    "delete_version",
    "fall_back_from_failed",
    "get_chat",
    "list_chats",
    "new_chat",
    "open_chat",
    "rename_chat",
    "select_version",
    "version_size",
]


@dataclass(frozen=True)
class ChatView:
    """What the chat page (and History's reader) draws of one chat."""

    summary: ChatSummary
    messages: list[MessageRecord]  # the newest ``window`` of the selected branch, oldest first
    branch_length: int  # messages on the selected branch (older ones are behind "Show older")
    versions: dict[int, Versions]  # for the shown messages that have other versions

    @property
    def hidden(self) -> int:
        """Messages of the selected branch older than the window."""
        return max(0, self.branch_length - len(self.messages))


def new_chat(title: str = "", settings: ChatSettings | None = None) -> int:
    """Create an empty chat and return its id."""
    with session_scope(write=True) as db:
        return ChatRepository(db).create(title, settings).id


def chat_exists(chat_id: int) -> bool:
    with session_scope() as db:
        return ChatRepository(db).exists(chat_id)


def get_chat(chat_id: int) -> ChatSummary:
    with session_scope() as db:
        return ChatRepository(db).get(chat_id)


def list_chats(
    *, limit: int = 50, offset: int = 0, include_archived: bool = True
) -> list[ChatSummary]:
    """Chats, pinned first, then most recent activity first (paged); the sidebar leaves the
    archived ones out."""
    with session_scope() as db:
        return ChatRepository(db).list_chats(
            limit=limit, offset=offset, include_archived=include_archived
        )


def count_chats() -> int:
    with session_scope() as db:
        return ChatRepository(db).count()


def open_chat(chat_id: int, window: int | None = None) -> ChatView:
    """The chat and the newest ``window`` messages of its selected branch (all with ``None``),
    with where each stands among its versions: one read transaction."""
    with session_scope() as db:
        summary = ChatRepository(db).get(chat_id)
        messages = MessageRepository(db)
        shown = messages.branch(chat_id, limit=window)
        length = messages.branch_length(chat_id)
        versions = VersionRepository(db).versions_of(shown)
    return ChatView(summary, shown, length, versions)


def rename_chat(chat_id: int, title: str) -> ChatSummary:
    with session_scope(write=True) as db:
        return ChatRepository(db).rename(chat_id, title)


def delete_chat(chat_id: int) -> None:
    """Delete a chat and all its messages, every version (the page asked for confirmation)."""
    with session_scope(write=True) as db:
        ChatRepository(db).delete(chat_id)
        AttachmentRepository(db).prune()  # files no other message carries


def select_version(message_id: int) -> int:
    """Show the version ``message_id`` (and, below it, its newest versions); returns the new leaf.

    The choice is stored, so it survives a reload and is the same in every tab."""
    with session_scope(write=True) as db:
        return VersionRepository(db).select_version(message_id)


def delete_version(message_id: int) -> int:
    """Delete one version and everything after it (the page asked for confirmation); returns
    how many messages were deleted."""
    with session_scope(write=True) as db:
        deleted = VersionRepository(db).delete_version(message_id)
        AttachmentRepository(db).prune()  # files no other message carries
        return deleted


def version_size(message_id: int) -> int:
    """How many messages deleting this version takes: it and everything after it."""
    with session_scope() as db:
        message = MessageRepository(db).get(message_id)
        return len(VersionRepository(db).subtree_ids(message))


def fall_back_from_failed(answer_id: int) -> MessageRecord | None:
    """If this answer (a new version of an earlier one) failed before writing anything, show the
    version before it again — the failed attempt stays, as a version — and return the failed
    record (for its error); otherwise None."""
    with session_scope(write=True) as db:
        repo = MessageRepository(db)
        try:
            failed = repo.get(answer_id)
        except MessageNotFound:
            return None
        if failed.status != Status.ERROR or failed.content or not failed.selected:
            return None
        versions = VersionRepository(db)
        earlier = versions.earlier_good_version(failed)
        if earlier is None:
            return None
        versions.select_version(earlier)
    return failed


def chat_signature(chat_id: int) -> tuple[object, ...] | None:
    """What changes when anything another tab or process could do to the chat happens (a new
    message, an answer started or ended, a version switched, a rename); None if it is gone."""
    with session_scope() as db:
        return ChatRepository(db).signature(chat_id)
