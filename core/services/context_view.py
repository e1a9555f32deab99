"""What the next request of a chat would carry, for the page: the context meter and which older
messages are no longer sent.

The chat page shows, under the chat input, "≈ 1,480 / 2,048 tokens": the system prompt and the
part of the selected branch that the next request would send, against the model's window — and
dims the older messages that would be left out, with a note. It is the same arithmetic the chat
service uses to build the request (:func:`core.services.context.fit_sizes`), on the messages'
byte sizes read from the database, not their texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.conf.db import session_scope
from core.repositories.messages import MessageRepository
from core.schemas import MessageRecord
from core.services import models
from core.services.chat import MAX_HISTORY, ChatService
from core.services.context import fit_sizes


@dataclass(frozen=True)
class ContextFit:
    """The next request of a chat, as far as the context goes."""

    tokens: int  # estimated: the system prompt and the history that would be sent
    context_length: int | None  # the model's window; None while unknown
    oldest_sent: int | None  # the oldest message that would be sent (None: none would)
    left_out: int  # messages of the branch that carry text and would not be sent

    def unsent_ids(self, messages: Sequence[MessageRecord]) -> set[int]:
        """Which of ``messages`` (of the branch) the next request would leave out."""
        if not self.left_out:
            return set()
        if self.oldest_sent is None:
            return {m.id for m in messages if m.content or m.attachments}
        return {m.id for m in messages if (m.content or m.attachments) and m.id < self.oldest_sent}


def context_fit(service: ChatService, chat_id: int) -> ContextFit:
    """How the chat's next request fits the model's context (``ChatNotFound`` if it is gone)."""
    settings = service.effective_settings(chat_id)
    model = settings.model or service.default_model()
    window = models.context_length(service.provider, model)
    limit = MAX_HISTORY if window else service.context_limit
    with session_scope() as db:
        repo = MessageRepository(db)
        newest = repo.branch_sizes(chat_id, limit + 1)
        total = len(newest) if len(newest) <= limit else repo.branch_length(chat_id)
    candidates = newest[:limit]
    estimator = service.estimator
    system = settings.system_prompt or ""
    fixed = estimator.tokens(len(system.encode("utf-8")), model) if system else 0
    if window:
        kept = fit_sizes(
            [size for _, size in reversed(candidates)],
            fixed,
            context_length=window,
            max_tokens=settings.max_tokens,
            estimator=estimator,
            model=model,
        )
    else:
        kept = len(candidates)
    sent = candidates[:kept]
    tokens = fixed + sum(estimator.tokens(size, model) for _, size in sent)
    return ContextFit(
        tokens=tokens,
        context_length=window,
        oldest_sent=sent[-1][0] if sent else None,
        left_out=max(0, total - kept),
    )
