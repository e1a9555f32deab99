"""What Charla knows about a model's context window, and how it learns it.

In order: what the server says now (LM Studio's model list gives the loaded context; llama.cpp's
``/props`` its ``n_ctx``: :meth:`LMStudioAPIProvider.context_length`, briefly cached), else what was
learnt earlier and stored (``model_facts``). Servers that say nothing (llama-cpp-python, Ollama's
``/v1``) teach it the first time a conversation overflows: the error names the window ("maximum
context length is 1024 tokens"), or, when the server only closes the stream, a one-token probe of
the same request makes it name it (:func:`probe_context_length`).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from core import errors
from core.conf.db import session_scope
from core.providers.llm_studio_api import LMStudioAPIProvider
from core.repositories.model_facts import ModelFactRepository
from core.services.context import content_size

log = logging.getLogger("charla.models")

Message = dict[str, Any]
PADDING_WORDS = 2048  # at least this much filler when probing a window the prompt nearly fills


def context_length(provider: LMStudioAPIProvider, model: str | None) -> int | None:
    """The model's context window in tokens, or ``None`` when nothing says it (yet)."""
    if not model:
        return None
    said = provider.context_length(model)
    if said:
        return said
    with session_scope() as db:
        return learnt_context_length(db, model)


def learnt_context_length(db: Session, model: str | None) -> int | None:
    """What was learnt of ``model``'s window, read in the caller's transaction: a turn asks the
    server first, outside its write transaction (which never waits on the network), then this."""
    return ModelFactRepository(db).context_length(model) if model else None


def learn_context_length(model: str | None, tokens: int, source: str) -> None:
    """Remember a model's window (learnt from an overflow: ``source`` says how)."""
    if not model or tokens <= 0:
        return
    with session_scope(write=True) as db:
        ModelFactRepository(db).learn_context_length(model, tokens, source)
    log.info("learnt the context length of %s: %d tokens (%s)", model, tokens, source)


def _one_token(
    provider: LMStudioAPIProvider,
    messages: list[Message],
    model: str | None,
    system_prompt: str | None,
) -> tuple[int | None, int | None] | None:
    """(window, prompt tokens) if the server refuses this request for its size; else None."""
    try:
        provider.complete(messages, model=model, system_message=system_prompt or None, max_tokens=1)
    except errors.ContextOverflow as exc:
        return exc.params.get("context_length"), exc.params.get("requested")
    except errors.CharlaError:
        return None
    return None


def probe_context_length(
    provider: LMStudioAPIProvider,
    messages: list[Message],
    *,
    model: str | None,
    system_prompt: str | None,
) -> tuple[int | None, int | None]:
    """Make the server name its window, after an answer that came back empty.

    First one token of the same request, not streamed: a server that silently closed the stream
    of an oversized prompt refuses this one with an error naming its window. If that request
    fits, the prompt may have filled the window all but a few tokens (the answer had no room):
    the same request with as much text again added must then overflow and name it. Returns
    (window, the refused prompt's tokens); (None, None) when the server has room to spare (the
    empty answer had another cause) or says nothing.
    """
    found = _one_token(provider, messages, model, system_prompt)
    if found is not None:
        return found
    size = sum(content_size(m["content"]) for m in messages) + len(system_prompt or "")
    padding = {"role": "user", "content": "x " * max(size // 2, PADDING_WORDS)}
    padded = _one_token(provider, [*messages, padding], model, system_prompt)
    # The window only: the refused prompt's size counts the padding, not what was sent.
    return (padded[0], None) if padded is not None else (None, None)
