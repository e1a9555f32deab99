"""Shared fixtures: an isolated configuration for every test, databases, and real servers.

- Every test runs with its own environment (autouse ``isolated_env``): a temporary SQLite
  database, ``LM_STUDIO_URL`` pointing where nothing listens, no model and no API key. A project
  ``.env`` cannot leak in: every key is set explicitly (an empty value means "not set").
- ``db`` gives a migrated database, once on SQLite and once on PostgreSQL (``db_url`` is
  parametrized; the PostgreSQL run is marked ``postgres``).
- ``postgres_server`` and ``llama_server`` start real services once per session
  (``devtools.servers``). When the machine cannot provide one, its tests are skipped with the
  reason, except under ``CI=true``, where they fail: CI must run them all.
- ``fake_server`` is the project's fake OpenAI/LM Studio server, with ``LM_STUDIO_URL`` set to it.
  Pass constructor arguments with
  ``@pytest.mark.parametrize("fake_server", [{"flavor": ...}], indirect=True)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest

from core.conf import db as conf_db
from core.conf import settings as conf_settings
from core.providers import llm_studio_api
from devtools.servers import LlamaServer, PostgresServer, ServiceUnavailable

T = TypeVar("T")

# Every configuration key Charla reads; set to "" (= unset) unless a test says otherwise.
CONFIG_KEYS = (
    "LM_STUDIO_URL",
    "LM_STUDIO_MODEL",
    "LM_STUDIO_API_KEY",
    "DATABASE_URL",
    "LM_STUDIO_CONNECT_TIMEOUT",
    "LM_STUDIO_FIRST_TOKEN_TIMEOUT",
    "LM_STUDIO_READ_TIMEOUT",
    "APP_LANGUAGE",
    "CHARLA_PASSWORD",
    "CHARLA_DEMO",
)
NOTHING_LISTENS_URL = "http://127.0.0.1:9"  # the discard port: connections are refused
# The engine's two names for one SmolLM2 (the first is the default): two models to compare.
ENGINE_MODELS = ("smollm2-135m-instruct", "smollm2-twin")


def need(factory: Callable[[], T], what: str) -> T:
    """Start a service, or skip the test with the reason (fail instead under ``CI=true``)."""
    try:
        return factory()
    except ServiceUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} unavailable (CI=true, so this fails): {exc.reason}", pytrace=False)
        pytest.skip(f"{what} unavailable: {exc.reason}")


def _reset_engine() -> None:
    """Forget the process's engine so the next use builds one from the current settings."""
    conf_db.reset()


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for key in CONFIG_KEYS:
        monkeypatch.setenv(key, "")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/charla-env.db")
    monkeypatch.setenv("LM_STUDIO_URL", NOTHING_LISTENS_URL)
    conf_settings.reset_settings()
    llm_studio_api.reset_provider()  # the process-wide provider was built from older settings
    yield
    conf_settings.reset_settings()
    llm_studio_api.reset_provider()
    _reset_engine()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = need(lambda: PostgresServer().start(), "PostgreSQL")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    """The session's one llama.cpp engine. It serves SmolLM2 under the two ``ENGINE_MODELS``
    names (llama-cpp-python's config-file mode): a request naming the other one makes the server
    load it in place of the first, as LM Studio's JIT loading does, so Compare has two models to
    compare without a second engine. Requests that name no model get the first."""
    server = need(lambda: LlamaServer(aliases=ENGINE_MODELS).start(), "llama.cpp engine")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def small_llama_server() -> Iterator[LlamaServer]:
    """A second engine whose context holds only 1,024 tokens: a long chat outgrows it soon."""
    server = need(lambda: LlamaServer(n_ctx=1024).start(), "llama.cpp engine (1,024 tokens)")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or PostgreSQL's test database with a fresh schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/charla.db"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return server.url


@pytest.fixture
def db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``db_url`` migrated to the newest schema and made the app's database (engine, settings)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    conf_settings.reset_settings()
    conf_db.configure(db_url)
    conf_db.init_db()
    yield db_url
    _reset_engine()


@pytest.fixture
def fake_server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The project's fake OpenAI/LM Studio server, running, with ``LM_STUDIO_URL`` set to it."""
    from tests.fakes.fake_llm_server import FakeLLMServer

    options: dict[str, Any] = getattr(request, "param", None) or {}
    server = FakeLLMServer(**options).start()
    monkeypatch.setenv("LM_STUDIO_URL", server.url)
    conf_settings.reset_settings()
    llm_studio_api.reset_provider()
    yield server
    server.stop()
