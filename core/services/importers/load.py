"""Storing imported conversations, and the import as a whole: two passes over every file.

1. **Check everything first** (:func:`core.services.importers.detect.detect`): every document of
   every file is read whole; one that is not JSON, is cut short, has an unknown shape or fails the
   zip checks is refused with its sentence before anything is written, so bad input changes
   nothing. This pass also counts the conversations: the progress bar's total.
2. **Import conversation by conversation**, streamed (one in memory at a time): the source's
   importer makes a :class:`~.model.Conversation`, and it is written **in its own savepoint**
   of a transaction that a run of conversations shares (:class:`_Batch`), committed every
   :data:`BATCH_ROWS` messages or so and at the end. A conversation that cannot be read or stored
   is skipped with its reason (a :class:`~.model.Problem`): its savepoint is rolled back, so it
   leaves nothing behind, and the rest go in. Beginning and committing a transaction for every
   conversation cost as much as all the rest of the import's own work (``bench/transfer.py``);
   a few thousand messages per transaction keep SQLite's write lock for a fraction of a second
   at a time, so the chat page's writes still go through meanwhile, and a stopped import keeps
   what it committed (importing again adds the rest). What a conversation added is counted when
   its transaction commits.

:func:`store` (one conversation, its own transaction) and :class:`_Batch` are where every
source meets the same rules:

- **Yours.** Every chat goes to the current owner (:mod:`core.identity`), its tags are that
  person's tags, and a preset carried by the file becomes theirs.
- **Safe to repeat.** A chat remembers where it came from (``chats.source``/``source_id``, unique
  together per owner); a conversation the same person already imported is counted as a duplicate
  and nothing is written (the insert itself checks, at the unique index: two imports racing for
  the same conversation store it once), while someone else importing the same file gets their own
  copy. A chat exported from Charla and imported back by the person whose database made it is
  recognised too (:func:`~core.services.export.json_export.parse_native_key`); another person's
  chat of that id is not "coming home".
- **Text as the chat page treats it** (:mod:`.rows`): a person's message that no database can
  store is refused with the chat page's sentence, and its conversation skipped; a model's text, a
  title, a model name are made storable. Settings are checked as the settings page checks them.
- **Bulk writes.** The chat row and all its messages in two statements, on a Core connection
  (:class:`~core.repositories.imports.ImportRepository`); its tags and its messages' files (a
  Charla export's attachments, stored once per content) in the same savepoint.

A Charla export of the whole history also carries presets, read in the check pass: they go in
first, in their own transaction (:func:`core.services.presets.presets_from_json`; the shared one
is committed before it: SQLite has one writer), and the report counts those added.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import RootTransaction
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.conf.db import WRITE_OPTION, get_engine, session_scope, write_transaction
from core.errors import InputError
from core.identity import acting_as
from core.models import utcnow
from core.repositories.imports import ImportRepository
from core.repositories.scope import owner_id
from core.repositories.tags import TagRepository
from core.services.attachments import attach_to_message
from core.services.export.json_export import NATIVE, parse_native_key
from core.services.importers import charla, chatgpt, lmstudio, openwebui
from core.services.importers.detect import Kind, Shape, conversations, detect
from core.services.importers.fields import broken
from core.services.importers.model import (
    Conversation,
    FileReport,
    ImportReport,
    Problem,
    Progress,
)
from core.services.importers.rows import chat_row, link, message_row, theirs
from core.services.importers.sources import Document, Found, from_bytes, from_path
from core.services.presets import presets_from_json

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
# Messages (and chats) written per transaction; each conversation has its own savepoint in it.
BATCH_ROWS: Final = 5_000


@dataclass(frozen=True)
class Stored:
    chat_id: int
    messages: int


def _came_home(repository: ImportRepository, conversation: Conversation, owner: int) -> bool:
    """A chat this database made for ``owner``, exported and now imported back."""
    native = parse_native_key(conversation.source_id) if conversation.source == NATIVE else None
    return native is not None and repository.native_exists(*native, owner)


def current_owner() -> int:
    """The id of the person importing (resolved once per import: see :func:`store`)."""
    with session_scope() as db:
        return owner_id(db)


def _prepare(conversation: Conversation, owner: int) -> tuple[list[list[Any]], dict[str, Any]]:
    """The conversation's message rows and chat row, checked (InputError) before any writing."""
    if len(conversation.source) > _SOURCE_CHARS:
        raise broken(f"source {conversation.source[:40]!r} is not one Charla knows")
    fallback = conversation.created_at or utcnow()
    rows = [message_row(turn, fallback) for turn in conversation.turns]
    return rows, chat_row(conversation, rows, owner)


