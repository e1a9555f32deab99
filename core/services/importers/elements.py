"""The elements of a top-level JSON array, one at a time, parsed by the standard ``json`` module.

ChatGPT's and Open WebUI's exports are one array of conversations, up to gigabytes of it. ``ijson``
streams any document, but building each conversation from its events costs about twice what
``json`` takes to parse the same bytes, and reading every element is most of an import's
parsing (``bench/transfer.py``). An array's elements are separate JSON values, so this reads the
stream in chunks and hands each element to :meth:`json.JSONDecoder.raw_decode` as soon as the
chunk holds all of it: the C parser does the work, and memory holds one chunk and one element.

- An element that runs past the end of what was read is parsed again once more has come in; the
  next read is at least as long as what is waiting, so a huge element is parsed a few times, not
  once per chunk. An error anywhere else is the document's: raised at once. A value followed by
  nothing but what a number may hold (``2.`` of ``2.5``) is parsed again with what follows.
- The same JSON as ``ijson`` accepts (:mod:`.detect` falls back on ``ijson`` for its sentences
  when this refuses a document): ``NaN`` and ``Infinity``, which ``json`` would take, are refused;
  numbers are ``int`` or ``float`` as with ``use_float=True``; a later duplicate key wins. One
  difference: an integer beyond 64 bits is read (``ijson`` refuses the file; the importers keep
  only numbers of the sizes they expect).
  A raw control character inside a string (a tab, a newline) is refused by both.
- What is not JSON raises ``ValueError`` (:class:`json.JSONDecodeError` or
  :class:`UnicodeDecodeError`, both subclasses).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import Any, Final, Protocol

CHUNK: Final = 64 * 1024  # bytes read at a time (an element longer than this is fine)
_SPACE: Final = re.compile(r"[ \t\n\r]*")
_NUMBER_TAIL: Final = re.compile(r"[0-9.eE+-]*")


class _Readable(Protocol):
    def read(self, size: int = -1) -> bytes: ...


def _no_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


_DECODER: Final = json.JSONDecoder(parse_constant=_no_constant)


class _Text:
    """The stream's text, decoded as it is read, with a read position."""

    def __init__(self, stream: _Readable) -> None:
        self._stream = stream
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.at = 0
        self.ended = False

    def more(self) -> bool:
        """Read on (at least as much as is waiting); False at the end of the stream."""
        if self.ended:
            return False
        waiting = len(self.text) - self.at
        chunk = self._stream.read(max(CHUNK, waiting))
        self.ended = not chunk
        self.text = self.text[self.at :] + self._utf8.decode(chunk, final=self.ended)
        self.at = 0
        return not self.ended

    def significant(self) -> str:
        """The next character that is not whitespace ("" at the end), not consumed."""
        while True:
            self.at = _SPACE.match(self.text, self.at).end()  # type: ignore[union-attr]
            if self.at < len(self.text):
                return self.text[self.at]
            if not self.more():
                return ""


def _may_be_cut(error: json.JSONDecodeError, text: _Text) -> bool:
    """Whether ``error`` may only mean that the element goes on past what was read (else the
    document is not JSON, and reading on would only hold more of it in memory)."""
    return error.pos >= len(text.text) - 16 or error.msg.startswith("Unterminated string")


def _error(text: _Text, message: str) -> json.JSONDecodeError:
    return json.JSONDecodeError(message, text.text, text.at)


def array_elements(stream: _Readable) -> Iterator[Any]:
    """Each element of the JSON array that ``stream`` holds (bytes, UTF-8, no byte-order mark)."""
    text = _Text(stream)
    if text.significant() != "[":
        raise _error(text, "Expecting '['")
    text.at += 1
    if text.significant() == "]":
        text.at += 1
    else:
        while True:
            text.significant()
            while True:
                try:
                    value, end = _DECODER.raw_decode(text.text, text.at)
                except json.JSONDecodeError as exc:
                    if _may_be_cut(exc, text) and text.more():
                        continue
                    raise
                if not _NUMBER_TAIL.fullmatch(text.text, end) or not text.more():
                    break
                # Nothing but what a number may hold after it: it may go on in what follows.
            text.at = end
            yield value
            after = text.significant()
            text.at += 1
            if after == "]":
                break
            if after != ",":
                raise _error(text, "Expecting ',' delimiter" if after else "Unexpected end")
    if text.significant():
        raise _error(text, "Extra data")
