"""The rules a generation setting obeys, shared by the repositories and the settings page.

Text rules (what a message or title may hold) live in :mod:`core.text`.
"""

from __future__ import annotations

import math
from typing import Any

from core.errors import InputError
from core.text import check_text

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
