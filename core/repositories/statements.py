"""Statements built once, for the path to an answer's first token.

A turn of a chat (:meth:`core.services.chat.ChatService._plan`) runs about ten statements before
its request goes out, and ``create_message`` runs in every import too. Building and cache-keying a
SQLAlchemy statement per call, and the ORM's unit of work, cost several times what SQLite takes to
run them; so these are module constants with bind parameters, run as Core statements.

Each still carries the owner's condition (:mod:`core.repositories.scope`): ``owner_id`` is compared
with :data:`~core.repositories.scope.BOUND_OWNER`, and the caller binds
:func:`~core.repositories.scope.owner_param` as ``owner``.
"""

from __future__ import annotations

from typing import Final, cast

from sqlalchemy import Table, bindparam, insert, or_, select, text, true, update

from core.models import Chat, Message, UTCDateTime
from core.repositories.scope import BOUND_OWNER
from core.vocab import Sender

CHATS = cast(Table, Chat.__table__)
MESSAGES = cast(Table, Message.__table__)
# The chat's id if it is the owner's (else NULL): ``messages.chat_id`` compared with it.
MY_CHAT_ID = (
    select(CHATS.c.id)
    .where(CHATS.c.id == bindparam("chat_id"), CHATS.c.owner_id == BOUND_OWNER)
    .scalar_subquery()
)
# Bumps the chat's denormalised counters in the same statement that proves it is the owner's (and,
# on PostgreSQL, locks its row: writers of one chat's tree take turns).
BUMP_CHAT = (
    update(CHATS)
    .where(CHATS.c.id == bindparam("chat_id"), CHATS.c.owner_id == BOUND_OWNER)
    .values(
        message_count=CHATS.c.message_count + bindparam("delta"),
        last_activity=bindparam("now", type_=UTCDateTime()),
    )
)
# The selected leaf (the end of the selected branch): one step down ix_messages_branch.
LEAF = (
    select(MESSAGES.c.id, MESSAGES.c.depth)
    .where(MESSAGES.c.chat_id == bindparam("chat_id"), MESSAGES.c.selected == true())
    .order_by(MESSAGES.c.id.desc())
    .limit(1)
)
INSERT_MESSAGE = insert(MESSAGES).returning(MESSAGES.c.id)
# Written out, not bound: a partial index (ix_messages_streaming) is used only for a query whose
# condition is literally the index's own.
STREAMING: Final = text("messages.status = 'streaming'")
# (id, writer, created_at) of the answers of the owner's chat ``chat_id`` still streaming.
STREAMING_IN_CHAT = select(MESSAGES.c.id, MESSAGES.c.writer, MESSAGES.c.created_at).where(
    STREAMING, MESSAGES.c.chat_id == MY_CHAT_ID
)
# What a request sends: messages with text, and user messages (one with files only has none).
USABLE: Final = or_(Message.content != "", Message.sender == Sender.USER.value)
