"""``PresetRepository``: saved presets (a name, a system prompt, generation parameters).

Names are unique (compared without case, so "Coder" and "coder" are not two presets) and never
empty; the parameters obey the same rules as any generation setting
(:func:`core.repositories.validation.check_setting`). At most one preset is the default: setting
one clears the others in the same transaction (and the partial unique index ``ix_presets_default``
refuses a second one should two writers race).

Presets are personal: every query here carries the current owner (:mod:`core.repositories.scope`),
so names are unique per person, each person has their own default, and someone else's preset id
is :class:`~core.errors.PresetNotFound` exactly as a deleted one.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from core.errors import InputError, PresetNotFound
from core.models import Preset, utcnow
from core.repositories.scope import owner_id, owner_value
from core.repositories.validation import check_setting
from core.schemas import ChatSettings, PresetRecord
from core.text import check_text
from core.vocab import SETTING_FIELDS

MAX_NAME = 100
# What a preset's ``settings`` may hold: every generation setting but the model and the prompt.
PARAMETERS = tuple(name for name in SETTING_FIELDS if name not in ("model", "system_prompt"))


def to_record(preset: Preset) -> PresetRecord:
    return PresetRecord(
        id=preset.id,
        name=preset.name,
        system_prompt=preset.system_prompt,
        settings=ChatSettings.from_json(preset.settings),
        is_default=preset.is_default,
        source=preset.source,
    )


def checked_parameters(settings: ChatSettings) -> dict[str, object]:
    """``settings``' generation parameters, validated, JSON-ready (model and prompt left out)."""
    values = {name: check_setting(name, getattr(settings, name)) for name in PARAMETERS}
    return {k: v for k, v in ChatSettings(**values).to_json().items() if k in PARAMETERS}


def _mine() -> ColumnElement[bool]:
    return Preset.owner_id == owner_value()


class PresetRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def _get(self, preset_id: int) -> Preset:
        preset = self.db.scalar(select(Preset).where(Preset.id == preset_id, _mine()))
        if preset is None:
            raise PresetNotFound(preset_id)
        return preset

    def _check_name(self, name: str, *, other_than: int | None = None) -> str:
        name = " ".join(check_text(name or "", limit=MAX_NAME).split())
        if not name:
            raise InputError("presets.name_empty")
        query = select(Preset.id).where(func.lower(Preset.name) == name.lower(), _mine())
        if other_than is not None:
            query = query.where(Preset.id != other_than)
        if self.db.scalar(query) is not None:
            raise InputError("presets.name_taken", name=name)
        return name

    def list(self) -> list[PresetRecord]:
        """Every preset, oldest first (the same order on every database: collations differ)."""
        rows = self.db.scalars(select(Preset).where(_mine()).order_by(Preset.id))
        return [to_record(row) for row in rows]

    def get(self, preset_id: int) -> PresetRecord:
        return to_record(self._get(preset_id))

    def by_name(self, name: str) -> PresetRecord | None:
        row = self.db.scalar(select(Preset).where(func.lower(Preset.name) == name.lower(), _mine()))
        return None if row is None else to_record(row)

    def default(self) -> PresetRecord | None:
        row = self.db.scalar(select(Preset).where(Preset.is_default.is_(True), _mine()))
        return None if row is None else to_record(row)

    def create(
        self,
        name: str,
        system_prompt: str | None,
        settings: ChatSettings,
        *,
        source: str | None = None,
    ) -> PresetRecord:
        now = utcnow()
        preset = Preset(
            owner_id=owner_id(self.db),
            name=self._check_name(name),
            system_prompt=check_setting("system_prompt", system_prompt),
            settings=checked_parameters(settings),
            source=source,
            created_at=now,
            updated_at=now,
        )
        self.db.add(preset)
        self.db.flush()
        return to_record(preset)

    def update(
        self, preset_id: int, name: str, system_prompt: str | None, settings: ChatSettings
    ) -> PresetRecord:
        preset = self._get(preset_id)
        preset.name = self._check_name(name, other_than=preset_id)
        preset.system_prompt = check_setting("system_prompt", system_prompt)
        preset.settings = checked_parameters(settings)
        self.db.flush()
        return to_record(preset)

    def free_name(self, wanted: str, *, suffix: str) -> str:
        """``wanted`` if no preset has it, else ``wanted (suffix)``, ``wanted (suffix 2)``…"""
        candidates = [wanted, f"{wanted} ({suffix})"]
        candidates += [f"{wanted} ({suffix} {n})" for n in range(2, 1000)]
        taken = {name.lower() for name in self.db.scalars(select(Preset.name).where(_mine()))}
        return next(c for c in candidates if c.lower() not in taken)

    def delete(self, preset_id: int) -> None:
        self.db.delete(self._get(preset_id))
        self.db.flush()

    def set_default(self, preset_id: int | None) -> None:
        """Make ``preset_id`` the default (``None``: no default)."""
        if preset_id is not None:
            self._get(preset_id)
        self.db.execute(
            update(Preset).where(Preset.is_default.is_(True), _mine()).values(is_default=False)
        )
        self.db.flush()
        if preset_id is not None:
            self._get(preset_id).is_default = True
            self.db.flush()
