"""``UserRepository``: the people who use Charla, and what an admin may know about them.

A person is found by ``(issuer, subject)`` (:mod:`core.identity`); their email and name are
refreshed when the sign-in says something new. ``last_seen_at`` is written at most every
:data:`SEEN_EVERY`, so a page's reruns do not each write a row.

These queries are not scoped by owner on purpose: signing in must find a person before there is
an owner, and the admin page counts everyone's chats (never reads them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.identity import LOCAL, Identity
from core.models import AppSetting, Chat, ChatTag, Tag, User, utcnow
from core.repositories import NO_SYNC

SEEN_EVERY: Final = timedelta(minutes=5)


@dataclass(frozen=True)
class UserUsage:
    """One line of the admin page: who, and how much (never what)."""

    id: int
    issuer: str
    email: str | None
    name: str | None
    created_at: datetime
    last_seen_at: datetime | None
    chats: int
    messages: int


class UserRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def find(self, identity: Identity) -> User | None:
        return self.db.scalar(
            select(User).where(User.issuer == identity.issuer, User.subject == identity.subject)
        )

    def needs_write(self, user: User | None, identity: Identity) -> bool:
        """Whether signing in must write: a new person, new details, or not seen for a while."""
        if user is None:
            return True
        seen = user.last_seen_at
        return (
            (
                (user.email, user.name) != (identity.email, identity.name)
                and identity.issuer != LOCAL
            )
            or seen is None
            or utcnow() - seen > SEEN_EVERY
        )

    def sign_in(self, identity: Identity) -> User:
        """Get or create the person and note that they were seen (in a write transaction)."""
        user = self.find(identity)
        now = utcnow()
        if user is None:
            try:
                with self.db.begin_nested():
                    user = User(
                        issuer=identity.issuer,
                        subject=identity.subject,
                        email=identity.email,
                        name=identity.name,
                        created_at=now,
                        last_seen_at=now,
                    )
                    self.db.add(user)
                    self.db.flush()
                return user
            except IntegrityError:  # another process created them at the same moment
                user = self.find(identity)
                assert user is not None
        if identity.issuer != LOCAL:
            user.email, user.name = identity.email, identity.name
        user.last_seen_at = now
        self.db.flush()
        return user

    def by_email(self, email: str) -> list[User]:
        """Signed-in people (not the local user) with this email, ignoring case."""
        return list(
            self.db.scalars(
                select(User)
                .where(func.lower(User.email) == email.strip().lower(), User.issuer != LOCAL)
                .order_by(User.id)
            )
        )

    def usage(self) -> list[UserUsage]:
        """Every person with how many chats and messages they have, most recently seen first."""
        chats = (
            select(func.count()).where(Chat.owner_id == User.id).correlate(User).scalar_subquery()
        )
        messages = (
            select(func.coalesce(func.sum(Chat.message_count), 0))
            .where(Chat.owner_id == User.id)
            .correlate(User)
            .scalar_subquery()
        )
        rows = self.db.execute(
            select(
                User.id, User.issuer, User.email, User.name, User.created_at, User.last_seen_at,
                chats, messages,
            ).order_by(User.last_seen_at.desc().nulls_last(), User.id)
        )  # fmt: skip
        return [
            UserUsage(
                id=row[0],
                issuer=row[1],
                email=row[2],
                name=row[3],
                created_at=row[4],
                last_seen_at=row[5],
                chats=int(row[6] or 0),
                messages=int(row[7] or 0),
            )
            for row in rows
        ]

    def hand_over(self, source: int, target: int) -> int:
        """Give every chat, tag and setting of ``source`` to ``target``; returns how many chats
        moved. A tag both have becomes the target's one tag; a setting the target already has
        keeps the target's value."""
        moved = self.db.execute(
            update(Chat).where(Chat.owner_id == source).values(owner_id=target),
            execution_options=NO_SYNC,
        ).rowcount  # type: ignore[attr-defined]
        theirs = {
            name: tag_id
            for name, tag_id in self.db.execute(
                select(Tag.name, Tag.id).where(Tag.owner_id == target)
            )
        }
        for tag_id, name in self.db.execute(select(Tag.id, Tag.name).where(Tag.owner_id == source)):
            if name not in theirs:
                self.db.execute(
                    update(Tag).where(Tag.id == tag_id).values(owner_id=target),
                    execution_options=NO_SYNC,
                )
                continue
            have = set(
                self.db.scalars(select(ChatTag.chat_id).where(ChatTag.tag_id == theirs[name]))
            )
            links = [
                {"chat_id": chat_id, "tag_id": theirs[name]}
                for chat_id in self.db.scalars(
                    select(ChatTag.chat_id).where(ChatTag.tag_id == tag_id)
                )
                if chat_id not in have
            ]
            if links:
                self.db.execute(insert(ChatTag), links)
            self.db.execute(delete(ChatTag).where(ChatTag.tag_id == tag_id))
            self.db.execute(delete(Tag).where(Tag.id == tag_id))
        keys = set(self.db.scalars(select(AppSetting.key).where(AppSetting.owner_id == target)))
        for setting in self.db.scalars(select(AppSetting).where(AppSetting.owner_id == source)):
            if setting.key not in keys:
                self.db.add(
                    AppSetting(
                        owner_id=target, key=setting.key, value=setting.value,
                        updated_at=setting.updated_at,
                    )
                )  # fmt: skip
        self.db.flush()
        self.db.execute(delete(AppSetting).where(AppSetting.owner_id == source))
        self.db.expire_all()
        return int(moved or 0)
