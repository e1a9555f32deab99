"""Charla's own JSON format (``"format": "charla"``, ``"version": 1``): the lossless export.

Everything a chat is goes in: its title (and whether a person chose it), times, pin, archived flag,
tags, its own settings, where it came from, and every message of every version with the tree that
links them (``parent``), which versions are shown (``selected``), reasoning, status, error code and
parameters, model, request parameters and statistics (the model's load time included), and the
files a message carries (``attachments``: base64, with a document's text; see
:mod:`core.services.attachments.portable`). An export of the whole history (:func:`is_everything`)
also carries the presets (``presets``, before the chats: they belong to no chat, so an export of
some chats leaves them out). Importing the file into an empty database and exporting again gives
the same document, ids and ``exported_at`` aside (the importer, :mod:`core.services.importers.charla`,
reads exactly what this writes). The format is documented with an example in
``docs/charla-format.md``.

Layout: one JSON document, written as it is read (:mod:`.records`), never built in memory. A line
per chat header and a line per message keep it readable and greppable::

    {"format": "charla", "version": 1, "exported_at": "…Z", "chats": [
    {"id": 3, "title": "…", …, "messages": [
    {"id": 17, "parent": null, "selected": true, "sender": "user", …},
    {"id": 18, "parent": 17, …}
    ]}
    ]}

A message's files are written one at a time (:class:`.records.Files` reads each file's bytes
when it is written), so memory holds one file however many the history has.

A message's optional fields (``reasoning`` when empty, and every field that is null) are left out:
a missing field means null, or "" for ``reasoning``. ``shown_at`` (when the message was last on
the shown branch: going back to a version shows the conversation below it as it was then) is
written only when it differs from ``created_at``, which it equals for most messages. Non-finite
numbers cannot be written in JSON; none are stored, and one would be written as null.

Where a chat comes from (``source``, ``source_id``) is what makes importing idempotent. An imported
chat keeps its origin ("chatgpt" and the conversation id there, …); a chat made in Charla is written
as ``"source": "charla"`` with :func:`native_key` (its id and creation time in the database that
made it), so importing the file twice, or back into the database it came from, adds nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, BinaryIO, Final

from sqlalchemy import Engine, Row
from sqlalchemy.orm import Session

from core.conf.db import get_engine
from core.repositories.presets import PresetRepository
from core.schemas import AttachmentRecord
from core.services.attachments import to_json
from core.services.export.records import AT, ChatRecord, Files, chats_with_files, with_files
from core.services.export.scope import ExportScope
from core.services.export.writing import Counts, Output
from core.services.preset_files import preset_to_json
from core.vocab import MESSAGE_FIELDS, SETTING_FIELDS

FORMAT: Final = "charla"
VERSION: Final = 1
NATIVE: Final = "charla"  # the source of a chat made in Charla
MIME: Final = "application/json"

# A message's fields written only when set (null left out; reasoning: when empty), in the order
# they are written, after the ones always written (the chat id is the enclosing chat's).
_ALWAYS: Final = ("id", "chat_id", "parent_id", "selected", "sender", "content", "status")
OPTIONAL_FIELDS: Final = tuple(name for name in MESSAGE_FIELDS if name not in _ALWAYS)


def iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def native_key(chat_id: int, created_at: str) -> str:
    """The ``source_id`` of a chat made in Charla: ``"12@2026-11-25T13:05:07.123456Z"``."""
    return f"{chat_id}@{created_at}"


def parse_native_key(key: str) -> tuple[int, datetime] | None:
    """``(chat id, creation time)`` of a :func:`native_key`, or None for anything else."""
    number, _, moment = key.partition("@")
    if not number.isdigit():
        return None
    try:
        created = datetime.fromisoformat(moment)
    except ValueError:
        return None
    return int(number), created if created.tzinfo else created.replace(tzinfo=UTC)


def _settings(chat: ChatRecord) -> dict[str, Any] | None:
    if chat.settings is None:
        return None
    values = chat.settings.to_json()
    return {name: values.get(name) for name in SETTING_FIELDS}


def chat_header(chat: ChatRecord) -> dict[str, Any]:
    """A chat's fields as written (without its messages)."""
    native = chat.source is None
    return {
        "id": chat.id,
        "title": chat.title,
        "title_by_user": chat.title_by_user,
        "created_at": chat.created_at,
        "last_activity": chat.last_activity,
        "pinned": chat.pinned,
        "archived": chat.archived,
        "tags": list(chat.tags),
        "source": NATIVE if native else chat.source,
        "source_id": native_key(chat.id, chat.created_at) if native else chat.source_id,
        "settings": _settings(chat),
    }


