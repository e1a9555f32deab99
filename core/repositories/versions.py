"""``VersionRepository``: the tree operations behind versions (regenerate, edit, switch, delete).

A chat's messages form a tree; the rows of the *selected branch* carry ``selected = true``
(:mod:`core.models` explains why the flag lives on the rows). Every operation here keeps one
invariant: **the selected rows of a chat are exactly one path from a first message down to a leaf**.

- :meth:`select_path_to` makes the path down to a message selected and unselects everything that
  was selected below the fork (it stays, as another version). Regenerate and edit call it (through
  ``create_message(parent_id=…)``) before adding the new version under that message.
- :meth:`select_version` shows another version: the path to it, then down from it, at each fork
  the version shown last (``shown_at``; the newest if never shown) — the conversation below it as
  the person left it.
- :meth:`versions_of` says, for the messages a page shows, which version each is ("2 / 3") and
  which are its neighbours.
- :meth:`delete_version` deletes a version and everything after it (explicitly, after the person
  confirmed); if it was shown, its neighbour version is shown instead.

Paths are walked by the database with recursive CTEs (SQLite and PostgreSQL both have them), one
statement per walk, on the ``(chat_id, parent_id, id)`` index. Every write first locks the chat's
row (``FOR UPDATE`` on PostgreSQL; SQLite write transactions already run one at a time), so two
tabs flipping versions of one chat at once take turns and the invariant holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, text, true, update
from sqlalchemy.orm import Session

from core.errors import ChatNotFound, MessageNotFound
from core.models import Chat, Message, utcnow
from core.repositories import NO_SYNC
from core.repositories.scope import my_chat, my_messages
from core.schemas import MessageRecord

# Up from a message until the first selected ancestor (included): the unselected part of its path.
_UP_TO_BRANCH = text(
    """
    WITH RECURSIVE up(id, parent_id, depth, selected) AS (
        SELECT id, parent_id, depth, selected FROM messages WHERE id = :start
        UNION ALL
        SELECT m.id, m.parent_id, m.depth, m.selected
        FROM messages m JOIN up ON m.id = up.parent_id
        WHERE NOT up.selected
    )
    SELECT id, depth, selected FROM up
    """
)
# Down from a message, at each fork the child shown last (the newest if never shown): the path a
# switched-to version shows — the conversation below it as the person last saw it.
_DOWN_LAST_SHOWN = text(
    """
    WITH RECURSIVE down(id) AS (
        SELECT CAST(:start AS INTEGER)
        UNION ALL
        SELECT (SELECT c.id FROM messages c
                WHERE c.chat_id = :chat_id AND c.parent_id = down.id
                ORDER BY COALESCE(c.shown_at, c.created_at) DESC, c.id DESC LIMIT 1)
        FROM down WHERE down.id IS NOT NULL
    )
    SELECT id FROM down WHERE id IS NOT NULL
    """
)
# A message and everything after it, in every version.
_SUBTREE = text(
    """
    WITH RECURSIVE sub(id) AS (
        SELECT CAST(:start AS INTEGER)
        UNION ALL
        SELECT m.id FROM messages m JOIN sub ON m.parent_id = sub.id
        WHERE m.chat_id = :chat_id
    )
    SELECT id FROM sub
    """
)


@dataclass(frozen=True)
class Versions:
    """Where a message stands among its versions (its siblings, oldest first)."""

    index: int  # 1-based
    count: int
    previous_id: int | None
    next_id: int | None


class VersionRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    # --- reading ------------------------------------------------------------------------------
    def _message(self, message_id: int) -> Message:
        # Scoped: a message of someone else's chat is not found (core.repositories.scope).
        message = self.db.scalar(select(Message).where(Message.id == message_id, my_messages()))
        if message is None:
            raise MessageNotFound(message_id)
        return message

    def versions_of(self, messages: Sequence[MessageRecord]) -> dict[int, Versions]:
        """For each of ``messages`` (of one chat) that has other versions, where it stands."""
        if not messages:
            return {}
        chat_id = messages[0].chat_id
        parents = {m.parent_id for m in messages}
        conditions = [Message.parent_id.in_([p for p in parents if p is not None])]
        if None in parents:
            conditions.append(Message.parent_id.is_(None))
        rows = self.db.execute(
            select(Message.parent_id, Message.id)
            .where(Message.chat_id == chat_id, or_(*conditions))
            .order_by(Message.id)
        ).all()
        siblings: dict[int | None, list[int]] = defaultdict(list)
        for parent_id, message_id in rows:
            siblings[parent_id].append(message_id)
        found: dict[int, Versions] = {}
        for message in messages:
            group = siblings.get(message.parent_id, [])
            if len(group) < 2 or message.id not in group:
                continue
            at = group.index(message.id)
            found[message.id] = Versions(
                index=at + 1,
                count=len(group),
                previous_id=group[at - 1] if at > 0 else None,
                next_id=group[at + 1] if at + 1 < len(group) else None,
            )
        return found

    def subtree_ids(self, message: MessageRecord | Message) -> list[int]:
        """The message and everything after it, in every version."""
        rows = self.db.execute(_SUBTREE, {"start": message.id, "chat_id": message.chat_id})
        return [int(row.id) for row in rows]

    def earlier_good_version(self, message: MessageRecord) -> int | None:
        """The newest earlier version of ``message`` that did not fail, if any."""
        same_parent = (
            Message.parent_id == message.parent_id
            if message.parent_id is not None
            else Message.parent_id.is_(None)
        )
        return self.db.scalar(
            select(Message.id)
            .where(
                Message.chat_id == message.chat_id,
                same_parent,
                Message.id < message.id,
                Message.status != "error",
            )
            .order_by(Message.id.desc())
            .limit(1)
        )

    # --- changing the selected branch ---------------------------------------------------------
    def _lock_chat(self, chat_id: int) -> None:
        locked = self.db.scalar(select(Chat.id).where(my_chat(chat_id)).with_for_update())
        if locked is None:
            raise ChatNotFound(chat_id)

    def select_path_to(self, chat_id: int, message_id: int | None) -> int:
        """Select the path from the first message down to ``message_id`` and unselect everything
        below it; ``None`` unselects the whole branch (a new first message follows). Returns the
        message's depth (-1 for ``None``), so a new message under it gets depth + 1."""
        self._lock_chat(chat_id)
        if message_id is None:
            self._unselect_below(chat_id, -1)
            return -1
        rows = self.db.execute(_UP_TO_BRANCH, {"start": message_id}).all()
        if not rows or self._message(message_id).chat_id != chat_id:
            raise MessageNotFound(message_id)
        fork = next((row.depth for row in rows if row.selected), -1)
        target_depth = int(rows[0].depth)
        self._unselect_below(chat_id, target_depth if rows[0].selected else fork)
        missing = [int(row.id) for row in rows if not row.selected]
        if missing:
            self.db.execute(
                update(Message)
                .where(Message.id.in_(missing))
                .values(selected=True, shown_at=utcnow()),
                execution_options=NO_SYNC,
            )
        return target_depth

    def _unselect_below(self, chat_id: int, depth: int) -> None:
        self.db.execute(
            update(Message)
            .where(Message.chat_id == chat_id, Message.selected == true(), Message.depth > depth)
            .values(selected=False),
            execution_options=NO_SYNC,
        )

    def select_version(self, message_id: int) -> int:
        """Show ``message_id``'s version: select the path to it and, below it, the newest version
        at every fork. Returns the new leaf's id."""
        message = self._message(message_id)
        self.select_path_to(message.chat_id, message.id)
        path = [
            int(row.id)
            for row in self.db.execute(
                _DOWN_LAST_SHOWN, {"start": message.id, "chat_id": message.chat_id}
            )
        ]
        below = path[1:]
        if below:
            self.db.execute(
                update(Message)
                .where(Message.id.in_(below))
                .values(selected=True, shown_at=utcnow()),
                execution_options=NO_SYNC,
            )
        return path[-1]

    # --- deleting -----------------------------------------------------------------------------
    def delete_version(self, message_id: int) -> int:
        """Delete a version and everything after it; returns how many messages went. If it was
        shown, the version before it (else after it) is shown instead."""
        message = self._message(message_id)
        chat_id, was_selected = message.chat_id, message.selected
        self._lock_chat(chat_id)
        neighbour = None
        if was_selected:
            siblings = self.db.scalars(
                select(Message.id)
                .where(
                    Message.chat_id == chat_id,
                    Message.parent_id == message.parent_id
                    if message.parent_id is not None
                    else Message.parent_id.is_(None),
                    Message.id != message.id,
                )
                .order_by(Message.id)
            ).all()
            earlier = [s for s in siblings if s < message.id]
            neighbour = earlier[-1] if earlier else (siblings[0] if siblings else None)
        doomed = self.subtree_ids(message)
        self._remove(chat_id, doomed)
        if neighbour is not None:
            self.select_version(neighbour)
        return len(doomed)

    def splice_out(self, message: Message) -> None:
        """Delete one message; what followed it now follows its parent, one level up."""
        chat_id = message.chat_id
        self._lock_chat(chat_id)
        below = self.subtree_ids(message)[1:]
        if below:
            self.db.execute(
                update(Message).where(Message.id.in_(below)).values(depth=Message.depth - 1),
                execution_options=NO_SYNC,
            )
            self.db.execute(
                update(Message)
                .where(Message.chat_id == chat_id, Message.parent_id == message.id)
                .values(parent_id=message.parent_id),
                execution_options=NO_SYNC,
            )
        self._remove(chat_id, [message.id])

    def _remove(self, chat_id: int, ids: Sequence[int]) -> None:
        self.db.execute(
            update(Chat)
            .where(Chat.id == chat_id)
            .values(message_count=Chat.message_count - len(ids)),
            execution_options=NO_SYNC,
        )
        # Children first is not needed: one statement deletes the whole subtree, and the foreign
        # key is checked at its end.
        self.db.execute(delete(Message).where(Message.id.in_(list(ids))))
        self.db.expire_all()
