"""What every importer produces and what an import reports.

Each source format (:mod:`.chatgpt`, :mod:`.lmstudio`, :mod:`.openwebui`, :mod:`.charla`) turns one
conversation of its file into a :class:`Conversation`: the chat's fields and its messages as
:class:`Turn`\\ s, listed parents first, each pointing at its parent by position, with the selected
branch marked. :mod:`.load` stores it, whatever it came from, through the same checks.

An import reports per file (:class:`FileReport`) what went in, what was already there and every
:class:`Problem`; a problem is a text key and its parameters, put into words in the reader's
language when shown (the page and the CLI speak different languages).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.i18n import t
from core.repositories.attachments import NewAttachment
from core.schemas import ChatSettings
from core.vocab import Status

Progress = Callable[[int, int], None]  # (conversations done, conversations in all the files)


@dataclass
class Turn:
    """One message to store. ``parent`` is the position of an earlier turn of the same
    conversation (``None``: a first message); ``selected``: on the branch the chat shows."""

    sender: str
    content: str
    reasoning: str = ""
    created_at: datetime | None = None  # None: the conversation's time
    shown_at: datetime | None = None  # last on the shown branch (None: when it was made)
    status: str = Status.COMPLETE
    model: str | None = None
    error_code: str | None = None
    error_params: dict[str, Any] | None = None
    error: str | None = None  # a failure in the source's own words
    params: dict[str, Any] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    time_to_first_token: float | None = None
    tokens_per_second: float | None = None
    load_time: float | None = None  # seconds the server spent loading the model first
    finish_reason: str | None = None
    parent: int | None = None
    selected: bool = False
    attachments: list[NewAttachment] = field(default_factory=list)  # files the message carries


@dataclass
class Conversation:
    """One chat to store, with where it comes from: importing the same ``source`` and
    ``source_id`` again adds nothing."""

    source: str
    source_id: str
    title: str
    turns: list[Turn] = field(default_factory=list)
    created_at: datetime | None = None
    last_activity: datetime | None = None
    settings: ChatSettings | None = None  # the chat's own settings; None: it follows the defaults
    title_by_user: bool = False
    pinned: bool = False
    archived: bool = False
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    """Something that did not go in: a whole file (``conversation`` None) or one conversation."""

    file: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    conversation: str | None = None

    def text(self, lang: str = "en") -> str:
        reason = t(self.code, lang, **self.params)
        if self.conversation is None:
            return f"{self.file}: {reason}"
        where = t("transfer.in_conversation", lang, file=self.file, title=self.conversation)
        return f"{where}: {reason}"


@dataclass(frozen=True)
class FileReport:
    """What one file (an upload, or a path given to the CLI: a zip or a folder counts as one)
    added, what it held that was already there, and its problems."""

    name: str
    sources: tuple[str, ...] = ()  # the formats found in it ("chatgpt", …)
    chats: int = 0
    messages: int = 0
    duplicates: int = 0
    problems: tuple[Problem, ...] = ()
    presets: int = 0  # presets added (a Charla export of everything carries them)


@dataclass(frozen=True)
class ImportReport:
    files: tuple[FileReport, ...]
    conversations: int = 0  # conversations read (added, already there, or skipped)

    @property
    def chats(self) -> int:
        return sum(f.chats for f in self.files)

    @property
    def messages(self) -> int:
        return sum(f.messages for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def presets(self) -> int:
        return sum(f.presets for f in self.files)

    @property
    def problems(self) -> tuple[Problem, ...]:
        return tuple(p for f in self.files for p in f.problems)

    @property
    def ok(self) -> bool:
        """Every file went in whole (duplicates skipped are fine)."""
        return not self.problems

    def summary(self, lang: str = "en") -> str:
        text = t(
            "transfer.summary",
            lang,
            chats=self.chats,
            messages=self.messages,
            duplicates=self.duplicates,
        )
        if self.presets:
            text += " " + t("transfer.summary_presets", lang, presets=self.presets)
        return text
