"""Which chat export a document is, judged from its content, and how many conversations it holds.

The first pass of every import (:func:`detect`) reads each document whole, streamed, so that
**bad input changes nothing**: a file that is not JSON, ends too early (a truncated download), or
has no shape Charla knows is refused before a single conversation of it is stored. The same pass
counts the conversations, which is the total of the progress bar. The second pass
(:func:`conversations`) streams them one at a time. An array (the big exports) is read element by
element by the ``json`` module (:mod:`.elements`: the faster parser for whole conversations);
objects, and an array ``json`` refuses (to say why), by the streaming parser ``ijson`` (its C
backend).

Shapes, decided from the content alone, never from the file name:

===============  ===================================================  ==========================
source           the document                                         conversations at
===============  ===================================================  ==========================
Charla           an object with ``"format": "charla"``                ``chats.item``
ChatGPT          an array of conversations with a ``mapping``         ``item`` (or the object)
Open WebUI       an array of chats with ``chat.history`` (or legacy   ``item`` (or the object)
                 chats with ``history`` themselves)
LM Studio        one conversation: ``messages`` with ``versions``     the object (arrays too)
===============  ===================================================  ==========================

An array is judged by its first element; a later element of another shape is a broken
conversation, skipped with its reason. Memory stays bounded: an array is read one element at a
time; a single conversation (an object that is not a Charla document) is loaded whole, so it may
hold at most :data:`MAX_SINGLE_BYTES`.

Text: a UTF-8 byte-order mark is skipped; other encodings are "not JSON". JSON can carry text no
database can store: a NUL (``\\u0000``) and an unpaired surrogate escape (``"\\ud83d"`` without
its other half, which apps write when they cut an emoji in two). The parser passes a NUL on, but
turns unpaired surrogates into ``?`` or fails on them, so :class:`_Unpaired` rewrites each one,
before the parser sees it, as :data:`UNPAIRED` (U+FFFF, a noncharacter no real text holds). When a
conversation is stored (:mod:`.load`) both are handled as the chat page does: in a person's message
they are refused with the chat page's sentence; elsewhere they become U+FFFD.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import IO, Any, Final

import ijson

from core.errors import InputError
from core.services.importers.elements import array_elements
from core.services.importers.sources import Document, human_size

MAX_SINGLE_BYTES: Final = 64 * 1024**2
BOM: Final = b"\xef\xbb\xbf"
UNPAIRED: Final = "\uffff"  # what an unpaired surrogate escape is read as (see the module)
_UNPAIRED_ESCAPE: Final = b"\\uffff"
# A surrogate escape: a high one with the low one that should follow it, or either alone.
_SURROGATE: Final = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?|\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_HOLD: Final = (
    12  # bytes kept back: a high surrogate escape at a chunk's end may be paired after it
)
_CONTEXT: Final = 64  # bytes of what came before, to see whether a backslash is itself escaped
_WHITESPACE: Final = b" \t\r\n"


class Kind(StrEnum):
    """A source format; the value is what ``chats.source`` records."""

    CHARLA = "charla"
    CHATGPT = "chatgpt"
    LMSTUDIO = "lmstudio"
    OPENWEBUI = "openwebui"


# Fields by which the elements of an array are counted (the first the first element has): small
# values each app writes in every conversation. An element without it is still imported; the
# progress total then grows to match (see load.py).
_COUNTED_BY: Final = {
    Kind.CHATGPT: ("title", "id", "mapping"),
    Kind.OPENWEBUI: ("id", "title", "chat", "history"),
    Kind.LMSTUDIO: ("createdAt", "name", "messages"),
    Kind.CHARLA: ("id",),
}


@dataclass(frozen=True)
class Shape:
    kind: Kind
    prefix: str  # where ijson finds the conversations; "" is the document itself
    count: int
    presets: Any = None  # a Charla document's "presets", read in the same pass (None: none)
    by_json: bool = True  # an array that the json module reads (see _array)


class _Prefixed:
    """A stream with bytes already read put back in front (ijson only calls ``read``)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._rest.read(size)
        if size < 0:
            data, self._head = self._head + self._rest.read(), b""
            return data
        data, self._head = self._head[:size], self._head[size:]
        return data


