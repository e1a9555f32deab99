"""An imported conversation as the rows :class:`~core.repositories.imports.ImportRepository`
writes: a chat row, and a row of :data:`~core.repositories.imports.MESSAGE_COLUMNS` per turn.

Everything here runs before the database is touched, so a conversation that cannot be stored
(a person's message no database can hold, a tree whose parents come after their children) is
refused without writing anything. **Text as the chat page treats it**: a person's message that no
database can store (a NUL, an unpaired surrogate: see :mod:`.detect`) is refused with the chat
page's sentence; a model's text, a title, a model name are made storable (U+FFFD); values longer
than their column are cut.

It runs for every message of an export, so rows are plain lists filled by position.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from core.errors import InputError
from core.models import utcnow
from core.repositories.chats import settings_columns
from core.repositories.imports import MESSAGE_COLUMNS
from core.services.importers.detect import UNPAIRED
from core.services.importers.fields import broken
from core.services.importers.model import Conversation, Turn
from core.text import MAX_TITLE_CHARS, check_text, storable
from core.vocab import Sender

_ID, _CHAT, _PARENT, _DEPTH, _CREATED = (
    MESSAGE_COLUMNS.index(name) for name in ("id", "chat_id", "parent_id", "depth", "created_at")
)
_ERROR_CHARS: Final = 1_000_000


def theirs(text: str) -> str:
    """Text from a model, a server or an app, made storable as the chat page does: NUL and
    unpaired surrogates (read as :data:`~.detect.UNPAIRED`) become U+FFFD."""
    text = storable(text)
    return text.replace(UNPAIRED, "\ufffd") if UNPAIRED in text else text


def typed(text: str) -> str:
    """A person's message, checked as the chat page checks what is typed: InputError (the chat
    page's sentence) for a NUL or an unpaired surrogate."""
    if UNPAIRED in text:
        raise InputError("input.invalid_characters")
    return check_text(text)


def _cut(value: str | None, limit: int) -> str | None:
    return None if value is None else theirs(value)[:limit]


def message_row(turn: Turn, when: datetime) -> list[Any]:
    """A turn as a row of :data:`MESSAGE_COLUMNS` (id, chat, parent and depth still to fill in),
    its text made storable (a person's checked)."""
    user = turn.sender == Sender.USER
    return [
        None,
        None,
        None,
        0,
        turn.selected,
        turn.sender,
        typed(turn.content) if user else theirs(turn.content),
        theirs(turn.reasoning),
        turn.status,
        _cut(turn.error_code, 64),
        turn.error_params,
        _cut(turn.error, _ERROR_CHARS),
        _cut(turn.model, 300),
        turn.params,
        turn.prompt_tokens,
        turn.completion_tokens,
        turn.time_to_first_token,
        turn.tokens_per_second,
        turn.load_time,
        _cut(turn.finish_reason, 32),
        turn.created_at or when,
        turn.shown_at,
    ]


def chat_row(conversation: Conversation, rows: Sequence[list[Any]], owner: int) -> dict[str, Any]:
    times = [row[_CREATED] for row in rows]
    created = conversation.created_at or min(times, default=None) or utcnow()
    return {
        "owner_id": owner,
        "title": " ".join(theirs(conversation.title).split())[:MAX_TITLE_CHARS],
        "title_by_user": conversation.title_by_user,
        "created_at": created,
        "last_activity": conversation.last_activity or max(times, default=created),
        "message_count": len(rows),
        "pinned": conversation.pinned,
        "archived": conversation.archived,
        "source": conversation.source,
        "source_id": conversation.source_id,
        **settings_columns(conversation.settings),
    }


def link(rows: list[list[Any]], turns: Sequence[Turn], chat_id: int, ids: list[int]) -> None:
    """Fill in each row's id, chat, parent id and depth."""
    for index, (row, turn) in enumerate(zip(rows, turns, strict=True)):
        parent = turn.parent
        if parent is not None and not 0 <= parent < index:
            raise broken("a message follows one that does not come before it")
        row[_ID], row[_CHAT] = ids[index], chat_id
        if parent is not None:
            row[_PARENT], row[_DEPTH] = ids[parent], rows[parent][_DEPTH] + 1
