"""``TagRepository``: the tags a person gives chats.

Tag names are kept lower-case, trimmed, with inner spaces collapsed ("Work  Stuff" → "work
stuff"): one tag per word a person means, whatever the case they typed it in, and a name that
``tag:name`` in a search finds. A tag exists while any chat carries it or until it is deleted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from core.errors import InputError
from core.models import ChatTag, Tag, utcnow
from core.repositories.scope import owner_id, owner_value
from core.text import check_text

MAX_TAG_CHARS = 64


def clean_tag(name: str) -> str:
    """A tag's name as stored; InputError if nothing is left or it is too long."""
    cleaned = " ".join(name.split()).lower().lstrip("#")
    if not cleaned:
        raise InputError("input.empty_tag")
    return check_text(cleaned, limit=MAX_TAG_CHARS)


class TagRepository:
    """The current owner's tags (names are unique per person)."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def _id(self, name: str, *, create: bool) -> int | None:
        found = self.db.scalar(
            select(Tag.id).where(Tag.name == name, Tag.owner_id == owner_value())
        )
        if found is not None or not create:
            return found
        tag = Tag(owner_id=owner_id(self.db), name=name, created_at=utcnow())
        self.db.add(tag)
        self.db.flush()
        return tag.id

    def tags_of(self, chat_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
        """Each chat's tags, sorted by name (chats without tags are left out)."""
        ids = list(chat_ids)
        if not ids:
            return {}
        rows = self.db.execute(
            select(ChatTag.chat_id, Tag.name)
            .join(Tag, Tag.id == ChatTag.tag_id)
            .where(ChatTag.chat_id.in_(ids), Tag.owner_id == owner_value())
            .order_by(Tag.name)
        )
        found: dict[int, list[str]] = defaultdict(list)
        for chat_id, name in rows:
            found[chat_id].append(name)
        return {chat_id: tuple(names) for chat_id, names in found.items()}

    def add(self, chat_ids: Sequence[int], name: str) -> str:
        """Tag every chat of ``chat_ids`` with ``name`` (created if new); returns the name."""
        name = clean_tag(name)
        tag_id = self._id(name, create=True)
        have = set(
            self.db.scalars(
                select(ChatTag.chat_id).where(
                    ChatTag.tag_id == tag_id, ChatTag.chat_id.in_(list(chat_ids))
                )
            )
        )
        missing = [
            {"chat_id": c, "tag_id": tag_id} for c in dict.fromkeys(chat_ids) if c not in have
        ]
        if missing:
            self.db.execute(insert(ChatTag), missing)
        return name

    def remove(self, chat_ids: Sequence[int], name: str) -> None:
        tag_id = self._id(clean_tag(name), create=False)
        if tag_id is not None:
            self.db.execute(
                delete(ChatTag).where(ChatTag.tag_id == tag_id, ChatTag.chat_id.in_(list(chat_ids)))
            )

    def rename(self, old: str, new: str) -> str:
        """Rename a tag everywhere; renaming onto an existing tag merges the two."""
        old, new = clean_tag(old), clean_tag(new)
        old_id = self._id(old, create=False)
        if old_id is None or old == new:
            return new
        new_id = self._id(new, create=False)
        if new_id is None:
            tag = self.db.get(Tag, old_id)
            assert tag is not None
            tag.name = new
            self.db.flush()
            return new
        chats = list(self.db.scalars(select(ChatTag.chat_id).where(ChatTag.tag_id == old_id)))
        self.db.execute(delete(Tag).where(Tag.id == old_id))  # its links go with it (cascade)
        self.db.execute(delete(ChatTag).where(ChatTag.tag_id == old_id))
        self.add(chats, new)
        return new

    def delete(self, name: str) -> None:
        tag_id = self._id(clean_tag(name), create=False)
        if tag_id is not None:
            self.db.execute(delete(ChatTag).where(ChatTag.tag_id == tag_id))
            self.db.execute(delete(Tag).where(Tag.id == tag_id))

    def counts(self) -> list[tuple[str, int]]:
        """Every tag with how many chats carry it, by name."""
        rows = self.db.execute(
            select(Tag.name, func.count(ChatTag.chat_id))
            .outerjoin(ChatTag, ChatTag.tag_id == Tag.id)
            .where(Tag.owner_id == owner_value())
            .group_by(Tag.id, Tag.name)
            .order_by(Tag.name)
        )
        return [(name, int(count)) for name, count in rows]
