"""Snippets: a short piece of a message around the words a query matched, those words marked.

Built here, in Python, from the message text and the parsed query, rather than by the databases
(FTS5's ``snippet()``, PostgreSQL's ``ts_headline``): both databases then give the very same
snippet, ``ts_headline`` (slow: it re-parses every document) never runs, and the marks follow the
query language exactly — a phrase is marked only where its words stand together, a prefix marks
the whole word it starts.

Format (what :attr:`core.services.search.SearchHit.snippet` holds): one line of plain text, cut
at word boundaries with ``…`` at a cut end, every match between ``**`` marks, a phrase as one
mark: ``…the **fotosíntesis** convierte…``. So that the marks are unambiguous whatever the message
holds (Markdown answers are full of ``**bold**``), a literal ``\\`` or ``*`` of the text is
escaped with a backslash. :func:`parts` reads a snippet back as (text, marked) pieces: the pages
draw it from those, never as Markdown.

Only the first :data:`SCAN_CHARS` characters of a message are looked at: a match further into a
huge message still finds it (the database matched it), but its snippet is then the start of the
message.
"""

from __future__ import annotations

from core.search.query import WORD, Query, Term, fold

MARK = "**"
ELLIPSIS = "…"
WORDS_AROUND = 24  # words in a snippet (about two lines)
LEAD = 4  # words of context kept before the first match
SCAN_CHARS = 200_000


def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*")


def _matches(term: Term, folded: list[str], at: int) -> int:
    """How many words from ``at`` the term covers there (0: it does not match there)."""
    tokens = term.tokens
    if at + len(tokens) > len(folded):
        return 0
    for offset, token in enumerate(tokens):
        word = folded[at + offset]
        last = offset == len(tokens) - 1
        if not (word.startswith(token) if last and term.prefix else word == token):
            return 0
    return len(tokens)


def marked_spans(folded: list[str], query: Query) -> list[tuple[int, int]]:
    """(first word, last word + 1) of every match of the query's terms, in order, merged where
    they overlap."""
    spans: list[tuple[int, int]] = []
    for at in range(len(folded)):
        for term in query.include:
            length = _matches(term, folded, at)
            if length:
                spans.append((at, at + length))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _window(spans: list[tuple[int, int]], count: int) -> tuple[int, int]:
    """The words to show: :data:`WORDS_AROUND` of them holding as many matches as possible,
    starting a little before the first of those."""
    if not spans:
        return 0, min(count, WORDS_AROUND)
    best, best_first, reach = 0, 0, 0
    for first, (start, _) in enumerate(spans):  # two pointers: spans are sorted
        reach = max(reach, first)
        while reach < len(spans) and spans[reach][1] <= start + WORDS_AROUND:
            reach += 1
        if reach - first > best:
            best, best_first = reach - first, first
    start = max(0, spans[best_first][0] - LEAD)
    end = min(count, start + WORDS_AROUND)
    return max(0, min(start, end - WORDS_AROUND)), end


def snippet(text: str, query: Query) -> tuple[str, bool]:
    """(the snippet of ``text`` for ``query``, whether it marks a match)."""
    scanned = text[:SCAN_CHARS]
    found = list(WORD.finditer(scanned))
    if not found:
        return escape(" ".join(scanned.split())[:200]), False
    folded = [fold(m.group()) for m in found]
    spans = marked_spans(folded, query)
    first, last = _window(spans, len(found))
    starts = {start: end for start, end in spans if first <= start < last}
    pieces: list[str] = []
    cursor = found[first].start() if first else 0  # from the start: what precedes the words
    at = first
    while at < last:
        end_word = min(starts.get(at, at + 1), last)
        begin, finish = found[at].start(), found[end_word - 1].end()
        pieces.append(escape(scanned[cursor:begin]))
        word_text = escape(scanned[begin:finish])
        pieces.append(f"{MARK}{word_text}{MARK}" if at in starts else word_text)
        cursor, at = finish, end_word
    if last == len(found):  # to the end: what follows the last word
        pieces.append(escape(scanned[cursor:]))
    body = " ".join("".join(pieces).split())
    before = ELLIPSIS if first > 0 else ""
    after = ELLIPSIS if last < len(found) or len(text) > len(scanned) else ""
    return before + body + after, bool(starts)


def parts(snippet_text: str) -> list[tuple[str, bool]]:
    """A snippet read back: its pieces of text (escapes undone) and whether each is marked."""
    pieces: list[tuple[str, bool]] = []
    current: list[str] = []
    marked = False
    at = 0
    while at < len(snippet_text):
        char = snippet_text[at]
        if char == "\\" and at + 1 < len(snippet_text):
            current.append(snippet_text[at + 1])
            at += 2
            continue
        if snippet_text.startswith(MARK, at):
            if current:
                pieces.append(("".join(current), marked))
                current = []
            marked = not marked
            at += len(MARK)
            continue
        current.append(char)
        at += 1
    if current:
        pieces.append(("".join(current), marked))
    return pieces
