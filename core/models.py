"""The database tables, in SQLAlchemy 2.0 declarative style.

``chats`` keeps, besides its title (and ``title_by_user``: whether a person chose it, so that an
automatic title never replaces theirs), the chat's own generation settings when it has them
(``own_settings``; otherwise it follows the app defaults), and two denormalised columns,
``message_count`` and ``last_activity``, that the repositories keep up to date so the chat list
never has to count or scan messages.

``messages`` keeps the seed's ``sender`` (``"user"``/``"llm"``) and ``content``, the model's
reasoning apart from its answer, the status of an answer (``complete``, ``streaming`` while it is
being written, ``stopped``, ``error``), why it failed (``error_code`` and ``error_params``, translated
when shown; ``error`` holds the English text of rows written before codes were stored) and what was
measured while it streamed.

Versions: a chat's messages form a **tree**. Each message has a ``parent_id`` (``NULL`` for the first
message of a conversation) and a ``depth`` (the parent's plus one). Regenerating an answer adds a
sibling answer; editing a user message adds a sibling user message; nothing is ever replaced. The
chat's *selected branch* — the version chosen at every fork, from the first message down to the
selected leaf — is marked on the rows themselves with ``selected = true``: every read of a chat
(the LLM context, the chat page, the export) then stays one index range
(``ix_messages_branch``), exactly as fast as the linear chats of the first schema, and only the
writes that change the branch (regenerate, edit, switching a version, deleting one) touch the
flags. The selected leaf is the selected row with the highest id (ids grow along every path,
because a message is always written after its parent).

A chat's ``kind`` is ``chat``, or ``comparison`` for one prompt answered by several models (each
answer a version of the reply, :mod:`core.services.compare`). Four partial indexes over the answers
(:data:`INSIGHTS_INDEXES`) serve the Insights page's aggregations (:mod:`core.repositories.insights`).

Times are stored as UTC. SQLite has no time zones, so :class:`UTCDateTime` stores naive UTC and hands
back aware datetimes on every backend.

Schema changes are made with Alembic (``migrations/``); this module is the target they describe,
except for the full-text index, which migration 0008 builds in each database's own terms
(:data:`SEARCH_OBJECTS`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from core.vocab import Sender, Status

SENDERS = tuple(Sender)
STATUSES = tuple(Status)
CHAT, COMPARISON = "chat", "comparison"  # chats.kind
KINDS = (CHAT, COMPARISON)

# The answers' partial indexes that Insights reads (migration 0009). A partial index serves a
# query only when the query says its condition literally: use ANSWERS, never a bound parameter.
ANSWERS = text("messages.sender = 'llm'")
INSIGHTS_INDEXES: dict[str, tuple[str, ...]] = {
    "ix_answers_time": (
        "created_at", "model", "status", "finish_reason", "prompt_tokens", "completion_tokens",
        "time_to_first_token", "tokens_per_second", "chat_id", "parent_id", "sender",
    ),
    "ix_answers_speed": ("model", "tokens_per_second", "created_at", "chat_id", "sender"),
    "ix_answers_ttft": ("model", "time_to_first_token", "created_at", "chat_id", "sender"),
    "ix_answers_length": ("model", "completion_tokens", "created_at", "chat_id", "sender"),
}  # fmt: skip


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always UTC and always timezone-aware in Python."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


# The full-text index (migrations 0008, 0013, 0014: SQLite FTS5 tables, their shadow tables and triggers;
# PostgreSQL ``search_vector`` columns with GIN indexes) is beyond these declarations.
SEARCH_OBJECTS: tuple[str, ...] = (
    "messages_fts",
    "chats_fts",
    "search_vector",
    "ix_messages_search",
)
SEARCH_OBJECTS += ("ix_chats_search", "message_files_fts", "ix_message_files_search")  # 0013: files
SEARCH_OBJECTS += ("search_terms",)  # 0014: the index's words (SQLite)


def exists_on(schema_object: Any, dialect: str) -> bool:
    """Whether ``schema_object`` is created on ``dialect`` from these declarations (some indexes
    are PostgreSQL-only, declared with ``ddl_if``; the search index is the migrations' own, see
    :data:`SEARCH_OBJECTS`). Alembic's autogenerate does not know ``ddl_if``: migrations/env.py
    passes this as its ``include_object`` filter."""
    name = str(getattr(schema_object, "name", "") or "")
    if name.startswith(SEARCH_OBJECTS):
        return False
    condition = getattr(schema_object, "_ddl_if", None)
    return condition is None or condition.dialect in (None, dialect)


class User(Base):
    """A person: the pair (issuer, subject) of their identity (an OpenID Connect ID token's
    ``iss``/``sub``; ``proxy`` and the email for a trusted proxy header; ``local``/``local`` for the
    one person of a single-user install). The email and name are for display only: an email can
    change, and two issuers may vouch for the same one, so neither is a key."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_users_identity"),)


