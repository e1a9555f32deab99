"""Organising chats: pin, archive, tag — one chat or several at once (History's bulk actions).

Pinned chats come first in the sidebar and in History; archived chats leave the sidebar but stay
in History and search; tags are lower-case labels (:mod:`core.repositories.tags`). Each function
is one short write transaction; unknown chat ids raise :class:`~core.errors.ChatNotFound`.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.conf.db import session_scope
from core.repositories.chats import ChatRepository
from core.repositories.tags import MAX_TAG_CHARS, TagRepository

# MAX_TAG_CHARS: the pages' tag name boxes hold no more.
__all__ = [
    "MAX_TAG_CHARS",
    "add_tag",
    "delete_tag",
    "remove_tag",
    "rename_tag",
    "set_archived",
    "set_pinned",
    "tags",
]


def set_pinned(chat_ids: Sequence[int], pinned: bool = True) -> None:
    with session_scope(write=True) as db:
        chats = ChatRepository(db)
        for chat_id in chat_ids:
            chats.set_pinned(chat_id, pinned)


def set_archived(chat_ids: Sequence[int], archived: bool = True) -> None:
    with session_scope(write=True) as db:
        chats = ChatRepository(db)
        for chat_id in chat_ids:
            chats.set_archived(chat_id, archived)


def add_tag(chat_ids: Sequence[int], name: str) -> str:
    """Tag the chats; returns the tag's name as stored (lower-case)."""
    with session_scope(write=True) as db:
        for chat_id in chat_ids:
            ChatRepository(db).lock(chat_id)  # ChatNotFound for one that is gone
        return TagRepository(db).add(chat_ids, name)


def remove_tag(chat_ids: Sequence[int], name: str) -> None:
    with session_scope(write=True) as db:
        TagRepository(db).remove(chat_ids, name)


def rename_tag(old: str, new: str) -> str:
    with session_scope(write=True) as db:
        return TagRepository(db).rename(old, new)


def delete_tag(name: str) -> None:
    """Remove a tag from every chat (the chats stay)."""
    with session_scope(write=True) as db:
        TagRepository(db).delete(name)


def tags() -> list[tuple[str, int]]:
    """Every tag and how many chats carry it."""
    with session_scope() as db:
        return TagRepository(db).counts()
