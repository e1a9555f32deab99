"""Reading other apps' fields defensively: times, numbers, text and attachments.

Exported JSON is whatever the app wrote that year: a field may be missing, null, of another type,
or in other units (epoch seconds, milliseconds, ISO text). Every reader here takes anything and
returns a value of the expected type or ``None``: an odd field is dropped, it never fails a
conversation. What does fail one is raised by the importers as ``InputError("transfer.broken")``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final

from core.errors import InputError
from core.providers.reasoning import split_message

_MS_FROM: Final = 1e11  # epoch seconds reach this in the year 5138; milliseconds did in 1973
_LATEST: Final = 4102444800  # 2100-01-01: later is a unit mix-up, not a date


def broken(why: str) -> InputError:
    """A conversation that cannot be read: skipped, with ``why`` as the reason."""
    return InputError("transfer.broken", why=why)


def moment(value: Any) -> datetime | None:
    """An aware UTC datetime from epoch seconds or milliseconds (number or digits) or ISO text."""
    if type(value) is float and 0 < value < _LATEST:  # the usual case: epoch seconds
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                return None
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    seconds = float(value) / 1000 if abs(value) >= _MS_FROM else float(value)
    if not 0 < seconds < _LATEST:
        return None
    return datetime.fromtimestamp(seconds, UTC)


def integer(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not float(value).is_integer() or abs(value) >= 2**31:
        return None
    return int(value)


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def text(value: Any) -> str:
    """A string field, or "" for anything else."""
    return value if isinstance(value, str) else ""


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def join(parts: Iterable[str], separator: str = "\n\n") -> str:
    return separator.join(part for part in parts if part)


def placeholder(kind: str, name: str) -> str:
    """The line that stands for an attachment until Charla has them: ``[image: photo.png]``."""
    name = " ".join(name.split()) or kind
    return f"[{kind}: {name}]"


def attachment_kind(mime_or_type: str) -> str:
    """``image`` for an image (by MIME type or an app's file type), else ``file``."""
    return "image" if mime_or_type.lower().startswith("image") else "file"


def split_thinking(content: str) -> tuple[str, str]:
    """(answer, reasoning) of a stored answer that may hold inline ``<think>…</think>``."""
    if "think>" not in content:
        return content, ""
    return split_message({"content": content})


def content_key(raw: Any) -> str:
    """An id for a conversation whose source has none: a digest of its content, so that importing
    the same conversation again is still recognised."""
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)
    return "sha1:" + hashlib.sha1(canonical.encode("utf-8"), usedforsecurity=False).hexdigest()


def source_key(value: Any, raw: Any) -> str:
    """The source's id as text (at most 200 characters: a longer one is digested), else
    :func:`content_key`."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return content_key(raw)
    key = str(value).strip()
    if not key:
        return content_key(raw)
    if len(key) > 200:
        return "sha1:" + hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()
    return key