class Chat(Base):
    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Whose chat this is: every read and write is scoped by it (core.repositories.scope).
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE", name="fk_chats_owner_id_users")
    )
    title: Mapped[str] = mapped_column(String(200), default="")
    # A person chose the title (renamed the chat): nothing automatic ever replaces it. False for
    # a title made from the first message or written by the model (core.services.titles).
    title_by_user: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    # Organising: pinned chats come first; archived ones leave the sidebar (History and search
    # still show them); tags through chat_tags.
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # Where an imported chat came from ("chatgpt", "lmstudio", "openwebui", "charla") and its id
    # there: importing the same conversation twice adds nothing the second time.
    # "chat", or "comparison": one prompt answered by several models side by side (each answer a
    # version of the reply, see core.services.compare) until one of them is kept.
    kind: Mapped[str] = mapped_column(String(16), default=CHAT, server_default=text("'chat'"))
    source: Mapped[str | None] = mapped_column(String(32))
    source_id: Mapped[str | None] = mapped_column(String(200))
    # A chat either follows the app defaults or has settings of its own (own_settings), complete:
    # then NULL means "left to the server" (or, for the model, "automatic").
    own_settings: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    model: Mapped[str | None] = mapped_column(String(300))
    system_prompt: Mapped[str | None] = mapped_column(Text)
    temperature: Mapped[float | None] = mapped_column(Float)
    max_tokens: Mapped[int | None] = mapped_column(Integer)
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # top_p, top_k, seed, stop, …

    messages: Mapped[list[Message]] = relationship(
        back_populates="chat", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        Index("ix_chats_last_activity", "last_activity", "id"),
        # The sidebar: chats not archived, pinned first, then by activity.
        Index("ix_chats_sidebar", "archived", "pinned", "last_activity", "id"),
        # An origin is unique per person: two people importing one file get a copy each.
        Index("ix_chats_owner_source", "owner_id", "source", "source_id", unique=True),
        # One person's sidebar and history: their chats in activity order.
        Index("ix_chats_owner_sidebar", "owner_id", "archived", "pinned", "last_activity", "id"),
        Index("ix_chats_owner_activity", "owner_id", "last_activity", "id"),
    )


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    # The message this one follows (NULL: the first of its conversation); deleting a version
    # deletes what follows it.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE", name="fk_messages_parent_id_messages")
    )
    depth: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # On the chat's selected branch (see the module docstring), and when it last was: going back
    # to a version shows the conversation below it as it was last shown.
    selected: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sender: Mapped[str] = mapped_column(String(8))
    content: Mapped[str] = mapped_column(Text, default="")
    reasoning: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="complete")
    error_code: Mapped[str | None] = mapped_column(String(64))  # a text key of core.locales
    error_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)  # English text of rows from before codes
    model: Mapped[str | None] = mapped_column(String(300))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    time_to_first_token: Mapped[float | None] = mapped_column(Float)  # seconds
    # Seconds the server spent loading the model before this answer, when it said so (an
    # explicit load through LM Studio's /api/v1/models/load): kept apart from the time to first
    # token, which then measures the answer alone.
    load_time: Mapped[float | None] = mapped_column(Float)
    tokens_per_second: Mapped[float | None] = mapped_column(Float)
    finish_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # While status is "streaming": the writing process (core.services.liveness), so a crash is
    # recognised at the next start; and whether someone pressed Stop (any tab, any process).
    writer: Mapped[str | None] = mapped_column(String(120))
    stop_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    chat: Mapped[Chat] = relationship(back_populates="messages")

    __table_args__ = (
        # A chat's messages in order, every version (export of all versions, counts, deletes).
        Index("ix_messages_chat_id_id", "chat_id", "id"),
        # The selected branch in order: the LLM context, the chat page and the default export.
        Index("ix_messages_branch", "chat_id", "selected", "id"),
        # A message's versions (its siblings) and the path down from a version.
        Index("ix_messages_parent", "chat_id", "parent_id", "id"),
        # The few answers being written: "is this chat answering?", and the start-up check.
        Index(
            "ix_messages_streaming",
            "chat_id",
            sqlite_where=text("status = 'streaming'"),
            postgresql_where=text("status = 'streaming'"),
        ),
        # Insights (migration 0009): answers only; see core.repositories.insights.
        *[
            Index(name, *columns, sqlite_where=ANSWERS, postgresql_where=ANSWERS)
            for name, columns in INSIGHTS_INDEXES.items()
        ],
    )


