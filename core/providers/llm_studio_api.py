"""The seed's import path: ``from core.providers.llm_studio_api import lm_studio_provider``.

A thin facade. The provider itself is :class:`core.providers.client.LMStudioAPIProvider`; this module
gives the process its one shared instance and re-exports the names callers and tests import from
here, so the seed's examples (``app.`` → ``core.``) keep working unchanged.

``lm_studio_provider`` is an ordinary, typed :class:`LMStudioAPIProvider` built with
:meth:`~LMStudioAPIProvider.configured`: importing this module reads nothing; the first call reads
the configuration (``.env`` and the environment) and connects; :func:`reset_provider` makes the next
call read it again (tests change the environment between cases). Building is guarded by a lock,
so threads that race on the first call share one connection.
"""

from __future__ import annotations

from typing import Final

from core.providers.catalog import ConnectionStatus, ModelInfo
from core.providers.client import LMStudioAPIProvider
from core.providers.http import RetryPolicy, Timeouts
from core.providers.stream import ReplyStream, StreamStats

__all__ = [
    "ConnectionStatus",
    "LMStudioAPIProvider",
    "ModelInfo",
    "ReplyStream",
    "RetryPolicy",
    "StreamStats",
    "Timeouts",
    "get_provider",
    "lm_studio_provider",
    "reset_provider",
]

lm_studio_provider: Final[LMStudioAPIProvider] = LMStudioAPIProvider.configured()


def get_provider() -> LMStudioAPIProvider:
    """The process-wide provider, built from the configuration on first use."""
    return lm_studio_provider


def reset_provider() -> None:
    """Close the process-wide provider's connections; its next use reads the configuration again."""
    lm_studio_provider.reset()
