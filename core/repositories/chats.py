"""``ChatRepository``: create, read, rename, delete chats and keep their settings.

Titles are automatic until a person renames the chat (``title_by_user``): the first words of the
first message (the turn that sends it gives them: :meth:`.turns.TurnRepository.claim`), later
perhaps a title the model wrote (:meth:`ChatRepository.replace_automatic_title`, see
:mod:`core.services.titles`). Neither ever replaces a title a person chose.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, delete, false, func, select, true, update
from sqlalchemy.orm import Session

from core.errors import ChatNotFound, InputError
from core.models import CHAT, Chat, Message, utcnow
from core.repositories import NO_SYNC
from core.repositories.scope import BOUND_OWNER, my_chat, my_chats, owner_id, owner_param
from core.repositories.statements import STREAMING
from core.repositories.tags import TagRepository
from core.repositories.validation import check_setting
from core.schemas import ChatSettings, ChatSummary
from core.text import MAX_TITLE_CHARS, check_text, storable
from core.vocab import OPTION_KEYS

DEFAULT_TITLE_CHARS = 60


def title_from_message(text: str, limit: int = DEFAULT_TITLE_CHARS) -> str:
    """A chat title from the start of its first message: one line, cut at a word boundary."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0] if " " in line[:limit] else line[:limit]
    return cut.rstrip(" ,.;:") + "…"


def _settings_of(chat: Chat | Row[Any]) -> ChatSettings:
    return ChatSettings.from_json(
        {
            **(chat.options or {}),
            "model": chat.model,
            "system_prompt": chat.system_prompt,
            "temperature": chat.temperature,
            "max_tokens": chat.max_tokens,
        }
    )


# A turn reads a chat's settings first, on the way to the answer's first token: built once
# (core.repositories.statements says why).
# A chat's own settings, as stored (the export writes the same columns).
SETTINGS_COLUMNS = (
    Chat.own_settings,
    Chat.model,
    Chat.system_prompt,
    Chat.temperature,
    Chat.max_tokens,
    Chat.options,
)
_OWN_SETTINGS = select(*SETTINGS_COLUMNS).where(
    Chat.id == bindparam("chat_id"), Chat.owner_id == BOUND_OWNER
)


def to_summary(chat: Chat, tags: tuple[str, ...] = ()) -> ChatSummary:
    return ChatSummary(
        id=chat.id,
        title=chat.title,
        created_at=chat.created_at,
        last_activity=chat.last_activity,
        message_count=chat.message_count,
        model=chat.model,
        settings=_settings_of(chat),
        own_settings=chat.own_settings,
        title_by_user=chat.title_by_user,
        pinned=chat.pinned,
        archived=chat.archived,
        tags=tags,
        source=chat.source,
        source_id=chat.source_id,
        kind=chat.kind,
    )


def settings_columns(settings: ChatSettings | None) -> dict[str, Any]:
    """The ``chats`` columns that hold ``settings`` (checked: InputError for a value out of
    range); ``None`` makes the chat follow the app defaults."""
    checked = settings or ChatSettings()
    options = ChatSettings(**{k: check_setting(k, getattr(checked, k)) for k in OPTION_KEYS})
    return {
        "own_settings": settings is not None,
        "model": check_setting("model", checked.model) or None,
        "system_prompt": check_setting("system_prompt", checked.system_prompt),
        "temperature": check_setting("temperature", checked.temperature),
        "max_tokens": check_setting("max_tokens", checked.max_tokens),
        "options": options.options() or None,
    }


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise InputError("input.empty_title")
    return check_text(title, limit=MAX_TITLE_CHARS)


