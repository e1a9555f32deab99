"""The History page's questions: which chats match a filter, how many, and which models were used.

A :class:`HistoryFilter` combines up to four conditions (all optional, all must hold):

- ``text`` — in the chat's title **or** in the content of any of its messages, ignoring case.
  ``%`` and ``_`` (and the escape character) in what the user typed are escaped, so they match
  themselves, never "anything".
- ``date_from`` / ``date_to`` — on the chat's last activity, inclusive, by UTC day: ``date_to``
  means "before the next day's 00:00 UTC".
- ``model`` — the chat's own model setting, or the model that wrote any of its answers (exact).

How the query is shaped, because the history must stay fast with 10,000 chats and a million
messages:

- Conditions on messages are ``EXISTS`` subqueries correlated on ``chats.id`` (they use the
  ``(chat_id, id)`` index), never a join: a join would repeat each chat once per matching message
  and need a ``DISTINCT`` over the whole result. With ``EXISTS`` the database walks the chats in
  ``last_activity`` order (its index) and stops at the page's ``LIMIT``.
- Case: PostgreSQL compares with ``ILIKE``. SQLite's ``LIKE`` already ignores case, and its
  ``lower()`` folds the same characters (ASCII only, without the ICU extension), so plain ``LIKE``
  means the same there and spares copying every message through ``lower()``. Where the database
  cannot fold a letter such as "Á" (SQLite, or PostgreSQL with the C locale), the search also tries
  the all-lower and all-upper forms of the text (:func:`case_variants`): "ángel" finds "Ángel" and
  "ÁNGEL"; only a span mixing cases of non-ASCII letters ("ÁngEL é") can still be missed.
- Every condition list starts with the current owner's (:mod:`core.repositories.scope`): a
  person's history, search and export hold their own chats only.
- :func:`filter_conditions` is public: :mod:`core.services.export` applies the very same conditions when it
  exports "the filtered chats", so the CSV always holds what the table shows.

:func:`latest_models` gives the "Model" column of one page of the table: the model of each chat's
latest answer (``chats.model`` only holds a chat's own override).

Every function takes an optional ``db`` session; without one it opens a short read-only session.
Results are plain :class:`~core.schemas.ChatSummary` records, newest activity first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, exists, func, or_, select, union
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from core.conf.db import session_scope
from core.models import Chat, Message
from core.repositories.chats import ChatRepository
from core.repositories.scope import my_chats, my_messages
from core.schemas import ChatSummary

PAGE_SIZE = 100  # chats per page of the History table


@dataclass(frozen=True)
class HistoryFilter:
    """What the History page filters on; ``None`` (or blank text) means "any"."""

    text: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    model: str | None = None

    @property
    def needle(self) -> str | None:
        """The text to look for, stripped; ``None`` when blank."""
        stripped = (self.text or "").strip()
        return stripped or None

    @property
    def is_empty(self) -> bool:
        return (
            self.needle is None
            and self.date_from is None
            and self.date_to is None
            and not self.model
        )


def day_start(day: date) -> datetime:
    """00:00 UTC of ``day``."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def case_variants(needle: str) -> list[str]:
    """``needle``, and its lower- and upper-case forms when it has non-ASCII letters.

    The databases fold ASCII case themselves; the extra forms make "ángel" also find "Ángel" and
    "ÁNGEL" where the database cannot fold "Á" (SQLite; PostgreSQL with the C locale).
    """
    if needle.isascii():
        return [needle]
    return list(dict.fromkeys((needle, needle.lower(), needle.upper())))


def _contains(column: QueryableAttribute[str], needle: str, dialect: str) -> ColumnElement[bool]:
    # autoescape: %, _ and the escape character "/" in the needle match themselves.
    if dialect == "sqlite":
        matches = [column.contains(form, autoescape=True) for form in case_variants(needle)]
    else:
        matches = [column.icontains(form, autoescape=True) for form in case_variants(needle)]
    return matches[0] if len(matches) == 1 else or_(*matches)


def filter_conditions(flt: HistoryFilter, dialect: str) -> list[ColumnElement[bool]]:
    """The WHERE conditions on ``chats`` for ``flt`` (``dialect``: the engine's dialect name).

    Message conditions use their own alias of ``messages``, so they can be added to a query that
    itself reads ``messages`` (the export) without being correlated to it by mistake.
    """
    conditions: list[ColumnElement[bool]] = [my_chats()]  # only the current owner's chats
    needle = flt.needle
    if needle is not None:
        found = aliased(Message, name="found")
        in_messages = exists().where(
            found.chat_id == Chat.id, _contains(found.content, needle, dialect)
        )
        conditions.append(or_(_contains(Chat.title, needle, dialect), in_messages))
    if flt.date_from is not None:
        conditions.append(Chat.last_activity >= day_start(flt.date_from))
    if flt.date_to is not None:
        conditions.append(Chat.last_activity < day_start(flt.date_to + timedelta(days=1)))
    if flt.model:
        answered = aliased(Message, name="answered")
        by_model = exists().where(answered.chat_id == Chat.id, answered.model == flt.model)
        conditions.append(or_(Chat.model == flt.model, by_model))
    return conditions


@contextmanager
def _reading(db: Session | None) -> Iterator[Session]:
    if db is not None:
        yield db
        return
    with session_scope() as own:
        yield own


def _dialect(db: Session) -> str:
    return db.get_bind().dialect.name


def search_chats(
    db: Session | None,
    filter: HistoryFilter | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> list[ChatSummary]:
    """One page of the chats matching ``filter``, most recent activity first."""
    flt = filter or HistoryFilter()
    with _reading(db) as session:
        query = (
            select(Chat)
            .where(*filter_conditions(flt, _dialect(session)))
            .order_by(Chat.last_activity.desc(), Chat.id.desc())
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
