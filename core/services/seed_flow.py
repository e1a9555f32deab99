"""The seed's complete chat flow (``complete_chat_flow``), non-streamed, as the user's document
shows it — with the changes that make it keep every word:

- the user's message is committed before the model is called, so a failing server never loses it;
  the failure is stored as an answer with status ``error`` and its error code, then raised;
- the model's reasoning ("thinking") is kept apart: the answer returned, stored and later sent back
  as context is the answer alone, and the reasoning is stored in its own column. Every shape a
  server uses (inline ``<think>…</think>``, a missing opening tag, ``reasoning_content``,
  ``reasoning``) is split by the same code as the streamed path
  (:func:`core.providers.reasoning.split_message`);
- both messages go on the chat's selected branch, like ``create_message`` in the seed.

It uses the seed's async provider API (``lm_studio_provider.chat_completion``), unchanged: that is
the raw API and returns the server's JSON as it came.
"""

from __future__ import annotations

import time
from typing import Any

from core import errors
from core.conf.db import session_scope
from core.providers.llm_studio_api import LMStudioAPIProvider, get_provider
from core.providers.reasoning import split_message
from core.repositories.messages import MessageRepository
from core.text import check_user_message
from core.vocab import CONTEXT_LIMIT, SEED_SYSTEM_PROMPT, SEED_TEMPERATURE, Sender, Status


async def complete_chat_flow(
    chat_id: int,
    user_message: str,
    *,
    provider: LMStudioAPIProvider | None = None,
    system_message: str = SEED_SYSTEM_PROMPT,
    temperature: float = SEED_TEMPERATURE,
    limit: int = CONTEXT_LIMIT,
) -> str:
    """The seed's complete flow: the answer's text (without reasoning), stored with the user's
    message. Raises what the provider raises, after storing the failure."""
    provider = provider or get_provider()
    user_message = check_user_message(user_message)
    with session_scope(write=True) as db:
        repo = MessageRepository(db)
        context = repo.get_chat_context_for_llm(chat_id, limit=limit)  # ChatNotFound
        context.append({"role": "user", "content": user_message})
        repo.create_message(chat_id, Sender.USER, user_message)
    params = {"temperature": temperature, "system_prompt": system_message}
    started = time.perf_counter()
    try:
        response = await provider.chat_completion(
            messages=context, system_message=system_message, temperature=temperature
        )
    except errors.ProviderError as exc:
        code, details = exc.stored
        with session_scope(write=True) as db:
            MessageRepository(db).create_message(
                chat_id,
                Sender.LLM,
                "",
                status=Status.ERROR,
                error_code=code,
                error_params=details,
                model=provider.model,
                params=params,
            )
        raise
    choice: dict[str, Any] = response["choices"][0]
    content, reasoning = split_message(choice.get("message") or {})
    usage = response.get("usage") or {}
    with session_scope(write=True) as db:
        MessageRepository(db).create_message(
            chat_id,
            Sender.LLM,
            content,
            reasoning=reasoning,
            model=response.get("model") or provider.model,
            params=params,
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            finish_reason=choice.get("finish_reason"),
            time_to_first_token=time.perf_counter() - started,
        )
    return content