def _write(
    repository: ImportRepository,
    conversation: Conversation,
    prepared: tuple[list[list[Any]], dict[str, Any]],
    owner: int,
) -> Stored | None:
    """Write a prepared conversation in the repository's transaction (None: already here)."""
    rows, chat = prepared
    home = _came_home(repository, conversation, owner)
    chat_id = None if home else repository.add_chat(chat)
    if chat_id is None:
        return None  # already here
    turns = conversation.turns
    ids = repository.reserve_message_ids(len(rows))
    link(rows, turns, chat_id, ids)
    repository.add_messages(rows)
    files = [(ids[i], turn.attachments) for i, turn in enumerate(turns) if turn.attachments]
    if conversation.tags or files:
        # In a savepoint of its own inside the caller's transaction: its commit releases the
        # savepoint, and a failed flush rolls back only that, never the conversations written
        # before in the same transaction. The tags are ``owner``'s (core.repositories.tags).
        connection = repository.connection
        with (
            acting_as(owner),
            Session(bind=connection, join_transaction_mode="create_savepoint") as session,
        ):
            _tag(TagRepository(session), chat_id, conversation.tags)
            for message_id, attachments in files:
                attach_to_message(session, message_id, attachments)
            session.commit()
    return Stored(chat_id, len(rows))


def store(conversation: Conversation, owner: int | None = None) -> Stored | None:
    """Write one conversation in its own transaction, as ``owner``'s chat (default: the current
    owner); ``None`` if that person already imported it. InputError (nothing written) when it
    cannot be stored: its text, settings or tree."""
    owner = current_owner() if owner is None else owner
    prepared = _prepare(conversation, owner)
    with write_transaction() as connection:
        return _write(ImportRepository(connection), conversation, prepared, owner)


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


def _not_stored(exc: SQLAlchemyError) -> InputError:
    detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return InputError("transfer.not_stored", why=detail)


class _Batch:
    """The write transaction a run of conversations shares, each in its own savepoint (see the
    module docstring). What a conversation added is counted in its file's report when the
    transaction commits; if the commit fails, each of them is a problem instead."""

    def __init__(self, owner: int) -> None:
        self.owner = owner
        self._repository: ImportRepository | None = None
        self._transaction: RootTransaction | None = None
        self._rows = 0
        self._pending: list[tuple[_File, str, str, Stored]] = []

    def store(self, file: _File, where: str, label: str, conversation: Conversation) -> None:
        """Write ``conversation`` in a savepoint (errors propagate, and it is as if it was never
        written: InputError, or SQLAlchemyError after which the transaction goes on)."""
        prepared = _prepare(conversation, self.owner)
        if self._repository is None:
            engine = get_engine().execution_options(**{WRITE_OPTION: True})
            connection = engine.connect()
            self._transaction = connection.begin()
            self._repository = ImportRepository(connection)
        try:
            with self._repository.connection.begin_nested():
                stored = _write(self._repository, conversation, prepared, self.owner)
        except SQLAlchemyError:
            self.commit()  # the others so far go in; the next conversation starts afresh
            raise
        if stored is None:
            file.duplicates += 1
            return
        self._pending.append((file, where, label, stored))
        self._rows += stored.messages + 1
        if self._rows >= BATCH_ROWS:
            self.commit()

    def commit(self) -> None:
        repository, transaction = self._repository, self._transaction
        if repository is None or transaction is None:
            return
        pending, self._pending = self._pending, []
        self._repository, self._transaction = None, None
        self._rows = 0
        try:
            transaction.commit()
        except SQLAlchemyError as exc:
            for file, where, label, _stored in pending:
                file.refuse(where, _not_stored(exc), label)
        else:
            for file, _where, _label, stored in pending:
                file.chats += 1
                file.messages += stored.messages
        finally:
            repository.connection.close()


def _import_document(
    file: _File, document: Document, shape: Shape, batch: _Batch, step: Callable[[], None]
) -> None:
    convert = CONVERTERS[shape.kind]
    file.sources.add(shape.kind.value)
    if shape.presets is not None:
        batch.commit()  # the presets' own transaction would wait for the batch's write lock
        try:  # all or nothing, in their own transaction; a preset already here is not added again
            with acting_as(batch.owner):
                file.presets += len(presets_from_json(shape.presets).added)
        except InputError as exc:
            file.refuse(document.name, exc)
    try:
        for number, raw in enumerate(conversations(document, shape), 1):
            label = _label(raw, number)
            try:
                batch.store(file, document.name, label, convert(raw, document.name))
            except InputError as exc:
                file.refuse(document.name, exc, label)
            except _READING_ERRORS as exc:
                file.refuse(document.name, broken(type(exc).__name__), label)
            except SQLAlchemyError as exc:
                file.refuse(document.name, _not_stored(exc), label)
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
    batch = _Batch(owner)
    try:
        for file in work:
            for document, shape in file.plans:
                _import_document(file, document, shape, batch, step)
    finally:
        batch.commit()
    return ImportReport(tuple(file.report() for file in work), done)


def import_paths(paths: Sequence[str], *, progress: Progress | None = None) -> ImportReport:
    """Import files, folders and zips named on the command line."""
    return import_files([(str(path), from_path(path)) for path in paths], progress)


def import_uploads(
    uploads: Sequence[tuple[str, bytes]], *, progress: Progress | None = None
) -> ImportReport:
    """Import uploaded files (``(file name, content)`` each), as the History page receives them."""
    return import_files([(name, from_bytes(name, data)) for name, data in uploads], progress)
