"""Fit a conversation into the model's context window.

The seed's ``limit`` (last N messages) always applies. When the model's context length is known,
the oldest turns are dropped until the prompt plus the answer's budget (``max_tokens``, or a
reserve when unlimited) fits. The system prompt and the new message are always kept.

Token counts are estimated without a tokenizer: UTF-8 bytes / 3 overestimates every tokenizer we
know for English (≈4 bytes a token), and for CJK or emoji (≈1 token a character, 3-4 bytes) it is
about right. After each answer the server's ``prompt_tokens`` refines the ratio for that model
(:class:`TokenEstimator.learn`), still keeping a 10 % safety margin.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

Message = dict[str, str]

DEFAULT_BYTES_PER_TOKEN = 3.0
PER_MESSAGE_OVERHEAD = 8  # role markers and separators of a chat template
SAFETY = 0.9


class TokenEstimator:
    """Conservative token estimates, refined per model from what servers report."""

    def __init__(self) -> None:
        self._ratio: dict[str, float] = {}
        self._lock = threading.Lock()

    def bytes_per_token(self, model: str | None) -> float:
        return self._ratio.get(model or "", DEFAULT_BYTES_PER_TOKEN)

    def count(self, messages: Sequence[Message], model: str | None = None) -> int:
        ratio = self.bytes_per_token(model)
        total = sum(len(m["content"].encode("utf-8")) for m in messages)
        return int(total / ratio) + PER_MESSAGE_OVERHEAD * len(messages)

    def learn(
        self, messages: Sequence[Message], prompt_tokens: int | None, model: str | None
    ) -> None:
        """Refine the ratio from a prompt the server counted as ``prompt_tokens``."""
        if not model or not prompt_tokens or prompt_tokens <= PER_MESSAGE_OVERHEAD * len(messages):
            return
        total = sum(len(m["content"].encode("utf-8")) for m in messages)
        measured = total / (prompt_tokens - PER_MESSAGE_OVERHEAD * len(messages)) * SAFETY
        with self._lock:
            # Never trust a ratio looser than the default's for long: average towards it.
            self._ratio[model] = max(1.0, min(measured, 6.0))


def answer_reserve(context_length: int, max_tokens: int | None) -> int:
    """Tokens kept free for the answer."""
    if max_tokens and max_tokens > 0:
        return max_tokens
    return min(1024, context_length // 4)


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
    """(messages to send without the system prompt, how many history messages were dropped)."""
    if not context_length:
        return [*history, new_message], 0
    fixed: list[Message] = [new_message]
    if system_prompt:
        fixed.append({"role": "system", "content": system_prompt})
    budget = (
        context_length - answer_reserve(context_length, max_tokens) - estimator.count(fixed, model)
    )
    kept: list[Message] = []
    for message in reversed(history):
        cost = estimator.count([message], model)
        if cost > budget:
            break
        budget -= cost
        kept.append(message)
    kept.reverse()
    # After trimming, never start with an orphaned assistant turn: some chat templates need a
    # user turn first.
    while len(kept) < len(history) and kept and kept[0]["role"] == "assistant":
        kept.pop(0)
    return [*kept, new_message], len(history) - len(kept)
