"""Charla's configuration, read once from the environment and ``.env``.

Precedence: real environment variables win over ``.env`` (python-dotenv's ``override=False``), so a
CI job or a shell ``export`` can always replace what a user's file says. Every key is validated when
the settings are built; a wrong value raises :class:`core.errors.ConfigError` naming the key and what
is wrong, so the app fails at start with a clear sentence instead of at the first request.

``CHARLA_DEMO`` is not for users to set: ``make demo`` (``scripts/demo.py``) sets it for the app it
starts when it also started the bundled llama.cpp engine, so that "the server does not answer" can
say the right thing (the demo's engine stopped: restart ``make demo``) instead of advising LM Studio.

Secrets: ``LM_STUDIO_API_KEY`` is kept in a ``SecretStr`` whose ``repr``/``str`` never show the value,
so printing or logging the settings cannot leak it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from core.errors import ConfigError
from core.vocab import CONNECT_TIMEOUT, READ_TIMEOUT

PROJECT_ROOT = Path(__file__).resolve().parents[2]

DEFAULT_LM_STUDIO_URL = "http://127.0.0.1:1234"
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'charla.db'}"
DEFAULT_CONNECT_TIMEOUT = CONNECT_TIMEOUT
DEFAULT_READ_TIMEOUT = READ_TIMEOUT
SUPPORTED_LANGUAGES = ("en", "es")
AUTH_MODES = ("none", "oidc", "proxy")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class SecretStr:
    """A string that never shows itself in ``repr``, ``str`` or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "SecretStr('**********')" if self._value else "SecretStr('')"

    __str__ = __repr__


@dataclass(frozen=True)
class Settings:
    """Validated configuration. Build it with :func:`load_settings`."""

    lm_studio_url: str = DEFAULT_LM_STUDIO_URL
    lm_studio_model: str | None = None
    lm_studio_api_key: SecretStr = field(default_factory=lambda: SecretStr(""))
    database_url: str = DEFAULT_DATABASE_URL
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    language: str = "en"
    password: SecretStr = field(default_factory=lambda: SecretStr(""))
    demo: bool = False  # run by `make demo` with its bundled engine (CHARLA_DEMO)
    # Who is this (core.identity): "none" (one person), "oidc" (Streamlit's sign-in) or "proxy"
    # (a trusted reverse-proxy header). CHARLA_ADMINS: emails that may see the users page.
    auth: str = "none"
    admins: frozenset[str] = frozenset()


def _url(key: str, value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise ConfigError(
            key,
            f"{value!r} is not a URL with a scheme and a host; write it like "
            f"{schemes[0]}://127.0.0.1:1234",
        )
    return value.rstrip("/")


def _positive_float(key: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(key, f"{value!r} is not a number of seconds") from None
    if not number > 0 or number == float("inf"):
        raise ConfigError(key, f"{value!r} must be a positive number of seconds")
    return number


def _flag(key: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE or lowered in _FALSE:
        return lowered in _TRUE
    raise ConfigError(key, f"{value!r} is not a yes/no value; use 1 or 0")


def _database_url(key: str, value: str) -> str:
    if "://" not in value:
        raise ConfigError(
            key, f"{value!r} is not a database URL; use sqlite:///path or postgresql+psycopg://…"
        )
    return value


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | str | None = None
) -> Settings:
    """Read and validate the configuration.

    ``environ`` defaults to ``os.environ``; ``env_file`` to ``.env`` in the project root. Values from
    the environment take precedence over the file.
    """
    path = Path(env_file) if env_file is not None else PROJECT_ROOT / ".env"
    values: dict[str, str] = {
        k: v for k, v in (dotenv_values(path) if path.is_file() else {}).items() if v is not None
    }
    values.update(os.environ if environ is None else environ)

    def get(key: str) -> str | None:
        raw = values.get(key)
        return raw.strip() if raw is not None and raw.strip() else None

    url = get("LM_STUDIO_URL")
    model = get("LM_STUDIO_MODEL")
    database = get("DATABASE_URL")
    demo = get("CHARLA_DEMO")
    language = (get("APP_LANGUAGE") or "en").lower()
    if language not in SUPPORTED_LANGUAGES:
        raise ConfigError(
            "APP_LANGUAGE", f"{language!r} is not one of {', '.join(SUPPORTED_LANGUAGES)}"
        )

    auth = (get("CHARLA_AUTH") or "none").lower()
    if auth not in AUTH_MODES:
        raise ConfigError("CHARLA_AUTH", f"{auth!r} is not one of {', '.join(AUTH_MODES)}")
    admins = frozenset(
        email.strip().lower() for email in (get("CHARLA_ADMINS") or "").split(",") if email.strip()
    )

    def seconds(key: str, default: float) -> float:
        raw = get(key)
        return default if raw is None else _positive_float(key, raw)

    return Settings(
        lm_studio_url=_url("LM_STUDIO_URL", url, ("http", "https"))
        if url
        else DEFAULT_LM_STUDIO_URL,
        lm_studio_model=model,
        lm_studio_api_key=SecretStr(get("LM_STUDIO_API_KEY") or ""),
        database_url=_database_url("DATABASE_URL", database) if database else DEFAULT_DATABASE_URL,
        connect_timeout=seconds("LM_STUDIO_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT),
        read_timeout=seconds("LM_STUDIO_READ_TIMEOUT", DEFAULT_READ_TIMEOUT),
        language=language,
        password=SecretStr(get("CHARLA_PASSWORD") or ""),
        demo=_flag("CHARLA_DEMO", demo) if demo else False,
        auth=auth,
        admins=admins,
    )


_settings: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, loaded on first use."""
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    global _settings
    _settings = None
