"""The search box's query language: what a person types, parsed into a :class:`Query`.

The language is the one people already know from web search, and nothing else:

- ``words`` — every word must be in the message (or in one of its files: name and text, see
  :mod:`core.services.search`), in any order (``paella rice``);
- ``"exact phrase"`` — these words, next to each other, in this order;
- ``word*`` — a prefix: ``photo*`` finds "photo", "photos", "photosynthesis" (also on the last
  word of a phrase: ``"local priv*"``);
- ``-word`` / ``-"a phrase"`` — messages with it are left out;
- ``tag:name`` / ``tag:"two words"`` — only chats carrying that tag (see
  :func:`core.repositories.tags.clean_tag`: case and a leading ``#`` do not matter).

Case and accents never matter: "FOTOSINTESIS" finds "fotosíntesis" and the reverse (the databases
fold both, see migration 0008).

**Nothing typed is an error.** :func:`parse` never raises: whatever is not the syntax above is
searched as plain words. A quote left open is dropped and what follows is words; a ``*`` or ``-``
on its own, operators (``AND(``, ``NEAR``, ``OR``), SQL and punctuation are only words, and a
"word" with no letter or digit in it (an emoji, ``%``, ``*``) has nothing to search and is dropped.
A query left with nothing to look for (only exclusions, or only punctuation) finds no message; with
a ``tag:`` it still filters chats.

What a :class:`Term` carries, and why both:

- ``text`` — the term as typed, minus the syntax. The database tokenizes it with the *same* rules
  as the stored text (FTS5's ``unicode61``; PostgreSQL's parser after Charla's folding function),
  so "e-mail" or "don't" mean in a query exactly what they mean in a message.
- ``tokens`` — its words folded the way the index folds them (:func:`fold`), computed here to
  decide whether the term has anything to search and to mark the matched words in snippets
  (:mod:`core.search.snippets`) identically on both databases.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.errors import InputError
from core.repositories.tags import clean_tag

MAX_QUERY_CHARS = 500  # longer input is cut: nobody types more, and it bounds the SQL built
MAX_TERMS = 16  # words and phrases kept (with and without "-"); the rest are ignored
TAG_PREFIX = "tag:"

# A word: letters and digits (with the combining marks that decompose an accented letter), as
# SQLite's unicode61 tokenizer and PostgreSQL's parser (after Charla's folding) both see them.
# Everything else — spaces, punctuation, symbols, emoji — separates words.
WORD = re.compile(r"[^\W_](?:[^\W_]|[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff])*")


def fold(text: str) -> str:
    """``text`` without case or accents: canonical decomposition, combining marks dropped,
    Unicode case folding ("Fotosíntesis" -> "fotosintesis", "Straße" -> "strasse")."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return bare.casefold()


def words(text: str) -> list[str]:
    """The folded words of ``text`` (what the index stores for it)."""
    return [fold(match.group()) for match in WORD.finditer(text)]


@dataclass(frozen=True)
class Term:
    """A word or a phrase to look for (see the module docstring for ``text`` and ``tokens``)."""

    text: str
    tokens: tuple[str, ...]
    prefix: bool = False  # the last token is a prefix
    phrase: bool = False  # typed between quotes


