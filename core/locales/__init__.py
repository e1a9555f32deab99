"""Every user-facing text, by area. Add a module here and list it below; keys must be unique."""

from __future__ import annotations

from core.locales import app, chat, errors, history, settings

_AREAS = (errors.TEXTS, app.TEXTS, chat.TEXTS, settings.TEXTS, history.TEXTS)

TEXTS: dict[str, dict[str, str]] = {}
for _area in _AREAS:
    _clash = TEXTS.keys() & _area.keys()
    assert not _clash, f"duplicate text keys: {sorted(_clash)}"
    TEXTS.update(_area)
