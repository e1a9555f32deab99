"""Rules every stored text and setting obeys, shared by the repositories and the settings page."""

from __future__ import annotations

import math
from typing import Any

from core.errors import InputError

# 1 MB of text per message is far beyond any model's context; bigger is a paste accident.
MAX_MESSAGE_CHARS = 1_000_000
MAX_TITLE_CHARS = 200
MAX_STOP_STRINGS = 4  # what OpenAI-compatible servers accept

# name: (low, high, integer?)
RANGES: dict[str, tuple[float, float, bool]] = {
    "temperature": (0.0, 2.0, False),
    "max_tokens": (1, 1_000_000, True),
    "top_p": (0.0, 1.0, False),
    "top_k": (0, 1000, True),
    "repeat_penalty": (0.0, 10.0, False),
    "seed": (-(2**31), 2**31 - 1, True),
}


def check_text(text: str, *, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Refuse text a database cannot store faithfully, or that is too long.

    NUL: PostgreSQL rejects it in text. Lone surrogates (``\\ud83d`` without its pair, which JSON
    can carry): not encodable as UTF-8, so no database driver can store them.
    """
    if "\x00" in text:
        raise InputError("input.nul_character")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError("input.invalid_characters") from None
    if len(text) > limit:
        raise InputError("input.message_too_long", length=len(text), limit=limit)
    return text


def storable(text: str) -> str:
    """Text from a model or a server, made storable: NUL and lone surrogates become U+FFFD (a
    model's output is kept, never refused; a split surrogate pair is joined back first)."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def check_user_message(text: str) -> str:
    if not text or not text.strip():
        raise InputError("input.empty_message")
    return check_text(text)


def check_setting(name: str, value: Any) -> Any:
    """``value`` if it is a valid value for setting ``name`` (``None`` = unset), else InputError."""
    if value is None:
        return None
    if name == "stop":
        if isinstance(value, str):
            value = [value]
        if (
            not all(isinstance(item, str) and item for item in value)
            or len(value) > MAX_STOP_STRINGS
        ):
            raise InputError("input.invalid_value", name=name, value=value)
        return tuple(check_text(item, limit=200) for item in value)
    if name in ("model", "system_prompt"):
        if not isinstance(value, str):
            raise InputError("input.invalid_value", name=name, value=value)
        return check_text(value, limit=300 if name == "model" else 100_000)
    low, high, integer = RANGES[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError("input.invalid_value", name=name, value=value)
    if integer and not float(value).is_integer():
        raise InputError("input.invalid_value", name=name, value=value)
    if math.isnan(value) or not low <= value <= high:
        raise InputError("input.out_of_range", name=name, low=low, high=high, value=value)
    return int(value) if integer else float(value)