@dataclass(frozen=True)
class Query:
    """A parsed query: what must match, what must not, and the tags asked for."""

    include: tuple[Term, ...] = ()
    exclude: tuple[Term, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def searchable(self) -> bool:
        """Whether there is anything to look for in the messages (at least one word)."""
        return bool(self.include)

    @property
    def is_empty(self) -> bool:
        """Nothing to search and no tag: the query selects nothing by itself."""
        return not self.include and not self.tags


def _term(raw: str, *, phrase: bool) -> Term | None:
    text = raw.strip()
    prefix = text.endswith("*")
    text = text.rstrip("*").strip()
    tokens = tuple(words(text))
    if not tokens:
        return None
    return Term(text=text, tokens=tokens, prefix=prefix, phrase=phrase)


def _tag(raw: str) -> str | None:
    try:
        return clean_tag(raw)
    except InputError:
        return None


class _Scanner:
    """Reads the query left to right; each step consumes one piece of it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.include: list[Term] = []
        self.exclude: list[Term] = []
        self.tags: list[str] = []

    def _until_space(self, start: int) -> int:
        end = start
        while end < len(self.text) and not self.text[end].isspace() and self.text[end] != '"':
            end += 1
        return end

    def _quoted(self, start: int) -> tuple[str, int] | None:
        """The text between the quote at ``start`` and its closing quote, and where it ends."""
        close = self.text.find('"', start + 1)
        if close == -1:
            return None
        return self.text[start + 1 : close], close + 1

    def _add(self, term: Term | None, negative: bool) -> None:
        if term is None or len(self.include) + len(self.exclude) >= MAX_TERMS:
            return
        (self.exclude if negative else self.include).append(term)

    def step(self) -> None:
        text, at = self.text, self.at
        negative = text[at] == "-" and at + 1 < len(text) and not text[at + 1].isspace()
        if negative:
            at += 1
        if not negative and text[at : at + len(TAG_PREFIX)].lower() == TAG_PREFIX:
            value_at = at + len(TAG_PREFIX)
            quoted = self._quoted(value_at) if text[value_at : value_at + 1] == '"' else None
            if quoted is None:
                end = self._until_space(value_at)
                quoted = text[value_at:end], end
            tag = _tag(quoted[0])
            if tag is not None:  # else "tag:" is searched as the word "tag"
                self.tags.append(tag)
                self.at = quoted[1]
                return
        if text[at] == '"':
            quoted = self._quoted(at)
            if quoted is None:  # a quote left open: dropped, what follows is plain words
                self.at = at + 1
                return
            phrase, self.at = quoted
            if text[self.at : self.at + 1] == "*":  # "a phrase"* as well as "a phras*"
                phrase += "*"
                self.at += 1
            self._add(_term(phrase, phrase=True), negative)
            return
        end = max(self._until_space(at), at + 1)  # always move on
        self._add(_term(text[at:end], phrase=False), negative)
        self.at = end

    def run(self) -> Query:
        while self.at < len(self.text):
            if self.text[self.at].isspace():
                self.at += 1
                continue
            self.step()
        return Query(
            include=tuple(dict.fromkeys(self.include)),
            exclude=tuple(dict.fromkeys(self.exclude)),
            tags=tuple(dict.fromkeys(self.tags)),
        )


def parse(text: str | None) -> Query:
    """The query ``text`` means; never raises (see the module docstring)."""
    if not text:
        return Query()
    return _Scanner(text[:MAX_QUERY_CHARS]).run()


def fts5_match(
    query: Query, expanded: Mapping[Term, Sequence[tuple[str, ...]]] | None = None
) -> str:
    """The query as an SQLite FTS5 ``MATCH`` expression; only meaningful when ``searchable``.

    Every term is an FTS5 *string* (double quotes, an inner ``"`` doubled), so nothing typed can
    be read as FTS5 syntax (``AND``, ``NEAR``, ``col:``, parentheses): FTS5 tokenizes the string
    with the index's own tokenizer, and several words become a phrase. ``*`` after the string
    makes its last word a prefix. Terms are ANDed; each excluded term is ``NOT``-ed (``a NOT b``
    binds tighter than AND, so ``"a" AND "b" NOT "c"`` is a AND b AND NOT c).

    ``expanded`` gives, for a prefix term, the phrases it stands for (FTS5 words, see
    :mod:`core.repositories.search_terms`): the term is then their ``OR`` in parentheses, which
    FTS5 answers faster than a prefix and which matches exactly the same messages.
    """
    expanded = expanded or {}

    def quote(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    def string(term: Term) -> str:
        if term in expanded:
            return "(" + " OR ".join(quote(" ".join(words)) for words in expanded[term]) + ")"
        return quote(term.text) + " *" if term.prefix else quote(term.text)

    # An explicit AND: FTS5's implicit one joins phrases only, not a parenthesised OR.
    include = " AND ".join(string(term) for term in query.include)
    exclude = "".join(f" NOT {string(term)}" for term in query.exclude)
    return include + exclude
