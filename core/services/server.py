"""The model server as the pages see it: where it is, whether it answers, which models it offers.

A thin layer over the process-wide provider (:func:`core.providers.llm_studio_api.get_provider`),
so that pages reach the server through ``core.services`` like everything else, and never see the
API key (only whether one is set).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.providers.catalog import ConnectionStatus, ModelInfo
from core.providers.llm_studio_api import get_provider

__all__ = ["ConnectionStatus", "ModelInfo", "ServerInfo", "check", "list_models", "server_info"]


@dataclass(frozen=True)
class ServerInfo:
    url: str
    has_api_key: bool
    configured_model: str | None  # LM_STUDIO_MODEL, if set


def server_info() -> ServerInfo:
    provider = get_provider()
    return ServerInfo(provider.base_url, provider.has_api_key, provider.model)


def list_models(*, refresh: bool = False) -> list[ModelInfo]:
    """Every model the server offers (briefly cached); raises ``ProviderError`` saying why not."""
    return get_provider().list_models(refresh=refresh)


def check(model: str | None = None) -> ConnectionStatus:
    """Is the server reachable, which model would answer, is it loaded? Never raises."""
    return get_provider().check_connection(model)
