"""Plain, immutable records that the repositories hand to services and pages.

ORM objects expire at commit and hold a session; pages must never see them. These dataclasses are
built from rows once and are safe to cache, pass between threads and keep across reruns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.i18n import stored_error_text
from core.vocab import INTERRUPTED, OPTION_KEYS, SETTING_FIELDS, Sender


@dataclass(frozen=True)
class ChatSettings:
    """Generation settings. ``None`` means "not set here": fall back to the next level."""

    model: str | None = None
    system_prompt: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    top_k: int | None = None
    repeat_penalty: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] | None = None

    def merged_over(self, fallback: ChatSettings) -> ChatSettings:
        """These settings, with every unset field taken from ``fallback``."""
        values = {
            name: getattr(self, name)
            if getattr(self, name) is not None
            else getattr(fallback, name)
            for name in self.__dataclass_fields__
        }
        return ChatSettings(**values)

    def options(self) -> dict[str, Any]:
        """The extra options (top_p, top_k, …) that are set, as a JSON-ready dict."""
        return {k: v for k, v in self.to_json().items() if k in OPTION_KEYS}

    def to_json(self) -> dict[str, Any]:
        """The fields that are set, JSON-ready (``stop`` as a list). The one mapping to JSON: app
        settings, chat options, stored request parameters and exports all use it."""
        result: dict[str, Any] = {}
        for key in SETTING_FIELDS:
            value = getattr(self, key)
            if value is not None:
                result[key] = list(value) if key == "stop" else value
        return result

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ChatSettings:
        """The reverse of :meth:`to_json`; unknown keys are ignored, ``stop`` becomes a tuple."""
        data = data or {}
        values = {key: data.get(key) for key in SETTING_FIELDS}
        if values["stop"]:
            values["stop"] = tuple(values["stop"])
        else:
            values["stop"] = None
        return cls(**values)


@dataclass(frozen=True)
class ChatSummary:
    id: int
    title: str
    created_at: datetime
    last_activity: datetime
    message_count: int
    model: str | None
    settings: ChatSettings = field(default_factory=ChatSettings)
    own_settings: bool = False  # else the chat follows the app defaults
    pinned: bool = False  # first in the sidebar and in History
    archived: bool = False  # not in the sidebar (still in History and search)
    tags: tuple[str, ...] = ()
    source: str | None = None  # where an imported chat came from (its id there: source_id)
    source_id: str | None = None
    title_by_user: bool = False  # a person chose the title; else it is automatic


@dataclass(frozen=True)
class AttachmentRecord:
    """A file or image a message carries (without its bytes: ``attachment_data`` reads them)."""

    id: int  # the stored attachment (shared by every message that carries the same file)
    message_id: int
    position: int
    name: str
    kind: str  # "document" or "image"
    mime: str
    size: int  # bytes kept (an image as re-encoded)
    sha256: str
    width: int | None = None
    height: int | None = None
    context_bytes: int = 0

    @property
    def is_image(self) -> bool:
        return self.kind == "image"


@dataclass(frozen=True)
class MessageRecord:
    id: int
    chat_id: int
    sender: str
    content: str
    reasoning: str
    status: str
    error: str | None
    model: str | None
    params: dict[str, Any] | None
    prompt_tokens: int | None
    completion_tokens: int | None
    time_to_first_token: float | None
    tokens_per_second: float | None
    finish_reason: str | None
    created_at: datetime
    writer: str | None = None
    parent_id: int | None = None  # the message this one follows (None: the first)
    depth: int = 0
    selected: bool = True  # on the chat's selected branch
    error_code: str | None = None  # why it failed: a text key, translated when shown …
    error_params: dict[str, Any] | None = None  # … with these parameters
    attachments: tuple[AttachmentRecord, ...] = ()  # files and images sent with it, in order

    @property
    def role(self) -> str:
        return Sender(self.sender).role

    def error_text(self, lang: str = "en") -> str:
        """Why this answer failed, in ``lang`` ("" if it did not)."""
        return stored_error_text(self.error_code, self.error_params, self.error, lang)

    @property
    def interrupted(self) -> bool:
        """The process writing this answer died (marked at the next start)."""
        return self.error_code == INTERRUPTED
