"""Fit a conversation into the model's context window.

When the model's context length is known (from the server, or learnt: :mod:`core.services.models`),
the oldest turns of the selected branch are left out until the prompt plus the answer's budget
(``max_tokens``, or a reserve when unlimited) fits. The system prompt and the new message are
always kept. When nothing says how much fits, the seed's limit applies (the last 20 messages), and
the first overflow teaches Charla the model's window.

Token counts are estimated without a tokenizer: UTF-8 bytes / 3 overestimates every tokenizer we
know for English (≈4 bytes a token), and for CJK or emoji (≈1 token a character, 3-4 bytes) it is
about right. After each answer the server's ``prompt_tokens`` (or the token count an overflow error
states) refines the ratio for that model (:meth:`TokenEstimator.learn`), keeping a 10 % margin.

The page's context meter and its dimmed "not sent" messages use the same arithmetic on byte sizes
(:func:`fit_sizes`), read from the database without the texts.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

Message = dict[str, Any]  # {"role": …, "content": text, or a list of parts when it has images}

DEFAULT_BYTES_PER_TOKEN = 3.0
PER_MESSAGE_OVERHEAD = 8  # role markers and separators of a chat template
SAFETY = 0.9
MIN_ANSWER_ROOM = 64  # tokens an answer needs at the very least
# An image costs vision models from 256 tokens (Gemma 3) to about 1,500 (Qwen2.5-VL at 1,536
# pixels): counted as the larger, in the bytes the estimates work in.
IMAGE_TOKENS = 1536
IMAGE_CONTEXT_BYTES = int(IMAGE_TOKENS * DEFAULT_BYTES_PER_TOKEN)


def content_size(content: str | list[dict[str, Any]]) -> int:
    """UTF-8 bytes of a message's content; a list of parts (text and images) counts its text
    and :data:`IMAGE_CONTEXT_BYTES` per image."""
    if isinstance(content, str):
        return len(content.encode("utf-8"))
    size = 0
    for part in content:
        if part.get("type") == "text":
            size += len(str(part.get("text", "")).encode("utf-8"))
        else:
            size += IMAGE_CONTEXT_BYTES
    return size


class TokenEstimator:
    """Conservative token estimates, refined per model from what servers report."""

    def __init__(self) -> None:
        self._ratio: dict[str, float] = {}
        self._lock = threading.Lock()

    def bytes_per_token(self, model: str | None) -> float:
        return self._ratio.get(model or "", DEFAULT_BYTES_PER_TOKEN)

    def learnt(self, model: str | None) -> bool:
        """Whether a server's count refined the ratio for ``model``."""
        return (model or "") in self._ratio

    def tighten(self, model: str | None, factor: float = 0.85) -> None:
        """Estimates for ``model`` ran short (an answer found no room): count more per byte."""
        with self._lock:
            self._ratio[model or ""] = max(1.0, self.bytes_per_token(model) * factor)

    def margin(self, model: str | None, context_length: int) -> int:
        """Tokens kept free for estimation error: a tenth of the window until a server's count
        refined the ratio for ``model``."""
        return 0 if self.learnt(model) else context_length // 10

    def tokens(self, size: int, model: str | None = None, *, messages: int = 1) -> int:
        """Tokens of ``messages`` messages holding ``size`` bytes of text."""
        return int(size / self.bytes_per_token(model)) + PER_MESSAGE_OVERHEAD * messages

    def count(self, messages: Sequence[Message], model: str | None = None) -> int:
        total = sum(content_size(m["content"]) for m in messages)
        return self.tokens(total, model, messages=len(messages))

    def learn(
        self, messages: Sequence[Message], prompt_tokens: int | None, model: str | None
    ) -> None:
        """Refine the ratio from a prompt the server counted as ``prompt_tokens``."""
        if not model or not prompt_tokens or prompt_tokens <= PER_MESSAGE_OVERHEAD * len(messages):
            return
        total = sum(content_size(m["content"]) for m in messages)
        measured = total / (prompt_tokens - PER_MESSAGE_OVERHEAD * len(messages)) * SAFETY
        with self._lock:
            self._ratio[model] = max(1.0, min(measured, 6.0))


def answer_reserve(context_length: int, max_tokens: int | None) -> int:
    """Tokens kept free for the answer."""
    if max_tokens and max_tokens > 0:
        return max_tokens
    return min(1024, context_length // 4)


def fit_sizes(
    sizes: Sequence[int],
    fixed_tokens: int,
    *,
    context_length: int,
    max_tokens: int | None,
    estimator: TokenEstimator,
    model: str | None,
) -> int:
    """How many of the newest history messages fit (``sizes``: their bytes, oldest first), beside
    ``fixed_tokens`` (the system prompt and the new message) and the answer's reserve."""
    budget = (
        context_length
        - answer_reserve(context_length, max_tokens)
        - estimator.margin(model, context_length)
        - fixed_tokens
    )
    kept = 0
    for size in reversed(sizes):
        cost = estimator.tokens(size, model)
        if cost > budget:
            break
        budget -= cost
        kept += 1
    return kept


def fit_context(
    history: Sequence[Message],
    new_message: Message,
    *,
    system_prompt: str | None,
    context_length: int | None,
    max_tokens: int | None,
    estimator: TokenEstimator,
    model: str | None = None,
) -> tuple[list[Message], int]:
    """(messages to send without the system prompt, how many history messages were left out)."""
    if not context_length:
        return [*history, new_message], 0
    fixed: list[Message] = [new_message]
    if system_prompt:
        fixed.append({"role": "system", "content": system_prompt})
    kept_count = fit_sizes(
        [content_size(m["content"]) for m in history],
        estimator.count(fixed, model),
        context_length=context_length,
        max_tokens=max_tokens,
        estimator=estimator,
        model=model,
    )
    kept = list(history[len(history) - kept_count :]) if kept_count else []
    # After trimming, never start with an orphaned assistant turn: some chat templates need a
    # user turn first.
    while len(kept) < len(history) and kept and kept[0]["role"] == "assistant":
        kept.pop(0)
    return [*kept, new_message], len(history) - len(kept)


def fits_alone(
    new_message: Message,
    *,
    system_prompt: str | None,
    context_length: int,
    estimator: TokenEstimator,
    model: str | None,
) -> tuple[bool, int]:
    """Whether the new message and the system prompt leave an answer some room; and their
    estimated tokens."""
    fixed: list[Message] = [new_message]
    if system_prompt:
        fixed.append({"role": "system", "content": system_prompt})
    tokens = estimator.count(fixed, model)
    return tokens + MIN_ANSWER_ROOM <= context_length, tokens
