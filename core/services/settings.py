"""Settings use cases: the generation defaults, one chat's own settings, the interface language.

Three levels decide what a request carries, each field on its own: the chat's own value, else the
saved default, else the configuration (``LM_STUDIO_MODEL`` and the default system prompt), else
**nothing** — the field is left out of the request and the server's own default applies. The
settings page shows exactly that: a number where one is sent, "server default" where none is.

:func:`check` validates a whole form before anything is stored: each field with the same rules the
repositories apply (:func:`core.repositories.validation.check_setting`), plus what only the
combination says (more stop strings than servers accept, ``max_tokens`` beyond the model's
context). A refused value raises :class:`~core.errors.InputError` with the reason; nothing is saved.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.conf.db import session_scope
from core.conf.settings import get_settings
from core.errors import InputError
from core.i18n import LANGUAGES
from core.providers.catalog import ModelInfo
from core.repositories.app_settings import AppSettingsRepository
from core.repositories.chats import ChatRepository
from core.repositories.validation import MAX_STOP_STRINGS, check_setting
from core.schemas import ChatSettings, ChatSummary
from core.vocab import SETTING_FIELDS

LANGUAGE_KEY = "language"  # app setting holding the UI language chosen on the settings page


def saved_defaults() -> ChatSettings:
    """The defaults saved on the settings page (``None``: not set there)."""
    with session_scope() as db:
        return AppSettingsRepository(db).generation_defaults()


def check(settings: ChatSettings, models: Sequence[ModelInfo] = ()) -> ChatSettings:
    """``settings`` validated and normalised; raises :class:`InputError` explaining the problem."""
    if settings.stop and len(settings.stop) > MAX_STOP_STRINGS:
        raise InputError(
            "settings.too_many_stops", count=len(settings.stop), limit=MAX_STOP_STRINGS
        )
    checked = ChatSettings(
        **{name: check_setting(name, getattr(settings, name)) for name in SETTING_FIELDS}
    )
    info = next((m for m in models if m.id == checked.model), None)
    if (
        info
        and info.context_length
        and checked.max_tokens
        and checked.max_tokens >= info.context_length
    ):
        raise InputError(
            "settings.max_tokens_over_context",
            max_tokens=checked.max_tokens,
            model=info.id,
            context=info.context_length,
        )
    return checked


def save_defaults(settings: ChatSettings) -> None:
    """Store ``settings`` as the defaults of every chat (validated; ``None`` clears a field)."""
    with session_scope(write=True) as db:
        AppSettingsRepository(db).set_generation_defaults(settings)


def save_chat_settings(chat_id: int, settings: ChatSettings | None) -> ChatSummary:
    """Give one chat complete settings of its own (``None`` fields go to the server), or with
    ``None`` make it follow the defaults again."""
    with session_scope(write=True) as db:
        return ChatRepository(db).update_settings(chat_id, settings)


def reset_chat_settings(chat_id: int) -> ChatSummary:
    """The chat follows the defaults again."""
    return save_chat_settings(chat_id, None)


def language() -> str:
    """The interface language: the one saved on the settings page, else ``APP_LANGUAGE``."""
    with session_scope() as db:
        chosen = AppSettingsRepository(db).get(LANGUAGE_KEY)
    return chosen if chosen in LANGUAGES else get_settings().language


def set_language(code: str) -> None:
    """Save the interface language for every session."""
    if code not in LANGUAGES:
        raise InputError("input.invalid_value", name="language", value=code)
    with session_scope(write=True) as db:
        AppSettingsRepository(db).set(LANGUAGE_KEY, code)
