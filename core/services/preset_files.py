"""Presets as files: LM Studio's ``*.preset.json`` and Charla's own JSON form. Pure functions.

LM Studio keeps presets in ``~/.lmstudio/config-presets/*.preset.json``::

    {"name": "Coder", "operation": {"fields": [
        {"key": "llm.prediction.systemPrompt", "value": "You write Python."},
        {"key": "llm.prediction.temperature", "value": 0.2},
        {"key": "llm.prediction.maxPredictedTokens", "value": {"checked": true, "value": 800}},
        …]}}

A value is either plain or ``{"checked": bool, "value": …}``; an unchecked one is not set.
:func:`parse_lmstudio` maps the keys Charla knows (:data:`LMSTUDIO_KEYS`) and lists the others as
skipped, so the import can say what it left out. Older files keep the fields under ``load`` or at
the top level (``fields``): those are read too.

Charla's form (:func:`preset_to_json` / :func:`preset_from_json`) is what the JSON export holds:
``{"name", "system_prompt", "settings": {temperature, …}, "is_default"}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Final

from core.errors import InputError
from core.schemas import ChatSettings, PresetRecord

SUFFIX: Final = ".preset.json"
LMSTUDIO_KEYS: Final = {
    "llm.prediction.systemPrompt": "system_prompt",
    "llm.prediction.temperature": "temperature",
    "llm.prediction.maxPredictedTokens": "max_tokens",
    "llm.prediction.topPSampling": "top_p",
    "llm.prediction.topKSampling": "top_k",
    "llm.prediction.repeatPenalty": "repeat_penalty",
    "llm.prediction.seed": "seed",
    "llm.prediction.stopStrings": "stop",
}


@dataclass(frozen=True)
class PresetData:
    """A preset read from a file, not stored yet."""

    name: str
    system_prompt: str | None
    settings: ChatSettings
    is_default: bool = False
    skipped: tuple[str, ...] = ()  # LM Studio keys Charla has no setting for


def _value(raw: Any) -> Any:
    """A field's value: ``{"checked": false, …}`` is "not set" (None)."""
    if isinstance(raw, dict) and "checked" in raw:
        return raw.get("value") if raw.get("checked") else None
    return raw


def _fields(data: Mapping[str, Any]) -> list[Any]:
    for holder in (data.get("operation"), data.get("load"), data):
        if isinstance(holder, dict) and isinstance(holder.get("fields"), list):
            return list(holder["fields"])
    return []


def _name_from(filename: str) -> str:
    name = PurePath(filename).name
    return name[: -len(SUFFIX)] if name.endswith(SUFFIX) else PurePath(name).stem


def parse_lmstudio(content: bytes | str, filename: str) -> PresetData:
    """One LM Studio preset file; raises :class:`InputError` when it is not one."""
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError("presets.not_a_preset", file=filename) from exc
    if not isinstance(data, dict):
        raise InputError("presets.not_a_preset", file=filename)
    fields = _fields(data)
    if not fields and "operation" not in data:
        raise InputError("presets.not_a_preset", file=filename)
    values: dict[str, Any] = {}
    skipped: list[str] = []
    for field in fields:
        if not isinstance(field, dict) or not isinstance(field.get("key"), str):
            continue
        target = LMSTUDIO_KEYS.get(field["key"])
        if target is None:
            skipped.append(field["key"])
            continue
        value = _value(field.get("value"))
        if target == "max_tokens" and isinstance(value, int) and value <= 0:
            value = None  # LM Studio's "no limit"
        if target == "stop" and isinstance(value, list):
            value = tuple(str(item) for item in value if item) or None
        values[target] = value
    name = data.get("name") if isinstance(data.get("name"), str) else None
    prompt = values.pop("system_prompt", None)
    return PresetData(
        name=(name or _name_from(filename)).strip() or _name_from(filename),
        system_prompt=prompt if isinstance(prompt, str) and prompt.strip() else None,
        settings=ChatSettings(**values),
        skipped=tuple(skipped),
    )


def preset_to_json(preset: PresetRecord) -> dict[str, Any]:
    """A stored preset in Charla's JSON form."""
    return {
        "name": preset.name,
        "system_prompt": preset.system_prompt,
        "settings": preset.settings.to_json(),
        "is_default": preset.is_default,
    }


def preset_from_json(item: Any) -> PresetData:
    """The reverse of :func:`preset_to_json`; raises :class:`InputError` for a malformed item."""
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise InputError("presets.not_a_preset", file="JSON")
    prompt = item.get("system_prompt")
    settings = item.get("settings")
    return PresetData(
        name=item["name"],
        system_prompt=prompt if isinstance(prompt, str) else None,
        settings=ChatSettings.from_json(settings if isinstance(settings, dict) else {}),
        is_default=item.get("is_default") is True,
    )
