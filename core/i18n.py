"""Every user-facing text of Charla, in English and Spanish, in one place.

The texts themselves live in ``core/locales/``, one module per area (errors, chat, history,
settings…), each a dict ``{key: {"en": …, "es": …}}`` merged into :data:`TEXTS`.

Pages and core errors refer to texts by key (``"chat.send"``, ``"error.timeout"``) and call
:func:`t` with the user's language. A missing Spanish text falls back to English, and a missing key
returns the key itself, so a forgotten translation shows up on screen instead of crashing a page.
Placeholders use ``str.format`` names; unknown placeholders are left as they are.
"""

from __future__ import annotations

from string import Formatter
from typing import Any

from core.locales import TEXTS

LANGUAGES = {"en": "English", "es": "Español"}


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


_formatter = Formatter()


def t(key: str, lang: str = "en", /, **params: Any) -> str:
    """The text for ``key`` in ``lang`` with ``params`` filled in."""
    entry = TEXTS.get(key)
    if entry is None:
        return key
    template = entry.get(lang) or entry["en"]
    try:
        return _formatter.vformat(template, (), _Lenient(params))
    except (ValueError, KeyError, IndexError, AttributeError):
        return template


def error_text(error: BaseException, lang: str = "en") -> str:
    """What to show a user for ``error``: its translated advice, or a generic sentence."""
    from core.errors import CharlaError

    if isinstance(error, CharlaError):
        return error.user_message(lang)
    return t("error.unexpected", lang, detail=type(error).__name__)