class ChatRepository:
    """One person's chats: every statement carries the current owner's condition
    (:mod:`core.repositories.scope`), so another person's chat id is "not found"."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def _get(self, chat_id: int) -> Chat:
        chat = self.db.scalar(select(Chat).where(my_chat(chat_id)))
        if chat is None:
            raise ChatNotFound(chat_id)
        return chat

    def create(self, title: str = "", settings: ChatSettings | None = None) -> ChatSummary:
        now = utcnow()
        chat = Chat(
            owner_id=owner_id(self.db),
            title=" ".join(title.split())[:MAX_TITLE_CHARS],
            created_at=now,
            last_activity=now,
        )
        self.db.add(chat)
        self.db.flush()
        if settings is not None:
            self._apply_settings(chat, settings)
            self.db.flush()
        return to_summary(chat)

    def get(self, chat_id: int) -> ChatSummary:
        chat = self._get(chat_id)
        return to_summary(chat, TagRepository(self.db).tags_of([chat_id]).get(chat_id, ()))

    def own_settings(self, chat_id: int) -> ChatSettings | None:
        """The chat's own settings; None when it follows the app defaults."""
        params = {"chat_id": chat_id, "owner": owner_param()}
        row = self.db.connection().execute(_OWN_SETTINGS, params).first()
        if row is None:
            raise ChatNotFound(chat_id)
        return _settings_of(row) if row.own_settings else None

    def summaries(self, chats: list[Chat]) -> list[ChatSummary]:
        """Records of ``chats`` with their tags (one query for all of them)."""
        tags = TagRepository(self.db).tags_of([chat.id for chat in chats])
        return [to_summary(chat, tags.get(chat.id, ())) for chat in chats]

    def set_pinned(self, chat_id: int, pinned: bool) -> None:
        self._get(chat_id).pinned = pinned
        self.db.flush()

    def set_archived(self, chat_id: int, archived: bool) -> None:
        self._get(chat_id).archived = archived
        self.db.flush()

    def lock(self, chat_id: int) -> None:
        """Lock the chat's row until the transaction ends (PostgreSQL; SQLite write transactions
        already run one at a time), so two turns of one chat never start at once."""
        if self.db.scalar(select(Chat.id).where(my_chat(chat_id)).with_for_update()) is None:
            raise ChatNotFound(chat_id)

    def signature(self, chat_id: int) -> tuple[object, ...] | None:
        """(title, last activity, message count, selected leaf, answers being written, pinned,
        archived): one read that changes whenever the chat does, for pages that watch it."""
        leaf = (
            select(func.max(Message.id))
            .where(Message.chat_id == Chat.id, Message.selected == true())
            .scalar_subquery()
        )
        streaming = (
            select(func.count())
            .select_from(Message)
            .where(Message.chat_id == Chat.id, STREAMING)
            .scalar_subquery()
        )
        row = self.db.execute(
            select(
                Chat.title, Chat.last_activity, Chat.message_count, leaf, streaming,
                Chat.pinned, Chat.archived,
            ).where(my_chat(chat_id))
        ).first()  # fmt: skip
        return None if row is None else tuple(row)

    def exists(self, chat_id: int) -> bool:
        return self.db.scalar(select(Chat.id).where(my_chat(chat_id))) is not None

    def rename(self, chat_id: int, title: str) -> ChatSummary:
        """A person's title: from now on nothing automatic replaces it."""
        chat = self._get(chat_id)
        chat.title = _clean_title(title)
        chat.title_by_user = True
        self.db.flush()
        return to_summary(chat)

    def replace_automatic_title(self, chat_id: int, title: str, *, expected: str) -> bool:
        """Set an automatic ``title`` (a model's text, made storable) if the chat's title is still
        the automatic ``expected``: one conditional statement, so a rename that lands between the
        caller's read and this write wins. True if the title was replaced; the title stays
        automatic. Does not touch ``last_activity`` (a new title is no activity)."""
        title = storable(" ".join(title.split()))[:MAX_TITLE_CHARS]
        if not title:
            return False
        result = self.db.execute(
            update(Chat)
            .where(my_chat(chat_id), Chat.title_by_user == false(), Chat.title == expected)
            .values(title=title),
            execution_options=NO_SYNC,
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def delete(self, chat_id: int) -> None:
        """Delete a chat and all its messages."""
        # Delete messages explicitly too: a database without ON DELETE CASCADE support (or with
        # foreign keys off) must not keep orphans.
        self._get(chat_id)
        self.db.execute(delete(Message).where(Message.chat_id == chat_id))
        self.db.execute(delete(Chat).where(Chat.id == chat_id))
        self.db.expire_all()

    def _apply_settings(self, chat: Chat, settings: ChatSettings | None) -> None:
        for column, value in settings_columns(settings).items():
            setattr(chat, column, value)

    def update_settings(self, chat_id: int, settings: ChatSettings | None) -> ChatSummary:
        """Give the chat complete settings of its own (a ``None`` field is left to the server;
        the model, to the automatic choice), or, with ``None``, make it follow the defaults."""
        chat = self._get(chat_id)
        self._apply_settings(chat, settings)
        self.db.flush()
        return to_summary(chat)

    def touch(self, chat_id: int) -> None:
        self.db.execute(
            update(Chat).where(my_chat(chat_id)).values(last_activity=utcnow()),
            execution_options=NO_SYNC,
        )

    def list_chats(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        search: str | None = None,
        include_archived: bool = True,
        include_comparisons: bool = True,
    ) -> list[ChatSummary]:
        """Chats, pinned first, then most recent activity first (paged), with their tags.

        ``search`` matches the title only: the history page's content search lives in
        :mod:`core.services.history`. The sidebar leaves archived chats and comparisons out (a
        comparison lives in the Compare page until one of its answers is kept).
        """
        query = (
            select(Chat)
            .where(my_chats())
            .order_by(Chat.pinned.desc(), Chat.last_activity.desc(), Chat.id.desc())
        )
        if not include_archived:
            query = query.where(Chat.archived == false())
        if not include_comparisons:
            query = query.where(Chat.kind == CHAT)
        if search:
            query = query.where(Chat.title.icontains(search, autoescape=True))
        return self.summaries(list(self.db.scalars(query.limit(limit).offset(offset))))

    def count(self) -> int:
        return self.db.scalar(select(func.count()).select_from(Chat).where(my_chats())) or 0
