"""``AppSettingsRepository``: a person's defaults chosen on the settings page, kept across restarts.

Stored one key per row (``app_settings``) so adding a setting never needs a migration. The
generation defaults are read and written as one :class:`core.schemas.ChatSettings`; the UI language
is its own key.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import AppSetting, utcnow
from core.repositories.scope import owner_id
from core.repositories.validation import check_setting
from core.schemas import ChatSettings
from core.vocab import SETTING_FIELDS


class AppSettingsRepository:
    """The current owner's settings (language and defaults are personal)."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def get_all(self) -> dict[str, Any]:
        query = select(AppSetting).where(AppSetting.owner_id == owner_id(self.db))
        return {row.key: row.value for row in self.db.scalars(query)}

    def get(self, key: str, default: Any = None) -> Any:
        row = self.db.get(AppSetting, (owner_id(self.db), key))
        return default if row is None else row.value

    def set(self, key: str, value: Any) -> None:
        owner = owner_id(self.db)
        row = self.db.get(AppSetting, (owner, key))
        if row is None:
            self.db.add(AppSetting(owner_id=owner, key=key, value=value, updated_at=utcnow()))
        else:
            row.value = value
        self.db.flush()

    def generation_defaults(self) -> ChatSettings:
        return ChatSettings.from_json(self.get_all())

    def set_generation_defaults(self, settings: ChatSettings) -> None:
        """Validate and store every generation default (``None`` clears one)."""
        checked = ChatSettings(
            **{k: check_setting(k, getattr(settings, k)) for k in SETTING_FIELDS}
        )
        stored = checked.to_json()
        for key in SETTING_FIELDS:
            self.set(key, stored.get(key))