_OPTIONAL_AT: Final = tuple((name, AT[name]) for name in OPTIONAL_FIELDS)
(_ID, _PARENT, _SELECTED, _SENDER, _CREATED, _SHOWN, _STATUS, _CONTENT) = (
    AT[name]
    for name in (
        "id",
        "parent_id",
        "selected",
        "sender",
        "created_at",
        "shown_at",
        "status",
        "content",
    )
)


def message_fields(row: Row[Any]) -> dict[str, Any]:
    """A message as written: the fields always present, then the optional ones that are set."""
    values = tuple(row)  # by position: see records.MESSAGE_COLUMNS
    message: dict[str, Any] = {
        "id": values[_ID],
        "parent": values[_PARENT],
        "selected": bool(values[_SELECTED]),
        "sender": values[_SENDER],
        "created_at": values[_CREATED],
    }
    shown = values[_SHOWN]
    if shown is not None and shown != values[_CREATED]:
        message["shown_at"] = shown  # missing: never recorded, or the creation time
    message["status"] = values[_STATUS]
    message["content"] = values[_CONTENT]
    for name, at in _OPTIONAL_AT:
        value = values[at]
        if value is None or value == "":
            continue
        if type(value) is float and not math.isfinite(value):
            continue  # JSON has no NaN or infinity: left out, that is null
        message[name] = value
    return message


_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode  # built once


def _write_message(
    row: Row[Any], attached: Sequence[AttachmentRecord], files: Files, out: Output
) -> None:
    text = _dumps(message_fields(row))
    if not attached:
        out.write(text)
        return
    # One file's bytes at a time: the message's line is written piece by piece.
    out.write(text[:-1] + ', "attachments": [')
    for number, record in enumerate(attached):
        data, document_text = files.content(record)
        out.write(("" if number == 0 else ", ") + _dumps(to_json(record, data, document_text)))
    out.write("]}")


def _chat_text(chat: ChatRecord, messages: Iterable[Row[Any]], files: Files, out: Output) -> int:
    head = _dumps(chat_header(chat))
    out.write(head[:-1] + ', "messages": [')
    count = 0
    for row, attached in with_files(messages, files):
        out.write("\n" if count == 0 else ",\n")
        _write_message(row, attached, files, out)
        count += 1
    out.write("\n]}" if count else "]}")
    return count


def _presets(engine: Engine | None) -> list[dict[str, Any]]:
    """Every preset in its JSON form (:func:`core.services.preset_files.preset_to_json`)."""
    with Session(engine or get_engine()) as session:
        return [preset_to_json(preset) for preset in PresetRepository(session).list()]


def is_everything(scope: ExportScope) -> bool:
    """Whether ``scope`` is the whole history (the only export that carries the presets)."""
    return scope.chat_ids is None and (scope.filter is None or scope.filter.is_empty)


def write_json(
    target: BinaryIO,
    scope: ExportScope,
    *,
    engine: Engine | None = None,
    exported_at: str | None = None,
) -> Counts:
    """Write the Charla JSON document of ``scope`` to ``target``; returns what was written.

    Every version of every message is written, whatever ``scope.all_versions`` says: the format
    is the whole tree.
    """
    out = Output(target)
    header: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": exported_at or iso_now(),
    }
    if is_everything(scope):
        header["presets"] = _presets(engine)
    out.write(_dumps(header)[:-1] + ', "chats": [')
    chats = messages = 0
    for chat, rows, files in chats_with_files(scope, engine=engine):
        out.write("\n" if chats == 0 else ",\n")
        messages += _chat_text(chat, rows, files, out)
        chats += 1
    out.write("\n]}\n" if chats else "]}\n")
    out.flush()
    return Counts(chats, messages)
