"""Storing imported conversations, and the import as a whole: two passes over every file.

1. **Check everything first** (:func:`core.services.importers.detect.detect`): every document of
   every file is read whole; one that is not JSON, is cut short, has an unknown shape or fails the
   zip checks is refused with its sentence before anything is written, so bad input changes
   nothing. This pass also counts the conversations: the progress bar's total.
2. **Import conversation by conversation**, streamed (one in memory at a time): the source's
   importer makes a :class:`~.model.Conversation`, and :func:`store` writes it **in its own
   transaction**. A conversation that cannot be read or stored is skipped with its reason (a
   :class:`~.model.Problem`) and the rest go in.

:func:`store` is where every source meets the same rules:

- **Yours.** Every chat goes to the current owner (:mod:`core.identity`), its tags are that
  person's tags, and a preset carried by the file becomes theirs.
- **Safe to repeat.** A chat remembers where it came from (``chats.source``/``source_id``, unique
  together per owner); a conversation the same person already imported is counted as a duplicate
  and nothing is written (the insert itself checks, at the unique index: two imports racing for
  the same conversation store it once), while someone else importing the same file gets their own
  copy. A chat exported from Charla and imported back by the person whose database made it is
  recognised too (:func:`~core.services.export.json_export.parse_native_key`); another person's
  chat of that id is not "coming home".
- **Text as the chat page treats it.** A person's message that no database can store (a NUL, an
  unpaired surrogate: see :mod:`.detect`) is refused with the chat page's sentence, and its
  conversation skipped; a model's text, a title, a model name are made storable (U+FFFD).
  Settings are checked as the settings page checks them.
- **Bulk writes.** The chat row and all its messages in two statements, on a Core connection
  (:class:`~core.repositories.imports.ImportRepository`); its tags and its messages' files (a
  Charla export's attachments, stored once per content) in the same transaction.

A Charla export of the whole history also carries presets, read in the check pass: they go in
first, in their own transaction (:func:`core.services.presets.presets_from_json`), and the
report counts those added.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.conf.db import session_scope, write_transaction
from core.errors import InputError
from core.identity import acting_as
from core.models import utcnow
from core.repositories.chats import settings_columns
from core.repositories.imports import MESSAGE_COLUMNS, ImportRepository
from core.repositories.scope import owner_id
from core.repositories.tags import TagRepository
from core.services.attachments import attach_to_message
from core.services.export.json_export import NATIVE, parse_native_key
from core.services.importers import charla, chatgpt, lmstudio, openwebui
from core.services.importers.detect import UNPAIRED, Kind, Shape, conversations, detect
from core.services.importers.fields import broken
from core.services.importers.model import (
    Conversation,
    FileReport,
    ImportReport,
    Problem,
    Progress,
    Turn,
)
from core.services.importers.sources import Document, Found, from_bytes, from_path
from core.services.presets import presets_from_json
from core.text import MAX_TITLE_CHARS, check_text, storable
from core.vocab import Sender

CONVERTERS: Final[dict[Kind, Callable[[Any, str], Conversation]]] = {
    Kind.CHARLA: charla.convert,
    Kind.CHATGPT: chatgpt.convert,
    Kind.LMSTUDIO: lmstudio.convert,
    Kind.OPENWEBUI: openwebui.convert,
}
# What reading an odd conversation can raise besides InputError: the importers read defensively,
# but a file is anyone's JSON. Each is the reason that one conversation is skipped.
_READING_ERRORS: Final = (KeyError, TypeError, ValueError, AttributeError, IndexError)
_SOURCE_CHARS: Final = 32  # chats.source
_CUT: Final = {"model": 300, "finish_reason": 32, "error_code": 64}  # column sizes
_ID, _CHAT, _PARENT, _DEPTH, _CREATED = (
    MESSAGE_COLUMNS.index(name) for name in ("id", "chat_id", "parent_id", "depth", "created_at")
)


@dataclass(frozen=True)
class Stored:
    chat_id: int
    messages: int


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


def _message_row(turn: Turn, when: datetime) -> list[Any]:
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
        _cut(turn.error, 1_000_000),
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


def _chat_row(conversation: Conversation, rows: Sequence[list[Any]], owner: int) -> dict[str, Any]:
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


def _came_home(repository: ImportRepository, conversation: Conversation, owner: int) -> bool:
    """A chat this database made for ``owner``, exported and now imported back."""
    native = parse_native_key(conversation.source_id) if conversation.source == NATIVE else None
    return native is not None and repository.native_exists(*native, owner)


def current_owner() -> int:
    """The id of the person importing (resolved once per import: see :func:`store`)."""
    with session_scope() as db:
        return owner_id(db)


def _link(rows: list[list[Any]], turns: Sequence[Turn], chat_id: int, ids: list[int]) -> None:
    """Fill in each row's id, chat, parent id and depth."""
    for index, (row, turn) in enumerate(zip(rows, turns, strict=True)):
        parent = turn.parent
        if parent is not None and not 0 <= parent < index:
            raise broken("a message follows one that does not come before it")
        row[_ID], row[_CHAT] = ids[index], chat_id
        if parent is not None:
            row[_PARENT], row[_DEPTH] = ids[parent], rows[parent][_DEPTH] + 1


