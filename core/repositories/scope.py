"""The owner condition every chat and message query carries: one place, so none forgets it.

:func:`owner_value` is the current owner (:mod:`core.identity`) as a SQL value: the id set for this
session's run, else — single-user mode only — the local user (a subquery, so no extra round trip),
else :class:`~core.errors.NotSignedIn` before any query runs. From it:

- :func:`my_chats` — ``chats.owner_id = <owner>``: add it to every query on ``chats``;
- :func:`my_chat` / :func:`my_chat_id` — one chat id of mine (someone else's id is exactly as
  "not found" as a deleted one: the row is simply not there for this owner);
- :func:`my_messages` — ``messages`` whose chat is mine: add it to every query on ``messages`` that
  starts from a message id (:func:`my_messages_apart` in a query that also joins ``chats``).

:func:`owner_id` resolves the owner to an integer for rows that store it (a new chat, a tag, a
setting). Statements built once (:mod:`core.repositories.statements`: the path to an answer's first
token) compare ``owner_id`` with :data:`BOUND_OWNER` and bind :func:`owner_param` as ``owner``: the
owner's id, or NULL for the local user, looked up in the same statement (no extra round trip).
Repositories that other features add (search, export, insights, presets) take their conditions from
here too.
"""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    Integer,
    ScalarSelect,
    and_,
    bindparam,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session, aliased

from core.conf.settings import get_settings
from core.errors import NotSignedIn
from core.identity import LOCAL, NONE, current_owner_id
from core.models import Chat, Message, User

_LOCAL_INFO_KEY = "charla_local_owner"


# Built once: a SQL expression is immutable, and building it on every query cost more than the
# query it joins on the first-token path.
_LOCAL_USER: ScalarSelect[int] = (
    select(User.id).where(User.issuer == LOCAL, User.subject == LOCAL).scalar_subquery()
)


def _local_user() -> ScalarSelect[int]:
    return _LOCAL_USER


def owner_value() -> ColumnElement[int]:
    """The current owner as a SQL value; NotSignedIn when there is none in multi-user mode."""
    owner = current_owner_id()
    if owner is not None:
        return literal(owner)
    if get_settings().auth == NONE:
        return _local_user()
    raise NotSignedIn()


def owner_id(db: Session) -> int:
    """The current owner's id (the local user's is looked up once per session)."""
    owner = current_owner_id()
    if owner is not None:
        return owner
    if get_settings().auth != NONE:
        raise NotSignedIn()
    found = db.info.get(_LOCAL_INFO_KEY)
    if found is None:
        found = db.scalar(select(User.id).where(User.issuer == LOCAL, User.subject == LOCAL))
        if found is None:  # a database made without the migrations' first user
            user = User(issuer=LOCAL, subject=LOCAL, name=LOCAL)
            db.add(user)
            db.flush()
            found = user.id
        db.info[_LOCAL_INFO_KEY] = found
    return int(found)


# The owner in a statement built once: the bound ``owner`` (owner_param()), else the local user.
BOUND_OWNER: ColumnElement[int] = func.coalesce(bindparam("owner", type_=Integer), _LOCAL_USER)


def owner_param() -> int | None:
    """The ``owner`` parameter of :data:`BOUND_OWNER`: the current owner's id, or None for the
    local user (single-user mode only; NotSignedIn otherwise, before any query runs)."""
    owner = current_owner_id()
    if owner is None and get_settings().auth != NONE:
        raise NotSignedIn()
    return owner


def my_chats() -> ColumnElement[bool]:
    return Chat.owner_id == owner_value()


def my_chat(chat_id: int) -> ColumnElement[bool]:
    return and_(Chat.id == chat_id, my_chats())


def my_chat_id(chat_id: int) -> ScalarSelect[int]:
    """``chat_id`` if it is the current owner's chat, else NULL: compare ``messages.chat_id`` with
    it and someone else's chat has no messages."""
    return select(Chat.id).where(my_chat(chat_id)).scalar_subquery()


def my_messages() -> ColumnElement[bool]:
    # Correlated on the chat's primary key: one index probe per message row, whereas an
    # ``IN (the owner's chats)`` would list all of a person's chats for a single message.
    return exists().where(Chat.id == Message.chat_id, my_chats())


# The chat a message belongs to, under a name of its own (see my_messages_apart).
_OWNED = aliased(Chat, name="owned_chat")


def my_messages_apart() -> ColumnElement[bool]:
    """:func:`my_messages` probing an alias of ``chats``: usable in a query that joins ``chats``
    itself (the plain one would be correlated with that join and select nothing of its own)."""
    return exists().where(_OWNED.id == Message.chat_id, _OWNED.owner_id == owner_value())
