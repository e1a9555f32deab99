"""Every user-facing text, by area, and :func:`t`, the one function that reads them.

Each module here is one area (errors, app, chat, settings, history…): a dict
``{key: {"en": …, "es": …}}``, merged into :data:`TEXTS`; keys must be unique. Add a module and list
it in ``_AREAS``.

:func:`t` lives here, in a leaf package that imports nothing of Charla's, so that
:mod:`core.errors` can turn an error into a sentence without importing :mod:`core.i18n` (which
imports the errors to translate them: that was an import circle).

A missing Spanish text falls back to English, and a missing key returns the key itself, so a
forgotten translation shows up on screen instead of crashing a page. Placeholders use
``str.format`` names; unknown placeholders are left as they are.
"""

from __future__ import annotations

from string import Formatter
from typing import Any

from core.locales import (
    app,
    attachments,
    chat,
    compare,
    errors,
    history,
    insights,
    models,
    organise,
    presets,
    search,
    settings,
    transfer,
    users,
)

_AREAS = (
    errors.TEXTS,
    app.TEXTS,
    chat.TEXTS,
    settings.TEXTS,
    history.TEXTS,
    search.TEXTS,
    organise.TEXTS,
    attachments.TEXTS,
    transfer.TEXTS,
    models.TEXTS,
    presets.TEXTS,
    insights.TEXTS,
    compare.TEXTS,
    users.TEXTS,
)

TEXTS: dict[str, dict[str, str]] = {}
for _area in _AREAS:
    _clash = TEXTS.keys() & _area.keys()
    assert not _clash, f"duplicate text keys: {sorted(_clash)}"
    TEXTS.update(_area)


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


_formatter = Formatter()


# How each language writes thousands: 8,192 in English, 8.192 in Spanish.
_THOUSANDS = {"en": ",", "es": "."}


def number(value: int, lang: str = "en") -> str:
    """An integer as a reader of ``lang`` writes it (digit groups)."""
    return f"{value:,}".replace(",", _THOUSANDS.get(lang, ","))


def t(key: str, lang: str = "en", /, **params: Any) -> str:
    """The text for ``key`` in ``lang`` with ``params`` filled in. Integers are written with the
    language's digit groups (``8,192`` / ``8.192``), except identifiers (``id`` or ``*_id``: chat
    424242 is a name, not a quantity); a ``*_one`` variant of ``key``, when there is
    one, is used for a ``count`` of exactly 1 ("1 token", not "1 tokens")."""
    if params.get("count") == 1 and f"{key}_one" in TEXTS:
        key = f"{key}_one"
    entry = TEXTS.get(key)
    if entry is None:
        return key
    template = entry.get(lang) or entry["en"]
    params = {
        name: number(value, lang)
        if isinstance(value, int)
        and not isinstance(value, bool)
        and abs(value) >= 1000
        and not (name == "id" or name.endswith("_id"))
        else value
        for name, value in params.items()
    }
    try:
        return _formatter.vformat(template, (), _Lenient(params))
    except (ValueError, KeyError, IndexError, AttributeError):
        return template