class AppSetting(Base):
    """A person's defaults chosen on the settings page, one JSON value per (owner, key)."""

    __tablename__ = "app_settings"

    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE", name="fk_app_settings_owner_id_users"),
        primary_key=True,
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ModelFact(Base):
    """What was learnt about a model: its context length, and where that came from (the server's
    model list, llama.cpp's ``/props``, or an overflow error). Kept across restarts."""

    __tablename__ = "model_facts"

    model: Mapped[str] = mapped_column(String(300), primary_key=True)
    context_length: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Tag(Base):
    """A label a person gives chats ("work", "recipes"); names are unique per person."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE", name="fk_tags_owner_id_users")
    )
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_tags_owner_name"),)


class ChatTag(Base):
    """Which chats carry which tags."""

    __tablename__ = "chat_tags"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index("ix_chat_tags_tag", "tag_id", "chat_id"),)


class Attachment(Base):
    """A file or image sent with a message, stored once however many messages carry it.

    Content-addressed: ``sha256`` is the hash of ``data``, unique, so the same file attached
    twice (or kept by an edited version of its message) is one row. ``data`` is what was kept:
    the uploaded bytes of a document (text, code, CSV, JSON, PDF), or the image as re-encoded
    for the model (PNG or JPEG, scaled). ``text`` is what the model reads of a document (the
    file decoded, or the PDF's extracted text); NULL for images. ``context_bytes`` is the size
    the context arithmetic counts for it (:mod:`core.services.context`), so the context meter
    never has to read the text.
    """

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # "document" or "image"
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)  # bytes of data
    data: Mapped[bytes] = mapped_column(LargeBinary)
    text: Mapped[str | None] = mapped_column(Text)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    context_bytes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessageAttachment(Base):
    """Which attachments a message carries, in order, under the name the person gave the file.
    Deleting a message deletes its links; an attachment no message links any more is deleted
    by :meth:`core.repositories.attachments.AttachmentRepository.prune`."""

    __tablename__ = "message_attachments"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))

    __table_args__ = (Index("ix_message_attachments_attachment", "attachment_id"),)


class Preset(Base):
    """A named system prompt with generation parameters, applied to a chat in one click.

    ``settings`` holds the generation parameters it sets (``ChatSettings.to_json`` without model
    and system prompt); a parameter it does not hold is left as the chat has it. At most one
    preset per person is the default (``is_default``, a partial unique index on the owner): new
    chats start from it. ``source`` says where an imported preset came from ("lmstudio",
    "charla"). Presets are personal (``owner_id``); names are unique per person."""

    __tablename__ = "presets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE", name="fk_presets_owner_id_users")
    )
    name: Mapped[str] = mapped_column(String(100))
    system_prompt: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    source: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("owner_id", "name", name="uq_presets_owner_name"),
        Index(
            "ix_presets_owner_default",
            "owner_id",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )
