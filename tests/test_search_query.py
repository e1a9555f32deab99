"""The query language and the snippets (``core.search``), without a database.

What a person types is parsed into words, phrases, prefixes, exclusions and tags, and anything
else is plain words; the FTS5 expression built from it is only ever quoted strings; snippets mark
exactly the matched words (a phrase as one mark) and escape the message's own ``*``, so that
:func:`parts` gives back the text exactly. Property tests: no input makes either raise.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.search.query import MAX_TERMS, Query, Term, fold, fts5_match, parse, words
from core.search.snippets import parts, snippet

ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)


def term(text: str, *tokens: str, prefix: bool = False, phrase: bool = False) -> Term:
    return Term(text, tokens or (text.lower(),), prefix, phrase)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("paella rice", Query((term("paella"), term("rice")))),
        (
            '"quick brown" fox',
            Query((term("quick brown", "quick", "brown", phrase=True), term("fox"))),
        ),
        ("photo*", Query((term("photo", prefix=True),))),
        ('"local priv*"', Query((term("local priv", "local", "priv", prefix=True, phrase=True),))),
        ('"local priv"*', Query((term("local priv", "local", "priv", prefix=True, phrase=True),))),
        ("brown -dog", Query((term("brown"),), (term("dog"),))),
        ('x -"two words"', Query((term("x"),), (term("two words", "two", "words", phrase=True),))),
        ("tag:Work paella", Query((term("paella"),), tags=("work",))),
        ('tag:"Work  Stuff" x', Query((term("x"),), tags=("work stuff",))),
        ("tag:#recipes", Query(tags=("recipes",))),
        ("FOTOSÍNTESIS", Query((term("FOTOSÍNTESIS", "fotosintesis"),))),
        ("e-mail", Query((term("e-mail", "e", "mail"),))),
        # Anything else is plain words:
        ('"open quote', Query((term("open"), term("quote")))),
        ("AND(", Query((term("AND(", "and"),))),
        ("- x", Query((term("x"),))),
        ("tag:", Query((term("tag:", "tag"),))),
        ("*", Query()),
        ("🎵 %", Query()),
        ("-only", Query(exclude=(term("only"),))),
        ("", Query()),
    ],
)
def test_parse(typed: str, expected: Query) -> None:
    assert parse(typed) == expected


def test_searchable_and_empty() -> None:
    assert parse("a").searchable and not parse("a").is_empty
    assert not parse("-a").searchable  # exclusions alone look for nothing
    assert not parse("tag:x").searchable and not parse("tag:x").is_empty
    assert parse("🎵").is_empty


def test_terms_are_capped_and_repeats_dropped() -> None:
    many = parse(" ".join(f"w{i}" for i in range(50)))
    assert len(many.include) == MAX_TERMS
    assert parse("a a A").include == (term("a"), term("A", "a"))  # as typed, once each
    assert parse("x" * 10_000).include[0].text == "x" * 500


def test_fts5_expression_is_only_quoted_strings() -> None:
    expression = fts5_match(parse('a "b c" d* -e -"f g"'))
    assert expression == '"a" AND "b c" AND "d" * NOT "e" NOT "f g"'
    assert fts5_match(parse("NEAR(x) AND y")) == '"NEAR(x)" AND "AND" AND "y"'


def test_fold_and_words() -> None:
    assert fold("Fotosíntesis ÁRBOL Straße") == "fotosintesis arbol strasse"
    assert fold("e\u0301le\u0301phant") == "elephant"  # decomposed accents too
    assert words("snake_case, e-mail; 100% x²!") == ["snake", "case", "e", "mail", "100", "x²"]
    assert words("great👍done “quoted”") == ["great", "done", "quoted"]


@given(ANY_TEXT)
def test_parsing_anything_never_fails_and_builds_a_quoted_expression(typed: str) -> None:
    query = parse(typed)
    expression = fts5_match(query)
    # Outside its quoted strings an expression holds only spaces, AND, NOT and "*".
    outside = re.sub(r'"(?:[^"]|"")*"', "", expression)
    assert set(outside.replace("NOT", "").replace("AND", "")) <= {" ", "*"}
    for found in (*query.include, *query.exclude):
        assert found.tokens and all(found.tokens)


def marked(text: str) -> list[str]:
    return [piece for piece, is_marked in parts(text) if is_marked]


def test_snippets_mark_words_phrases_and_prefixes() -> None:
    text = "La fotosíntesis convierte la luz; the LOCAL privacy policy, photographs."
    assert marked(snippet(text, parse("FOTOSINTESIS"))[0]) == ["fotosíntesis"]
    assert marked(snippet(text, parse('"local privacy"'))[0]) == ["LOCAL privacy"]
    assert marked(snippet(text, parse("local privacy"))[0]) == ["LOCAL", "privacy"]
    assert marked(snippet(text, parse("photo*"))[0]) == ["photographs"]
    assert snippet(text, parse("absent")) == (text, False)


def test_long_messages_are_cut_around_the_matches() -> None:
    text = (
        " ".join(f"w{i}" for i in range(200)) + " target " + " ".join(f"v{i}" for i in range(200))
    )
    found, is_marked = snippet(text, parse("target"))
    assert is_marked and found.startswith("…") and found.endswith("…")
    assert marked(found) == ["target"] and len(found.split()) < 30
    assert found.split().index("**target**") < 6  # a few words of context before it


@given(ANY_TEXT, ANY_TEXT)
def test_a_snippet_reads_back_as_the_text_it_shows(text: str, typed: str) -> None:
    found, _ = snippet(text, parse(typed))
    shown = "".join(piece for piece, _ in parts(found))
    if len(text.split()) <= 24 and len(text) <= 200:
        assert shown == " ".join(text.split()) or not words(text)
