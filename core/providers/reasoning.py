"""Separate a model's reasoning ("thinking") from its answer, whichever way the server sends it.

Servers deliver reasoning in three shapes (see ``shared/reference/lmstudio-api.md``):

1. inline in ``delta.content`` as ``<think>…</think>``; the tags can be split across chunks, and
   Qwen3 may omit the opening tag, so text before a lone ``</think>`` was reasoning after all;
2. ``delta.reasoning_content``;
3. ``delta.reasoning``.

Shapes 2 and 3 are just read off the delta. Shape 1 needs :class:`ThinkSplitter`, a small state
machine fed the content deltas in order. It holds back at most a few characters (a possible partial
tag at the end of a chunk) and otherwise passes text straight through, so answers still stream
token by token. When a lone ``</think>`` shows that text already passed on as answer was reasoning,
it emits a :attr:`~core.vocab.EventKind.RECLASSIFY` event: the consumer moves everything it took as
answer into reasoning.

Events are ``(EventKind, text)`` tuples. :class:`AnswerParts` is the one consumer that builds an
answer from them (RECLASSIFY included), whoever reads the events: the chat service, the seed's
assembled stream, :func:`split_message`. :func:`split_message` splits a *non-streamed* completion
message the same way, so a stored answer never depends on whether it was streamed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from core.vocab import EventKind

OPEN: Final = "<think>"
CLOSE: Final = "</think>"
REASONING_FIELDS: Final = ("reasoning_content", "reasoning")  # shapes 2 and 3, first one wins

Event = tuple[EventKind, str]

# Module-level names for the enum members: the splitter runs once per streamed token, and a global
# lookup is cheaper than an attribute lookup on the enum class.
_CONTENT: Final = EventKind.CONTENT
_REASONING: Final = EventKind.REASONING
_RECLASSIFY: Final = EventKind.RECLASSIFY

_START, _THINKING, _ANSWER, _AFTER, _DONE = range(5)


def _partial_tag_suffix(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that is a proper prefix of ``tag``."""
    for length in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-length:]):
            return length
    return 0


class ThinkSplitter:
    """Feed content deltas with :meth:`feed`; call :meth:`flush` at the end of the stream."""

    __slots__ = ("_answer_seen", "_pending", "_state")

    def __init__(self) -> None:
        self._state = _START
        self._pending = ""  # text held back: leading whitespace or a possible partial tag
        self._answer_seen = False  # answer text passed on while a lone </think> was still possible

    def feed(self, text: str) -> list[Event]:
        if self._state == _DONE:  # after </think>: everything is answer, no more scanning
            return [(_CONTENT, text)] if text else []
        if self._state == _AFTER:  # just after </think>: drop the blank lines before the answer
            text = text.lstrip()
            if text:
                self._state = _DONE
            return [(_CONTENT, text)] if text else []
        if not self._pending and "<" not in text and self._state == _ANSWER:
            self._answer_seen = True
            return [(_CONTENT, text)] if text else []
        text = self._pending + text
        self._pending = ""
        events: list[Event] = []
        while text:
            if self._state == _START:
                stripped = text.lstrip()
                if not stripped:
                    self._pending = text  # only whitespace so far: wait to see what follows
                    break
                if stripped.startswith(OPEN):
                    self._state = _THINKING
                    text = stripped[len(OPEN) :]
                    continue
                if OPEN.startswith(stripped):
                    self._pending = text  # could still become <think>
                    break
                self._state = _ANSWER
                continue
            tag = CLOSE
            index = text.find(tag)
            if index >= 0:
                before, text = text[:index], text[index + len(tag) :]
                if self._state == _THINKING:
                    if before:
                        events.append((_REASONING, before))
                else:  # a lone </think>: what looked like answer was reasoning
                    if before:
                        events.append((_CONTENT, before))
                    events.append((_RECLASSIFY, ""))
                self._state = _AFTER
                events.extend(self.feed(text))
                break
            keep = _partial_tag_suffix(text, tag)
            emit, self._pending = (text[:-keep], text[-keep:]) if keep else (text, "")
            if emit:
                if self._state == _ANSWER:
                    self._answer_seen = True
                events.append((_REASONING if self._state == _THINKING else _CONTENT, emit))
            break
        return events

    def flush(self) -> list[Event]:
        """End of stream: release held-back text (an unclosed <think> stays reasoning)."""
        pending, self._pending = self._pending, ""
        if not pending:
            return []
        if self._state == _THINKING:
            return [(_REASONING, pending)]
        if self._state == _START:
            pending = pending.strip() and pending
        return [(_CONTENT, pending)] if pending else []


class AnswerParts:
    """An answer's ``content`` and ``reasoning``, built from ``(EventKind, text)`` events.

    The one place where RECLASSIFY is applied. ``version`` grows with every event, so a consumer
    that saves progress can tell cheaply whether anything changed since it last saved.
    """

    __slots__ = ("_content", "_reasoning", "version")

    def __init__(self) -> None:
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self.version = 0

    def add(self, kind: str, text: str) -> None:
        """Take one event. ``kind`` is an :class:`~core.vocab.EventKind` (or its string)."""
        if kind == _CONTENT:
            self._content.append(text)
        elif kind == _REASONING:
            self._reasoning.append(text)
        elif kind == _RECLASSIFY:  # everything taken as answer so far was reasoning
            self._reasoning.extend(self._content)
            self._content.clear()
        else:
            raise ValueError(f"unknown event kind: {kind!r}")
        self.version += 1

    def extend(self, events: Iterable[Event]) -> None:
        for kind, text in events:
            self.add(kind, text)

    @property
    def content(self) -> str:
        return "".join(self._content)

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)


def split_message(message: Mapping[str, Any]) -> tuple[str, str]:
    """``(content, reasoning)`` of a non-streamed completion message, in any of the four shapes:
    inline ``<think>…</think>``, a lone ``</think>`` (text before it is reasoning),
    ``reasoning_content`` and ``reasoning``. A message with none of them is all content."""
    parts = AnswerParts()
    for key in REASONING_FIELDS:
        field = message.get(key)
        if isinstance(field, str) and field:
            parts.add(_REASONING, field)
            break  # servers that send both send the same text twice (vLLM's rename)
    content = message.get("content")
    if isinstance(content, str) and content:
        splitter = ThinkSplitter()
        parts.extend(splitter.feed(content))
        parts.extend(splitter.flush())
    return parts.content, parts.reasoning
