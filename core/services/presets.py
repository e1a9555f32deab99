"""Presets: saved system prompts with generation parameters, applied to chats in one click.

A preset sets what it holds and leaves the rest: applying one to a chat gives the chat settings
of its own — what the chat carried until now (its own settings or the defaults, model included)
with the preset's system prompt and parameters over it. A new chat starts from the preset picked
for it, else from the default preset (at most one), else it follows the defaults as before.

Files: LM Studio's ``*.preset.json`` (:func:`import_lmstudio`, from the settings page's uploader
and ``python -m core.cli presets import PATH``) and Charla's JSON export
(:func:`presets_to_json` / :func:`presets_from_json`, for the export/import of all data). An
imported preset whose name is taken gets a free name ("Coder (imported)"), unless it is the same
preset, which is not added twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from core.conf.db import session_scope
from core.repositories.app_settings import AppSettingsRepository
from core.repositories.chats import ChatRepository
from core.repositories.presets import PresetRepository, checked_parameters
from core.schemas import ChatSettings, ChatSummary, PresetRecord
from core.services.preset_files import PresetData, parse_lmstudio, preset_from_json, preset_to_json
from core.vocab import DEFAULT_SYSTEM_PROMPT

__all__ = [
    "ImportReport",
    "PresetData",
    "PresetRecord",
    "apply_to_chat",
    "create_preset",
    "default_preset",
    "delete_preset",
    "duplicate_preset",
    "get_preset",
    "import_lmstudio",
    "list_presets",
    "new_chat_settings",
    "presets_from_json",
    "presets_to_json",
    "set_default",
    "update_preset",
]

COPY_SUFFIX = "copy"
IMPORTED_SUFFIX = "imported"


@dataclass(frozen=True)
class ImportReport:
    """What an import did: names added, names already there (the same preset), keys skipped."""

    added: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped_keys: tuple[str, ...] = ()


def list_presets() -> list[PresetRecord]:
    with session_scope() as db:
        return PresetRepository(db).list()


def get_preset(preset_id: int) -> PresetRecord:
    with session_scope() as db:
        return PresetRepository(db).get(preset_id)


def default_preset() -> PresetRecord | None:
    with session_scope() as db:
        return PresetRepository(db).default()


def create_preset(name: str, system_prompt: str | None, settings: ChatSettings) -> PresetRecord:
    """A new preset (refused with a reason: empty or taken name, a value out of range)."""
    with session_scope(write=True) as db:
        return PresetRepository(db).create(name, system_prompt, settings)


def update_preset(
    preset_id: int, name: str, system_prompt: str | None, settings: ChatSettings
) -> PresetRecord:
    with session_scope(write=True) as db:
        return PresetRepository(db).update(preset_id, name, system_prompt, settings)


def duplicate_preset(preset_id: int) -> PresetRecord:
    """A copy named "<name> (copy)" (or "(copy 2)"…), not the default."""
    with session_scope(write=True) as db:
        repo = PresetRepository(db)
        original = repo.get(preset_id)
        name = repo.free_name(original.name, suffix=COPY_SUFFIX)
        return repo.create(name, original.system_prompt, original.settings)


def delete_preset(preset_id: int) -> None:
    with session_scope(write=True) as db:
        PresetRepository(db).delete(preset_id)


def set_default(preset_id: int | None) -> None:
    """Make a preset the default for new chats (``None``: none is)."""
    with session_scope(write=True) as db:
        PresetRepository(db).set_default(preset_id)


def _defaults(db: Session) -> ChatSettings:
    """The saved defaults as a request carries them (the default prompt when none is saved)."""
    saved = AppSettingsRepository(db).generation_defaults()
    return saved.merged_over(ChatSettings(system_prompt=DEFAULT_SYSTEM_PROMPT))


def apply_to_chat(chat_id: int, preset_id: int) -> ChatSummary:
    """Give the chat the preset's prompt and parameters over what it carried until now."""
    with session_scope(write=True) as db:
        preset = PresetRepository(db).get(preset_id)
        chats = ChatRepository(db)
        chat = chats.get(chat_id)
        current = chat.settings if chat.own_settings else _defaults(db)
        return chats.update_settings(chat_id, preset.as_settings().merged_over(current))


def new_chat_settings(preset_id: int | None = None) -> ChatSettings | None:
    """The settings a new chat starts with: the picked preset's, else the default preset's, over
    the defaults; ``None`` (follow the defaults) when there is neither."""
    with session_scope() as db:
        repo = PresetRepository(db)
        preset = repo.get(preset_id) if preset_id is not None else repo.default()
        if preset is None:
            return None
        return preset.as_settings().merged_over(_defaults(db))


def _same(stored: PresetRecord, data: PresetData) -> bool:
    wanted = checked_parameters(data.settings)
    return stored.system_prompt == data.system_prompt and stored.settings.to_json() == wanted


def _store(items: Iterable[PresetData], source: str) -> ImportReport:
    added: list[str] = []
    unchanged: list[str] = []
    skipped: list[str] = []
    with session_scope(write=True) as db:
        repo = PresetRepository(db)
        for data in items:
            skipped += [key for key in data.skipped if key not in skipped]
            existing = repo.by_name(data.name)
            if existing is not None and _same(existing, data):
                unchanged.append(existing.name)
                continue
            name = repo.free_name(data.name, suffix=IMPORTED_SUFFIX)
            preset = repo.create(name, data.system_prompt, data.settings, source=source)
            if data.is_default and repo.default() is None:
                repo.set_default(preset.id)
            added.append(preset.name)
    return ImportReport(tuple(added), tuple(unchanged), tuple(skipped))


def import_lmstudio(files: Sequence[tuple[str, bytes]]) -> ImportReport:
    """Import LM Studio preset files, given as (file name, content): all or nothing — a file that
    is not a preset refuses the import with its name, and nothing is stored."""
    parsed = [parse_lmstudio(content, name) for name, content in files]
    return _store(parsed, "lmstudio")


def presets_to_json() -> list[dict[str, Any]]:
    """Every preset in Charla's JSON form: the ``presets`` list of the JSON export."""
    return [preset_to_json(preset) for preset in list_presets()]


def presets_from_json(items: Any) -> ImportReport:
    """Import the ``presets`` list of a Charla JSON export (all or nothing, as above)."""
    if not isinstance(items, list):
        items = []
    return _store([preset_from_json(item) for item in items], "charla")