def store(conversation: Conversation, owner: int | None = None) -> Stored | None:
    """Write one conversation in its own transaction, as ``owner``'s chat (default: the current
    owner); ``None`` if that person already imported it. InputError (nothing written) when it
    cannot be stored: its text, settings or tree."""
    if len(conversation.source) > _SOURCE_CHARS:
        raise broken(f"source {conversation.source[:40]!r} is not one Charla knows")
    owner = current_owner() if owner is None else owner
    fallback = conversation.created_at or utcnow()
    rows = [_message_row(turn, fallback) for turn in conversation.turns]
    chat = _chat_row(conversation, rows, owner)
    with write_transaction() as connection:
        repository = ImportRepository(connection)
        home = _came_home(repository, conversation, owner)
        chat_id = None if home else repository.add_chat(chat)
        if chat_id is None:
            return None  # already here
        turns = conversation.turns
        ids = repository.reserve_message_ids(len(rows))
        _link(rows, turns, chat_id, ids)
        repository.add_messages(rows)
        files = [(ids[i], turn.attachments) for i, turn in enumerate(turns) if turn.attachments]
        if conversation.tags or files:
            # Joins the transaction; the tags are created as ``owner``'s (core.repositories.tags).
            with acting_as(owner), Session(bind=connection) as session:
                _tag(TagRepository(session), chat_id, conversation.tags)
                for message_id, attachments in files:
                    attach_to_message(session, message_id, attachments)
    return Stored(chat_id, len(rows))


def _tag(tags: TagRepository, chat_id: int, names: Iterable[str]) -> None:
    for name in names:
        try:
            tags.add([chat_id], theirs(name))
        except InputError:
            continue  # a tag Charla cannot have (empty, too long): the chat goes in without it


@dataclass
class _File:
    """One file named by the person, while it is imported."""

    name: str
    documents: list[Document]
    problems: list[Problem] = field(default_factory=list)
    plans: list[tuple[Document, Shape]] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)
    chats: int = 0
    messages: int = 0
    duplicates: int = 0
    presets: int = 0

    def refuse(self, where: str, error: InputError, conversation: str | None = None) -> None:
        self.problems.append(Problem(where, error.reason, dict(error.params), conversation))

    def report(self) -> FileReport:
        return FileReport(
            self.name,
            tuple(sorted(self.sources)),
            self.chats,
            self.messages,
            self.duplicates,
            tuple(self.problems),
            self.presets,
        )


def _label(raw: Any, number: int) -> str:
    title = raw.get("title") or raw.get("name") if isinstance(raw, dict) else None
    return (
        " ".join(title.split())[:80] if isinstance(title, str) and title.strip() else f"#{number}"
    )


def _import_document(
    file: _File, document: Document, shape: Shape, owner: int, step: Callable[[], None]
) -> None:
    convert = CONVERTERS[shape.kind]
    file.sources.add(shape.kind.value)
    if shape.presets is not None:
        try:  # all or nothing, in their own transaction; a preset already here is not added again
            with acting_as(owner):
                file.presets += len(presets_from_json(shape.presets).added)
        except InputError as exc:
            file.refuse(document.name, exc)
    try:
        for number, raw in enumerate(conversations(document, shape), 1):
            try:
                stored = store(convert(raw, document.name), owner)
            except InputError as exc:
                file.refuse(document.name, exc, _label(raw, number))
            except _READING_ERRORS as exc:
                file.refuse(document.name, broken(type(exc).__name__), _label(raw, number))
            except SQLAlchemyError as exc:
                detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
                file.refuse(
                    document.name,
                    InputError("transfer.not_stored", why=detail),
                    _label(raw, number),
                )
            else:
                if stored is None:
                    file.duplicates += 1
                else:
                    file.chats += 1
                    file.messages += stored.messages
            step()
    except InputError as exc:  # the file changed since it was checked
        file.refuse(document.name, exc)


def import_files(
    files: Sequence[tuple[str, Found]], progress: Progress | None = None
) -> ImportReport:
    """Import files already opened as documents (``(name, (documents, refused))`` each), as the
    current owner's chats."""
    owner = current_owner()
    work = []
    for name, (documents, refused) in files:
        file = _File(name, documents)
        for where, error in refused:
            file.refuse(where, error)
        for document in documents:
            try:
                shape = detect(document)
            except InputError as exc:
                file.refuse(document.name, exc)
                continue
            if shape is not None:
                file.plans.append((document, shape))
        if not file.plans and not file.problems:
            file.refuse(name, InputError("transfer.nothing_found"))
        work.append(file)
    total = sum(shape.count for file in work for _document, shape in file.plans)
    done = 0

    def step() -> None:
        nonlocal done, total
        done += 1
        total = max(total, done)  # an element the check pass could not count (see detect.py)
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)
    for file in work:
        for document, shape in file.plans:
            _import_document(file, document, shape, owner, step)
    return ImportReport(tuple(file.report() for file in work), done)


def import_paths(paths: Sequence[str], *, progress: Progress | None = None) -> ImportReport:
    """Import files, folders and zips named on the command line."""
    return import_files([(str(path), from_path(path)) for path in paths], progress)


def import_uploads(
    uploads: Sequence[tuple[str, bytes]], *, progress: Progress | None = None
) -> ImportReport:
    """Import uploaded files (``(file name, content)`` each), as the History page receives them."""
    return import_files([(name, from_bytes(name, data)) for name, data in uploads], progress)
