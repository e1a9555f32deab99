"""Translation for pages and the CLI: :func:`t` (re-exported from :mod:`core.locales`) and
:func:`error_text`, what to show a person for any exception.

Pages and core errors refer to texts by key (``"chat.send"``, ``"error.timeout"``) and call
:func:`t` with the user's language. The texts live in ``core/locales/``, one module per area.
"""

from __future__ import annotations

from typing import Any

from core.errors import CharlaError
from core.locales import TEXTS, number, t

__all__ = ["LANGUAGES", "TEXTS", "error_text", "number", "stored_error_text", "t"]

LANGUAGES = {"en": "English", "es": "Español"}


def error_text(error: BaseException, lang: str = "en") -> str:
    """What to show a user for ``error``: its translated advice, or a generic sentence."""
    if isinstance(error, CharlaError):
        return error.user_message(lang)
    return t("error.unexpected", lang, detail=type(error).__name__)


def stored_error_text(
    code: str | None, params: dict[str, Any] | None, legacy: str | None, lang: str = "en"
) -> str:
    """The sentence for an error stored with an answer: its code and parameters translated into
    ``lang``; rows written before codes were stored keep their (English) text."""
    if code:
        return t(code, lang, **(params or {}))
    return legacy or ""
