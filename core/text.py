"""What text Charla can store: the rules every message, title and setting string obeys.

Two directions, two policies:

- text a **person** typed is checked (:func:`check_text`, :func:`check_user_message`): what no
  database can store faithfully is refused with an :class:`~core.errors.InputError` that says what
  to fix, so the person keeps their text and decides;
- text a **model or server** sent is made storable (:func:`storable`): a model's output is kept,
  never refused, with the impossible characters replaced by U+FFFD.

Impossible characters: NUL (PostgreSQL rejects it in text) and lone surrogates (``\\ud83d`` without
its pair, which JSON can carry; not encodable as UTF-8, so no driver can store them).
"""

from __future__ import annotations

from core.errors import InputError

# 1 MB of text per message is far beyond any model's context; bigger is a paste accident.
MAX_MESSAGE_CHARS = 1_000_000
MAX_TITLE_CHARS = 200


def check_text(text: str, *, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` if a database can store it faithfully and it is not too long; else InputError."""
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
    split surrogate pair is joined back first)."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def check_user_message(text: str) -> str:
    """A message a person wants to send: not blank, and storable."""
    if not text or not text.strip():
        raise InputError("input.empty_message")
    return check_text(text)
