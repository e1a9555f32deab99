"""Configuration (issue 2, section 2): defaults, ``.env``, the environment winning over the file,
wrong values failing with the key's name, and the API key never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.conf.settings import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_DATABASE_URL,
    DEFAULT_LM_STUDIO_URL,
    DEFAULT_READ_TIMEOUT,
    get_settings,
    load_settings,
    reset_settings,
)
from core.errors import ConfigError
from core.providers.llm_studio_api import (
    LMStudioAPIProvider,
    get_provider,
    lm_studio_provider,
    reset_provider,
)

SECRET = "sk-lm-Zx9-very-secret-token"


def write_env(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "test.env"
    path.write_text(text)
    return path


def test_defaults_without_file_or_environment(tmp_path: Path) -> None:
    settings = load_settings(environ={}, env_file=tmp_path / "missing.env")
    assert settings.lm_studio_url == DEFAULT_LM_STUDIO_URL == "http://127.0.0.1:1234"
    assert settings.lm_studio_model is None  # the first loaded model the server reports
    assert not settings.lm_studio_api_key
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.database_url.startswith("sqlite:///")
    assert Path(settings.database_url.removeprefix("sqlite:///")).parent.name == "data"
    assert settings.connect_timeout == DEFAULT_CONNECT_TIMEOUT
    assert settings.read_timeout == DEFAULT_READ_TIMEOUT
    # short to connect, long for the first token (JIT model loading)
    assert settings.connect_timeout < settings.read_timeout
    assert settings.language == "en"


def test_empty_values_mean_unset(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"LM_STUDIO_URL": "", "LM_STUDIO_MODEL": "  ", "DATABASE_URL": ""},
        env_file=tmp_path / "missing.env",
    )
    assert settings.lm_studio_url == DEFAULT_LM_STUDIO_URL
    assert settings.lm_studio_model is None
    assert settings.database_url == DEFAULT_DATABASE_URL


def test_env_file_is_read(tmp_path: Path) -> None:
    env = write_env(
        tmp_path,
        "# the seed's .env\n"
        "LM_STUDIO_URL=http://127.0.0.1:1234\n"
        "LM_STUDIO_MODEL=qwen/qwen3-8b\n"
        f"LM_STUDIO_API_KEY={SECRET}\n"
        "DATABASE_URL=postgresql+psycopg://charla@127.0.0.1:5432/charla\n"
        "LM_STUDIO_CONNECT_TIMEOUT=2.5\n"
        "LM_STUDIO_READ_TIMEOUT=120\n",
    )
    settings = load_settings(environ={}, env_file=env)
    assert settings.lm_studio_url == "http://127.0.0.1:1234"
    assert settings.lm_studio_model == "qwen/qwen3-8b"
    assert settings.lm_studio_api_key.get() == SECRET
    assert settings.database_url == "postgresql+psycopg://charla@127.0.0.1:5432/charla"
    assert settings.connect_timeout == 2.5
    assert settings.read_timeout == 120.0


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    env = write_env(tmp_path, "LM_STUDIO_URL=http://127.0.0.1:1234\nLM_STUDIO_MODEL=from-file\n")
    settings = load_settings(
        environ={"LM_STUDIO_URL": "http://10.0.0.5:8080/", "LM_STUDIO_MODEL": "from-env"},
        env_file=env,
    )
    assert settings.lm_studio_url == "http://10.0.0.5:8080"
    assert settings.lm_studio_model == "from-env"


def test_get_settings_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LM_STUDIO_MODEL", "from-process-env")
    reset_settings()
    assert get_settings().lm_studio_model == "from-process-env"
    assert get_settings() is get_settings()  # read once


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("LM_STUDIO_URL", "127.0.0.1:1234", "scheme"),
        ("LM_STUDIO_URL", "localhost:1234", "scheme"),
        ("LM_STUDIO_URL", "ftp://127.0.0.1:1234", "scheme"),
        ("LM_STUDIO_CONNECT_TIMEOUT", "five", "not a number"),
        ("LM_STUDIO_READ_TIMEOUT", "10s", "not a number"),
        ("LM_STUDIO_READ_TIMEOUT", "-3", "positive"),
        ("DATABASE_URL", "charla.db", "not a database URL"),
    ],
)
def test_invalid_value_names_the_key(tmp_path: Path, key: str, value: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={key: value}, env_file=tmp_path / "missing.env")
    error = info.value
    assert error.key == key
    message = str(error)
    assert key in message
    assert value in message
    assert words in message
    assert ".env" in message  # says where to fix it
    assert key in error.user_message("es")


def test_invalid_value_in_the_file_names_the_key(tmp_path: Path) -> None:
    env = write_env(tmp_path, "LM_STUDIO_URL=127.0.0.1:1234\n")
    with pytest.raises(ConfigError, match="LM_STUDIO_URL"):
        load_settings(environ={}, env_file=env)


def test_bootstrap_fails_at_start_with_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.bootstrap import start

    monkeypatch.setenv("LM_STUDIO_CONNECT_TIMEOUT", "abc")
    reset_settings()
    with pytest.raises(ConfigError, match="LM_STUDIO_CONNECT_TIMEOUT"):
        start()


def test_api_key_never_shown_by_settings(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"LM_STUDIO_API_KEY": SECRET, "CHARLA_PASSWORD": "hunter2-password"},
        env_file=tmp_path / "missing.env",
    )
    assert settings.lm_studio_api_key  # it is set …
    for shown in (
        repr(settings),
        str(settings),
        f"{settings}",
        repr(settings.lm_studio_api_key),
        str(settings.lm_studio_api_key),
        f"{settings.lm_studio_api_key}",
    ):
        assert SECRET not in shown  # … but never shown
        assert "hunter2-password" not in shown


def test_api_key_never_shown_by_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LM_STUDIO_API_KEY", SECRET)
    reset_settings()
    reset_provider()
    provider = get_provider()
    assert provider.has_api_key
    for shown in (repr(provider), str(provider), repr(lm_studio_provider), str(lm_studio_provider)):
        assert SECRET not in shown
    direct = LMStudioAPIProvider("http://127.0.0.1:1234", api_key=SECRET)
    try:
        assert SECRET not in repr(direct) and SECRET not in str(direct)
    finally:
        direct.close()
