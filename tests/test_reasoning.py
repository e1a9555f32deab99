"""``ThinkSplitter``: inline ``<think>…</think>`` reasoning separated from the answer, however the
server cuts the text into chunks (issue 2, section 4, reasoning shape 1); ``AnswerParts``, the one
consumer of its events; ``split_message`` for non-streamed messages in all four shapes."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.providers.reasoning import CLOSE, OPEN, AnswerParts, ThinkSplitter, split_message
from core.vocab import EventKind


def run(chunks: list[str]) -> tuple[str, str]:
    """Feed ``chunks`` and build (answer, reasoning) as a consumer does, RECLASSIFY included."""
    splitter = ThinkSplitter()
    content: list[str] = []
    reasoning: list[str] = []
    events = [event for chunk in chunks for event in splitter.feed(chunk)] + splitter.flush()
    for kind, text in events:
        if kind == EventKind.CONTENT:
            content.append(text)
        elif kind == EventKind.REASONING:
            reasoning.append(text)
        else:
            assert (kind, text) == (EventKind.RECLASSIFY, "")
            reasoning.extend(content)
            content.clear()
    return "".join(content), "".join(reasoning)


def chunked(text: str, cuts: list[int]) -> list[str]:
    points = sorted({min(max(c, 0), len(text)) for c in cuts})
    bounds = [0, *points, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Just an answer.", ("Just an answer.", "")),
        ("<think>Reasoning here.</think>\n\nThe answer.", ("The answer.", "Reasoning here.")),
        ("  \n<think>r</think>a", ("a", "r")),  # whitespace before the opening tag
        ("Qwen3 forgot the tag</think>\n\nThe answer.", ("The answer.", "Qwen3 forgot the tag")),
        ("</think>answer", ("answer", "")),
        ("<think>never closed", ("", "never closed")),
        ("<think></think>Only answer", ("Only answer", "")),
        ("a < b and c > d", ("a < b and c > d", "")),
        ("x</think>y</think>z", ("y</think>z", "x")),  # only the first close counts
        ("<think>a</think>b<think>c</think>", ("b<think>c</think>", "a")),
        ("<thin", ("<thin", "")),  # an unfinished tag at the end is text
        ("Answer ending in </thi", ("Answer ending in </thi", "")),
        ("   ", ("", "")),
        ("", ("", "")),
    ],
)
def test_whole_text(text: str, expected: tuple[str, str]) -> None:
    assert run([text]) == expected


@pytest.mark.parametrize(
    "text",
    [
        "<think>Let me think about it.</think>\n\nThe answer is 42.",
        "Let me think about it.</think>\n\nThe answer is 42.",
        "  <think>a</think>  b",
        "The answer is 42.",
    ],
)
def test_tags_split_at_every_position(text: str) -> None:
    whole = run([text])
    for i in range(len(text) + 1):
        assert run([text[:i], text[i:]]) == whole, f"cut at {i}: {text[:i]!r} | {text[i:]!r}"
        for j in range(i, len(text) + 1):
            assert run([text[:i], text[i:j], text[j:]]) == whole
    assert run(list(text)) == whole  # one character per chunk


def test_answer_streams_without_waiting_for_the_end() -> None:
    """Text that cannot be part of a tag is passed on at once (answers stream token by token)."""
    splitter = ThinkSplitter()
    assert splitter.feed("Hello") == [(EventKind.CONTENT, "Hello")]
    assert splitter.feed(" world") == [(EventKind.CONTENT, " world")]
    assert splitter.feed(" a <") == [
        (EventKind.CONTENT, " a ")
    ]  # only a possible tag start is held back
    assert splitter.feed("b") == [(EventKind.CONTENT, "<b")]

    thinking = ThinkSplitter()
    assert thinking.feed("<think>") == []
    assert thinking.feed("step one") == [(EventKind.REASONING, "step one")]
    assert thinking.feed(", two</") == [(EventKind.REASONING, ", two")]
    assert thinking.feed("think>Done") == [(EventKind.CONTENT, "Done")]


def test_missing_opening_tag_reclassifies() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("I should") == [(EventKind.CONTENT, "I should")]
    assert splitter.feed(" greet.</th") == [(EventKind.CONTENT, " greet.")]
    assert splitter.feed("ink>\n\nHi!") == [(EventKind.RECLASSIFY, ""), (EventKind.CONTENT, "Hi!")]
    assert splitter.flush() == []


PIECES = st.sampled_from(
    [
        OPEN,
        CLOSE,
        "<",
        ">",
        "/",
        "<th",
        "ink>",
        "</th",
        "<think",
        "think>",
        " ",
        "\n",
        "a",
        "é",
        "answer",
        "🙂",
    ]
)
TEXTS = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=14).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(text=TEXTS, cuts=st.lists(st.integers(min_value=0, max_value=80), max_size=10))
@example(text="<think>ab</think>cd", cuts=[3, 9, 12])
@example(text="ab</think>cd", cuts=[4, 5])
@example(text=" \n<think>x", cuts=[1, 4])
def test_any_chunking_gives_the_same_result(text: str, cuts: list[int]) -> None:
    assert run(chunked(text, cuts)) == run([text])


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet=st.characters(exclude_characters="<>"), max_size=60),
    cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=8),
)
def test_text_without_tags_is_all_answer(text: str, cuts: list[int]) -> None:
    content, reasoning = run(chunked(text, cuts))
    assert reasoning == ""
    assert content == ("" if not text.strip() else text)


@settings(max_examples=200, deadline=None)
@given(
    thought=st.text(alphabet=st.characters(exclude_characters="<>"), max_size=30),
    answer=st.text(alphabet=st.characters(exclude_characters="<>"), max_size=30),
    opened=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=80), max_size=8),
)
def test_reasoning_and_answer_are_separated(
    thought: str, answer: str, opened: bool, cuts: list[int]
) -> None:
    text = (OPEN if opened else "") + thought + CLOSE + answer
    # the blank lines between </think> and the answer are dropped, nothing else
    assert run(chunked(text, cuts)) == (answer.lstrip(), thought)


# --- AnswerParts: the one consumer ------------------------------------------------------------------
def parts_of(chunks: list[str]) -> tuple[str, str]:
    splitter = ThinkSplitter()
    parts = AnswerParts()
    for chunk in chunks:
        parts.extend(splitter.feed(chunk))
    parts.extend(splitter.flush())
    return parts.content, parts.reasoning


@settings(max_examples=300, deadline=None)
@given(text=TEXTS, cuts=st.lists(st.integers(min_value=0, max_value=80), max_size=10))
@example(text="I think</think>\n\nHi", cuts=[3, 9])
def test_answer_parts_builds_what_the_reference_consumer_builds(text: str, cuts: list[int]) -> None:
    assert parts_of(chunked(text, cuts)) == run(chunked(text, cuts))


def test_events_are_event_kinds() -> None:
    splitter = ThinkSplitter()
    events = splitter.feed("Hmm</think>") + splitter.feed("<think>x") + splitter.flush()
    assert events and all(type(kind) is EventKind for kind, _ in events)


def test_answer_parts_reclassify_version_and_unknown_kinds() -> None:
    parts = AnswerParts()
    assert (parts.content, parts.reasoning, parts.version) == ("", "", 0)
    parts.add(EventKind.REASONING, "r1 ")
    parts.add(EventKind.CONTENT, "was ")
    parts.add("content", "thinking")  # the plain string works too (StrEnum)
    parts.add(EventKind.RECLASSIFY, "")
    parts.add(EventKind.CONTENT, "Answer")
    assert (parts.content, parts.reasoning, parts.version) == ("Answer", "r1 was thinking", 5)
    with pytest.raises(ValueError, match="unknown event kind"):
        parts.add("tool_call", "x")
    assert parts.version == 5


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"content": "<think>Let me see.</think>\n\n42."}, ("42.", "Let me see.")),
        ({"content": "Let me see.</think>\n\n42."}, ("42.", "Let me see.")),  # no opening tag
        ({"content": "42.", "reasoning_content": "Let me see."}, ("42.", "Let me see.")),
        ({"content": "42.", "reasoning": "Let me see."}, ("42.", "Let me see.")),
        ({"content": "Just 42, a < b."}, ("Just 42, a < b.", "")),
        ({"content": "<think>never closed"}, ("", "never closed")),
        ({"content": None, "reasoning_content": "only thoughts"}, ("", "only thoughts")),
        ({"role": "assistant"}, ("", "")),
        # vLLM sends the same text under both names: kept once
        ({"content": "42.", "reasoning_content": "r", "reasoning": "r"}, ("42.", "r")),
        # a field and inline tags together: the field's reasoning first
        ({"content": "b</think>42.", "reasoning": "a "}, ("42.", "a b")),
    ],
    ids=[
        "inline",
        "missing-open",
        "reasoning_content",
        "reasoning",
        "plain",
        "unclosed",
        "no-content",
        "empty",
        "both-fields",
        "field-and-inline",
    ],
)
def test_split_message(message: dict[str, str | None], expected: tuple[str, str]) -> None:
    assert split_message(message) == expected
