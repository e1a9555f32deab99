"""``ThinkSplitter``: inline ``<think>…</think>`` reasoning separated from the answer, however the
server cuts the text into chunks (issue 2, section 4, reasoning shape 1)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.providers.reasoning import CLOSE, CONTENT, OPEN, REASONING, RECLASSIFY, ThinkSplitter


def run(chunks: list[str]) -> tuple[str, str]:
    """Feed ``chunks`` and build (answer, reasoning) as a consumer does, RECLASSIFY included."""
    splitter = ThinkSplitter()
    content: list[str] = []
    reasoning: list[str] = []
    events = [event for chunk in chunks for event in splitter.feed(chunk)] + splitter.flush()
    for kind, text in events:
        if kind == CONTENT:
            content.append(text)
        elif kind == REASONING:
            reasoning.append(text)
        else:
            assert (kind, text) == (RECLASSIFY, "")
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
    assert splitter.feed("Hello") == [(CONTENT, "Hello")]
    assert splitter.feed(" world") == [(CONTENT, " world")]
    assert splitter.feed(" a <") == [(CONTENT, " a ")]  # only a possible tag start is held back
    assert splitter.feed("b") == [(CONTENT, "<b")]

    thinking = ThinkSplitter()
    assert thinking.feed("<think>") == []
    assert thinking.feed("step one") == [(REASONING, "step one")]
    assert thinking.feed(", two</") == [(REASONING, ", two")]
    assert thinking.feed("think>Done") == [(CONTENT, "Done")]


def test_missing_opening_tag_reclassifies() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("I should") == [(CONTENT, "I should")]
    assert splitter.feed(" greet.</th") == [(CONTENT, " greet.")]
    assert splitter.feed("ink>\n\nHi!") == [(RECLASSIFY, ""), (CONTENT, "Hi!")]
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
