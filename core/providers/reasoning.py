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
it emits a ``RECLASSIFY`` event: the consumer moves everything it took as answer into reasoning.
"""

from __future__ import annotations

from typing import Final

OPEN: Final = "<think>"
CLOSE: Final = "</think>"

CONTENT: Final = "content"
REASONING: Final = "reasoning"
RECLASSIFY: Final = "reclassify"  # all content so far was reasoning (no text attached)

Event = tuple[str, str]

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
            return [(CONTENT, text)] if text else []
        if self._state == _AFTER:  # just after </think>: drop the blank lines before the answer
            text = text.lstrip()
            if text:
                self._state = _DONE
            return [(CONTENT, text)] if text else []
        if not self._pending and "<" not in text and self._state == _ANSWER:
            self._answer_seen = True
            return [(CONTENT, text)] if text else []
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
                        events.append((REASONING, before))
                else:  # a lone </think>: what looked like answer was reasoning
                    if before:
                        events.append((CONTENT, before))
                    events.append((RECLASSIFY, ""))
                self._state = _AFTER
                events.extend(self.feed(text))
                break
            keep = _partial_tag_suffix(text, tag)
            emit, self._pending = (text[:-keep], text[-keep:]) if keep else (text, "")
            if emit:
                if self._state == _ANSWER:
                    self._answer_seen = True
                events.append((REASONING if self._state == _THINKING else CONTENT, emit))
            break
        return events

    def flush(self) -> list[Event]:
        """End of stream: release held-back text (an unclosed <think> stays reasoning)."""
        pending, self._pending = self._pending, ""
        if not pending:
            return []
        if self._state == _THINKING:
            return [(REASONING, pending)]
        if self._state == _START:
            pending = pending.strip() and pending
        return [(CONTENT, pending)] if pending else []
