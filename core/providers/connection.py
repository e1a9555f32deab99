"""A provider's link to its server, built on first use from a recipe: its arguments, or the configuration.

Why lazy: the seed writes ``from core.providers.llm_studio_api import lm_studio_provider`` at the top
of a script, so the process-wide provider exists from import time, but importing must not read
``.env`` (tests and ``make demo`` set the environment first). Why a recipe rather than a proxy
object: ``lm_studio_provider`` then stays an ordinary :class:`~core.providers.client.LMStudioAPIProvider`
(typed as one, ``isinstance`` works, nothing forwarded by ``__getattr__``); only what it holds —
this :class:`Connection` — is deferred, and :meth:`LazyConnection.reset` drops it so that the next
call follows a changed configuration.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from core.conf.settings import Settings, get_settings
from core.providers.catalog import Catalog
from core.providers.http import DEFAULT_MAX_RETRIES, AsyncHTTP, RetryPolicy, SyncHTTP, Timeouts


@dataclass(frozen=True)
class Connection:
    """What a provider talks to its server with: default model, both HTTP faces, the catalog."""

    model: str | None  # the configured model (LM_STUDIO_MODEL), if any
    http: SyncHTTP
    ahttp: AsyncHTTP
    catalog: Catalog

    def close(self) -> None:
        self.http.close()  # the async clients live for one call each: nothing to close


def connect(
    base_url: str,
    model: str | None = None,
    api_key: str | None = None,
    *,
    timeouts: Timeouts | None = None,
    max_retries: int = DEFAULT_MAX_RETRIES,
    transport: httpx.BaseTransport | None = None,
    async_transport: httpx.AsyncBaseTransport | None = None,
) -> Connection:
    """A connection from explicit arguments (no I/O: clients open on the first request)."""
    retry = RetryPolicy(max_retries=max_retries)
    http = SyncHTTP(base_url, api_key=api_key, timeouts=timeouts, retry=retry, transport=transport)
    ahttp = AsyncHTTP(
        base_url, api_key=api_key, timeouts=timeouts, retry=retry, transport=async_transport
    )
    return Connection(model or None, http, ahttp, Catalog(http, configured_model=model))


def connect_configured(settings: Settings | None = None) -> Connection:
    """A connection from the configuration (``LM_STUDIO_URL``, ``…_MODEL``, ``…_API_KEY``, timeouts)."""
    settings = settings or get_settings()
    return connect(
        settings.lm_studio_url,
        settings.lm_studio_model,
        settings.lm_studio_api_key.get() or None,
        timeouts=Timeouts(settings.connect_timeout, settings.read_timeout),
    )


class LazyConnection:
    """Builds a :class:`Connection` from ``recipe`` on first use. Thread-safe: threads that race on
    the first use share one connection."""

    def __init__(self, recipe: Callable[[], Connection]) -> None:
        self._recipe = recipe
        self._built: Connection | None = None
        self._lock = threading.Lock()

    def get(self) -> Connection:
        built = self._built
        if built is None:
            with self._lock:
                if self._built is None:
                    self._built = self._recipe()
                built = self._built
        return built

    def close(self) -> None:
        """Close the pooled connections; the same connection opens new ones when used again."""
        built = self._built
        if built is not None:
            built.close()

    def reset(self) -> None:
        """Close and forget the connection (and what it learnt about the server): the next use
        follows the recipe again."""
        with self._lock:
            old, self._built = self._built, None
        if old is not None:
            old.close()
