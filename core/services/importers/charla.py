"""Charla's own JSON (:mod:`core.services.export.json_export`): one chat → a
:class:`~.model.Conversation`, field for field.

Nothing is interpreted: the tree is taken as it is written (``parent`` ids, messages in id order,
so parents first), with the ``selected`` flags, statuses, error codes and parameters, statistics,
settings, pin, archive flag, tags, times and the chat's origin (``source``/``source_id``), so that
exporting, importing into an empty database and exporting again gives the same document. Two
things are checked rather than trusted, as the file may have been edited by hand:

- every ``parent`` must be a message earlier in the chat (else the chat is skipped with the
  reason); ``sender`` and ``status`` must be Charla's (``user``/``llm``; ``complete``, ``stopped``,
  ``error``); settings must be in range (checked when stored);
- the ``selected`` flags must form one branch from a first message down; if they do not, the last
  message marked selected (else the newest) and the path to it are selected instead.

An answer exported while it was being written (``streaming``) comes in as interrupted
(``stopped``, ``error.interrupted``): nothing will finish it here.

A message's ``attachments`` (base64 in the document) are made storable again by
:func:`core.services.attachments.from_json`, which checks each as an upload is checked (a
document's text is read again from its bytes); one that cannot be used skips its conversation with
the reason. They are stored with the conversation, in its transaction (:mod:`.load`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.schemas import ChatSettings
from core.services.attachments import from_json
from core.services.export.json_export import NATIVE, native_key
from core.services.importers.fields import (
    broken,
    integer,
    items,
    mapping,
    moment,
    number,
    source_key,
    text,
)
from core.services.importers.model import Conversation, Turn
from core.services.importers.tree import select_branch
from core.vocab import INTERRUPTED, Sender, Status

_SENDERS = frozenset(Sender)
_STATUSES = frozenset(Status)


def _turn(message: dict[str, Any], parent: int | None) -> Turn:
    sender = message.get("sender")
    status = message.get("status", Status.COMPLETE)
    if sender not in _SENDERS:
        raise broken(f"unknown sender {sender!r}")
    if status not in _STATUSES:
        raise broken(f"unknown status {status!r}")
    error_code = text(message.get("error_code")) or None
    if status == Status.STREAMING:
        status, error_code = Status.STOPPED, INTERRUPTED
    error_params = message.get("error_params")
    params = message.get("params")
    return Turn(
        sender=sender,
        content=text(message.get("content")),
        reasoning=text(message.get("reasoning")),
        created_at=moment(message.get("created_at")),
        shown_at=moment(message.get("shown_at")),
        status=status,
        model=text(message.get("model")) or None,
        error_code=error_code,
        error_params=error_params if isinstance(error_params, dict) else None,
        error=text(message.get("error")) or None,
        params=params if isinstance(params, dict) else None,
        prompt_tokens=integer(message.get("prompt_tokens")),
        completion_tokens=integer(message.get("completion_tokens")),
        time_to_first_token=number(message.get("time_to_first_token")),
        tokens_per_second=number(message.get("tokens_per_second")),
        load_time=number(message.get("load_time")),
        finish_reason=text(message.get("finish_reason")) or None,
        parent=parent,
        selected=message.get("selected") is True,
        # Each file checked as an upload is; one Charla cannot use skips the conversation.
        attachments=[from_json(mapping(item)) for item in items(message.get("attachments"))],
    )


def is_branch(turns: Sequence[Turn]) -> bool:
    """Whether the selected turns are one path from a first message down (every selected turn's
    parent selected, one selected child at most at each turn)."""
    if not turns:
        return True
    chosen = [i for i, turn in enumerate(turns) if turn.selected]
    parents = [turns[i].parent for i in chosen]
    return (
        bool(chosen)
        and len(set(parents)) == len(parents)  # never two selected versions of one place
        and all(p is None or turns[p].selected for p in parents)
    )


def convert(raw: Any, name: str) -> Conversation:
    """One chat of a Charla document."""
    chat = mapping(raw)
    if not isinstance(chat.get("messages"), list):
        raise broken("no 'messages'")
    turns: list[Turn] = []
    position: dict[Any, int] = {}
    for message in map(mapping, items(chat.get("messages"))):
        parent_id = message.get("parent")
        if parent_id is not None and parent_id not in position:
            raise broken(
                f"message {message.get('id')!r} follows {parent_id!r}, not found before it"
            )
        turns.append(_turn(message, None if parent_id is None else position[parent_id]))
        position[message.get("id")] = len(turns) - 1
    if not is_branch(turns):
        chosen = [i for i, turn in enumerate(turns) if turn.selected]
        for turn in turns:
            turn.selected = False
        select_branch(turns, chosen[-1] if chosen else None)
    created = text(chat.get("created_at"))
    source = text(chat.get("source")) or NATIVE
    fallback = native_key(integer(chat.get("id")) or 0, created) if created else None
    settings = chat.get("settings")
    tags = [tag for tag in items(chat.get("tags")) if isinstance(tag, str)]
    return Conversation(
        source=source,
        source_id=source_key(chat.get("source_id") or fallback, chat),
        title=text(chat.get("title")),
        turns=turns,
        created_at=moment(created),
        last_activity=moment(chat.get("last_activity")),
        settings=ChatSettings.from_json(settings) if isinstance(settings, dict) else None,
        title_by_user=chat.get("title_by_user") is True,
        pinned=chat.get("pinned") is True,
        archived=chat.get("archived") is True,
        tags=tuple(tags),
    )
