"""Charla's fixed vocabularies and defaults, each defined once.

- :class:`Sender`, :class:`Status` and :class:`EventKind` are ``StrEnum``\\ s: they compare equal to
  the plain strings stored in the database and sent over the wire (``Sender.LLM == "llm"``), so
  rows written before they existed, the seed's ``create_message(chat_id, "llm", …)`` and JSON all
  keep working, while the code gets one name per value and a typo becomes an ``AttributeError``.
- :data:`OPTION_KEYS` are the generation options beside model, system prompt, temperature and
  max_tokens; :data:`SETTING_FIELDS` all of them, in the order the settings page shows them.
- Generation defaults: Charla sends **nothing** it was not asked to send. With no saved default a
  request carries no temperature, no max_tokens, no top_p…: the server's own default applies, and
  the settings page says "server default" instead of showing a number (what the page shows is what
  is sent). The seed's async API keeps its documented ``temperature=0.7`` default argument
  (:data:`SEED_TEMPERATURE`): that is what its callers pass explicitly.
- :data:`MESSAGE_FIELDS`: a stored message's fields, listed once for the exports and the import
  (which write and read them by position).
- Timeouts and the number of past messages the seed sends (:data:`CONTEXT_LIMIT`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Sender(StrEnum):
    """Who wrote a message (the seed's ``sender`` column)."""

    USER = "user"
    LLM = "llm"

    @property
    def role(self) -> str:
        """The OpenAI chat role: ``user`` → ``user``, ``llm`` → ``assistant``."""
        return "assistant" if self is Sender.LLM else "user"


def role_of(sender: str) -> str:
    """The OpenAI role of a stored ``sender`` string."""
    return Sender(sender).role


class Status(StrEnum):
    """Where an answer is in its life. A user message is always ``complete``."""

    COMPLETE = "complete"
    STREAMING = "streaming"  # being written by a live process (its ``writer``)
    STOPPED = "stopped"  # Stop, or the writing process died (error code ``error.interrupted``)
    ERROR = "error"  # failed; ``error_code``/``error_params`` say why


class EventKind(StrEnum):
    """What a streamed answer event carries."""

    CONTENT = "content"
    REASONING = "reasoning"
    RECLASSIFY = "reclassify"  # everything taken as content so far was reasoning (no text)


# The error code of an answer whose writing process died (see core.services.liveness).
INTERRUPTED: Final = "error.interrupted"

# --- stored messages --------------------------------------------------------------------------------
# A message's stored fields, but the live ones (writer, stop flag), the derived depth and the times:
# what a message of an export holds (core.services.export.records), and, with depth and the times,
# what an import writes (core.repositories.imports).
MESSAGE_FIELDS: Final = (
    "id",
    "chat_id",
    "parent_id",
    "selected",
    "sender",
    "content",
    "reasoning",
    "status",
    "error_code",
    "error_params",
    "error",
    "model",
    "params",
    "prompt_tokens",
    "completion_tokens",
    "time_to_first_token",
    "tokens_per_second",
    "load_time",
    "finish_reason",
)

# --- generation settings ----------------------------------------------------------------------------
OPTION_KEYS: Final = ("top_p", "top_k", "repeat_penalty", "seed", "stop")
NUMERIC_FIELDS: Final = ("temperature", "max_tokens", "top_p", "top_k", "repeat_penalty", "seed")
SETTING_FIELDS: Final = ("model", "system_prompt", "temperature", "max_tokens", *OPTION_KEYS)

SEED_TEMPERATURE: Final = 0.7  # the seed API's documented default argument
SEED_SYSTEM_PROMPT: Final = "Eres un asistente inteligente y útil."  # the seed's complete flow
CONTEXT_LIMIT: Final = 20  # the seed's default number of past messages sent to the model
MAX_TOKENS_SCALE: Final = 32_768  # the max_tokens slider's top when the context is unknown

# --- timeouts (seconds) -----------------------------------------------------------------------------
CONNECT_TIMEOUT: Final = 5.0
# The longest wait for the first (or next) token. The first one can wait for LM Studio to load a
# model just in time: tens of seconds is normal, minutes for a large model on a slow disk.
READ_TIMEOUT: Final = 300.0
WRITE_TIMEOUT: Final = 30.0
DEFAULT_SYSTEM_PROMPT: Final = "You are a helpful, concise assistant."  # shown, and so sent
