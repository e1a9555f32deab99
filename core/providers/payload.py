"""The body of a chat-completions request, built the same way for every face of the provider.

Charla sends nothing it was not asked to send (see :mod:`core.vocab`): an option left ``None`` is
left out, so the server's own default applies. The option names are :data:`core.vocab.OPTION_KEYS`,
the same list the settings page and the stored chat settings use; an unknown name is a
``TypeError`` at once rather than a parameter the server silently ignores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from core.vocab import OPTION_KEYS

CHAT_PATH: Final = "/v1/chat/completions"

Message = dict[str, Any]  # {"role": …, "content": text, or a list of parts (images)}


def build_payload(
    messages: Sequence[Message],
    *,
    model: str | None,
    system_message: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    stream: bool = False,
    **options: Any,
) -> dict[str, Any]:
    """The JSON body of a chat-completions request. Unset options are left out (server defaults)."""
    unknown = set(options) - set(OPTION_KEYS)
    if unknown:
        raise TypeError(f"unknown generation options: {sorted(unknown)}")
    chat: list[Message] = [{"role": "system", "content": system_message}] if system_message else []
    chat.extend(messages)
    payload: dict[str, Any] = {"messages": chat, "stream": stream}
    if model:
        payload["model"] = model
    if temperature is not None:
        payload["temperature"] = temperature
    # max_tokens <= 0 (LM Studio's -1 included) means "no limit": omitting it works on every server.
    if max_tokens is not None and max_tokens > 0:
        payload["max_tokens"] = max_tokens
    for key in OPTION_KEYS:
        value = options.get(key)
        if value is not None and value != [] and value != ():
            payload[key] = list(value) if key == "stop" else value
    if stream:
        # Servers that know it (LM Studio 0.3.18+, llama-server, vLLM) then report token counts.
        payload["stream_options"] = {"include_usage": True}
    return payload
