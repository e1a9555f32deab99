"""The History page's questions: which chats match a filter, how many, and which models were used.

A :class:`HistoryFilter` combines these conditions (all optional, all must hold):

- ``text`` — a search in the query language of :mod:`core.search.query` (words, ``"phrases"``,
  ``prefix*``, ``-word``, ``tag:name``): a chat matches when its title matches the whole query, or
  one of its messages (any version, content or reasoning) does; case and accents never matter.
  ``tag:name`` in it adds to ``tags``. Text with nothing to search (``%``, an emoji) filters
  nothing.
- ``date_from`` / ``date_to`` — on the chat's last activity, inclusive, by calendar day in
  ``zone`` (the reader's time zone; UTC by default): ``date_to`` means "before the next day's
  00:00 there".
- ``model`` — the chat's own model setting, or the model that wrote any of its answers (exact).
- ``tags`` — the chat carries every one of them; ``pinned`` / ``archived`` — the chat's flags
  (``None``: either).

How the query is shaped, because the history must stay fast with 10,000 chats and a million
messages:

- The text goes through the full-text index (:func:`core.repositories.search.chat_condition`): the
  matching chats are found from the index's matches, never by reading messages. Other conditions
  on messages are ``EXISTS`` subqueries correlated on ``chats.id`` (they use the ``(chat_id, id)``
  index), never a join: a join would repeat each chat once per matching message.
- :func:`filter_conditions` is public: :mod:`core.services.export` applies the very same conditions
  when it exports "the filtered chats", so the CSV always holds what the table shows. Every
  subquery names its own alias of ``messages``, so the conditions can be added to a query that
  itself reads ``messages`` (the export) without being correlated to it by mistake.
- Every condition list starts with the current owner's (:mod:`core.repositories.scope`): a
  person's history, search and export hold their own chats only.

:func:`latest_models` gives the "Model" column of one page of the table: the model of each chat's
latest answer (``chats.model`` only holds a chat's own override).

Every function takes an optional ``db`` session; without one it opens a short read-only session.
Results are plain :class:`~core.schemas.ChatSummary` records, pinned chats first, then newest
activity first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, timedelta, tzinfo

from sqlalchemy import ColumnElement, exists, func, or_, select, union
from sqlalchemy.orm import Session, aliased

from core.conf.db import session_scope
from core.errors import InputError
from core.models import Chat, ChatTag, Message, Tag
from core.repositories.chats import ChatRepository
from core.repositories.scope import my_chats, my_messages
from core.repositories.search import chat_condition, day_start, plan_with_values
from core.repositories.tags import clean_tag
from core.schemas import ChatSummary
from core.search.query import Query, parse

PAGE_SIZE = 100  # chats per page of the History table


@dataclass(frozen=True)
class HistoryFilter:
    """What the History page filters on; ``None`` (or blank text, no tags) means "any"."""

    text: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    model: str | None = None
    tags: tuple[str, ...] = ()
    pinned: bool | None = None
    archived: bool | None = None
    zone: tzinfo = UTC  # the days of date_from / date_to are this zone's

    @property
    def query(self) -> Query:
        """``text`` parsed (:mod:`core.search.query`)."""
        return parse(self.text)

    @property
    def all_tags(self) -> tuple[str, ...]:
        """``tags`` and the ``tag:`` of ``text``, as stored (a name no tag can have is kept
        as typed: it matches no chat)."""
        names = []
        for name in (*self.tags, *self.query.tags):
            try:
                names.append(clean_tag(name))
            except InputError:
                names.append(name)
        return tuple(dict.fromkeys(names))

    @property
    def is_empty(self) -> bool:
        return (
            self.query.is_empty
            and not self.tags
            and self.date_from is None
            and self.date_to is None
            and not self.model
            and self.pinned is None
            and self.archived is None
        )


def filter_conditions(flt: HistoryFilter, dialect: str) -> list[ColumnElement[bool]]:
    """The WHERE conditions on ``chats`` for ``flt`` (``dialect``: the engine's dialect name)."""
    conditions: list[ColumnElement[bool]] = [my_chats()]  # only the current owner's chats
    query = flt.query
    if query.searchable:
        conditions.append(chat_condition(query, dialect))
    for name in flt.all_tags:
        link, tag = aliased(ChatTag, name="tagged"), aliased(Tag, name="tag")
        conditions.append(
            exists().where(link.chat_id == Chat.id, link.tag_id == tag.id, tag.name == name)
        )
    if flt.date_from is not None:
        conditions.append(Chat.last_activity >= day_start(flt.date_from, flt.zone))
    if flt.date_to is not None:
        until = day_start(flt.date_to + timedelta(days=1), flt.zone)
        conditions.append(Chat.last_activity < until)
    if flt.model:
        answered = aliased(Message, name="answered")
        by_model = exists().where(answered.chat_id == Chat.id, answered.model == flt.model)
        conditions.append(or_(Chat.model == flt.model, by_model))
    if flt.pinned is not None:
        conditions.append(Chat.pinned == flt.pinned)
    if flt.archived is not None:
        conditions.append(Chat.archived == flt.archived)
    return conditions


@contextmanager
def _reading(db: Session | None) -> Iterator[Session]:
    if db is not None:
        plan_with_values(db)
        yield db
        return
    with session_scope() as own:
        plan_with_values(own)
        yield own


def _dialect(db: Session) -> str:
    return db.get_bind().dialect.name


def search_chats(
    db: Session | None,
    filter: HistoryFilter | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> list[ChatSummary]:
    """One page of the chats matching ``filter``: pinned first, then most recent activity."""
    flt = filter or HistoryFilter()
    with _reading(db) as session:
        query = (
            select(Chat)
            .where(*filter_conditions(flt, _dialect(session)))
            .order_by(Chat.pinned.desc(), Chat.last_activity.desc(), Chat.id.desc())
        )
        chats = session.scalars(query.limit(limit).offset(offset))
        return ChatRepository(session).summaries(list(chats))


def count_chats(filter: HistoryFilter | None = None, *, db: Session | None = None) -> int:
    """How many chats match ``filter`` (all chats without one)."""
    flt = filter or HistoryFilter()
    with _reading(db) as session:
        query = select(func.count()).select_from(Chat)
        query = query.where(*filter_conditions(flt, _dialect(session)))
        return session.scalar(query) or 0


def list_models_used(*, db: Session | None = None) -> list[str]:
    """Every model named by a chat's settings or by an answer, sorted (for the model filter).

    This reads every message's ``model``; the page caches the list for a short while.
    """
    with _reading(db) as session:
        names = union(
            select(Chat.model).where(Chat.model.is_not(None), my_chats()),
            select(Message.model).where(Message.model.is_not(None), my_messages()),
        )
        return sorted(name for name in session.scalars(select(names.subquery().c[0])) if name)


def latest_models(chat_ids: Sequence[int], *, db: Session | None = None) -> dict[int, str]:
    """For each chat, the model that wrote its latest answer, else its own model setting.

    Meant for one page of the table (a hundred ids): each chat's answers are read newest first
    through the ``(chat_id, id)`` index, and the walk stops at the first one with a model.
    """
    if not chat_ids:
        return {}
    latest = (
        select(Message.model)
        .where(Message.chat_id == Chat.id, Message.model.is_not(None))
        .order_by(Message.id.desc())
        .limit(1)
        .correlate(Chat)
        .scalar_subquery()
    )
    with _reading(db) as session:
        rows = session.execute(
            select(Chat.id, func.coalesce(latest, Chat.model)).where(
                Chat.id.in_(list(chat_ids)), my_chats()
            )
        )
        return {chat_id: model for chat_id, model in rows if model}