class _Unpaired:
    """A stream with every unpaired surrogate escape rewritten as ``\\uffff`` (same length).

    Fast when there is nothing to do: a chunk without ``\\ud`` passes through as it is. Otherwise
    each surrogate escape found is checked: a pair is left alone; so is a ``\\u`` whose backslash
    is itself escaped (``\\\\ud83d`` is text, not an escape). The last bytes of each chunk wait for
    the next one, where a pair's second half may be.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._held = b""
        self._context = b""

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing first, to see whether the stream gives bytes
            return b""
        while True:
            chunk: bytes = self._stream.read(size if size > 0 else 64 * 1024)
            data = self._held + chunk
            ready = len(data) if not chunk else max(0, len(data) - _HOLD)
            if b"\\ud" in data or b"\\uD" in data:
                out, used = self._rewrite(data, ready, final=not chunk)
            else:
                out, used = data[:ready], ready
            self._held = data[used:]
            if out or not chunk:
                tail = out if len(out) >= _CONTEXT else self._context + out
                self._context = tail[-_CONTEXT:]
                return out

    def _rewrite(self, data: bytes, ready: int, *, final: bool) -> tuple[bytes, int]:
        """(``data`` up to ``ready`` or just before an escape that runs past it, rewritten; how
        many bytes of ``data`` that is)."""
        window = self._context + data
        offset = len(self._context)
        parts: list[bytes] = []
        done = offset  # window position written so far
        for match in _SURROGATE.finditer(window):
            if match.start() < offset:
                continue  # decided with the chunk before
            if match.start() >= offset + ready:
                break
            if match.end() > offset + ready and not final:
                ready = match.start() - offset  # its other half may be in the next chunk
                break
            if len(match.group()) == 12:
                continue  # a pair
            at = match.start()
            while at > 0 and window[at - 1] == 0x5C:  # a backslash
                at -= 1
            if (match.start() - at) % 2 == 0:  # the \u is an escape, not escaped text
                parts += (window[done : match.start()], _UNPAIRED_ESCAPE)
                done = match.end()
        parts.append(window[done : offset + ready])
        return b"".join(parts), ready


@contextmanager
def _json_stream(document: Document) -> Iterator[tuple[bytes, Any]]:
    """(the first significant byte, a stream positioned after any byte-order mark)."""
    with document.open() as raw:
        head = raw.read(64)
        if head.startswith(BOM):
            head = head[len(BOM) :]
        stream = _Prefixed(head, raw)
        first = head.lstrip(_WHITESPACE)[:1]
        while not first:  # only whitespace so far
            more = raw.read(64 * 1024)
            if not more:
                break
            head = more
            first = more.lstrip(_WHITESPACE)[:1]
            stream = _Prefixed(more, raw)
        yield first, _Unpaired(stream)


def kind_of(conversation: Any) -> Kind | None:
    """The source of one conversation object, from its keys (None: not a conversation)."""
    if not isinstance(conversation, dict):
        return None
    if isinstance(conversation.get("mapping"), dict):
        return Kind.CHATGPT
    inner = conversation.get("chat")
    if isinstance(conversation.get("history"), dict) or (
        isinstance(inner, dict) and isinstance(inner.get("history"), dict)
    ):
        return Kind.OPENWEBUI
    messages = conversation.get("messages")
    if isinstance(messages, list):
        first = messages[0] if messages else None
        if (isinstance(first, dict) and "versions" in first) or (
            not messages and ("createdAt" in conversation or "systemPrompt" in conversation)
        ):
            return Kind.LMSTUDIO
    return None


def _json_error(exc: Exception) -> InputError:
    text = str(exc)
    if "premature EOF" in text or "Incomplete JSON" in text:
        return InputError("transfer.truncated")
    if "UTF8" in text or isinstance(exc, UnicodeDecodeError):
        return InputError("transfer.not_utf8")
    return InputError("transfer.bad_json", why=text.splitlines()[0] if text else "?")


def _array(document: Document) -> Shape | None:
    """An array: judged by its first element, and its elements counted, all of it read by the
    ``json`` module (:mod:`.elements`, which the import pass uses too). If that refuses it,
    ``ijson`` reads it again to say why (:func:`_array_by_ijson`)."""
    kind = None
    count = 0
    try:
        with _json_stream(document) as (_first, stream):
            for element in array_elements(stream):
                if kind is None:
                    kind = kind_of(element)
                    if kind is None:
                        return None
                count += 1
    except ValueError:  # not JSON (json.JSONDecodeError), not UTF-8 (UnicodeDecodeError)
        found = _array_by_ijson(document)
        return None if found is None else replace(found, by_json=False)
    if kind is None:
        if document.contained:
            return None  # an empty list beside the export ("message_feedback.json": [])
        raise InputError("transfer.no_conversations")
    return Shape(kind, "item", count)


def _array_by_ijson(document: Document) -> Shape | None:
    """An array read by ``ijson``, which says why a document is not JSON: judged by its first
    element, then read whole while counting the elements by a field every conversation of that app
    carries (:data:`_COUNTED_BY`): one small value per element, not every conversation built."""
    with _json_stream(document) as (_first, stream):
        first = next(ijson.items(stream, "item", use_float=True), None)
    if first is None:
        if document.contained:
            return None  # an empty list beside the export ("message_feedback.json": [])
        raise InputError("transfer.no_conversations")
    kind = kind_of(first)
    if kind is None:
        return None
    key = next((k for k in _COUNTED_BY[kind] if k in first), None)
    with _json_stream(document) as (_first, stream):
        if key is None:
            count = sum(1 for _ in ijson.items(stream, "item", use_float=True))
        else:
            count = sum(1 for _ in ijson.items(stream, f"item.{key}", use_float=True))
    return Shape(kind, "item", count)


def _object(document: Document, stream: Any) -> Shape | None:
    """A Charla document (its chats counted, its presets read: they may come anywhere in it,
    and this pass reads it whole anyway), or one conversation (loaded, to be judged)."""
    charla = version = None
    chats = 0
    presets: ijson.ObjectBuilder | None = None
    for prefix, event, value in ijson.parse(stream, use_float=True):
        if prefix == "chats.item" and event == "start_map":
            chats += 1
        elif prefix == "format" and event == "string":
            charla = value == Kind.CHARLA
        elif prefix == "version":
            version = value
        elif prefix == "presets" or prefix.startswith("presets."):
            presets = presets or ijson.ObjectBuilder()
            presets.event(event, value)
    if charla:
        if version != 1:
            raise InputError("transfer.charla_version", version=version)
        found = None if presets is None else presets.value
        if not chats and not found:
            raise InputError("transfer.no_conversations")
        return Shape(Kind.CHARLA, "chats.item", chats, found)
    if document.size > MAX_SINGLE_BYTES:
        raise InputError(
            "transfer.single_too_large",
            size=human_size(document.size),
            limit=human_size(MAX_SINGLE_BYTES),
        )
    whole = next(conversations(document, Shape(Kind.CHATGPT, "", 1)), None)
    kind = kind_of(whole)
    return None if kind is None else Shape(kind, "", 1)


def detect(document: Document) -> Shape | None:
    """The document's shape, after reading it whole. ``None`` for a file inside a zip or a folder
    that is not a chat export; InputError (a ``transfer.*`` reason) for one that was meant to be
    (named alone, or JSON that is broken)."""
    try:
        with _json_stream(document) as (first, stream):
            if not first:
                if document.contained:
                    return None
                raise InputError("transfer.empty")
            if first not in (b"[", b"{"):
                if document.contained:
                    return None
                raise InputError("transfer.not_json")
            shape = _object(document, stream) if first == b"{" else _array(document)
    except ijson.JSONError as exc:
        raise _json_error(exc) from None
    except UnicodeDecodeError as exc:
        raise _json_error(exc) from None
    if shape is None and not document.contained:
        raise InputError("transfer.unknown_shape")
    return shape


def conversations(document: Document, shape: Shape) -> Iterator[Any]:
    """The document's conversations, one at a time, as parsed JSON (numbers: int or float).
    InputError if the file changed since :func:`detect` and no longer parses."""
    try:
        with _json_stream(document) as (_first, stream):
            if shape.prefix == "item" and shape.by_json:
                yield from array_elements(stream)
            else:
                yield from ijson.items(stream, shape.prefix, use_float=True)
    except (ijson.JSONError, ValueError) as exc:
        raise _json_error(exc) from None
