"""A prefix searched as the words that start with it (SQLite: migration 0014's vocabulary), on
SQLite and PostgreSQL (``db``; PostgreSQL answers prefixes with its own index and must agree).

The expansion must match exactly what FTS5's own prefix query matches: new messages, text
changed by a progressive save or ``update_message``, exclusions, phrases ending in a prefix,
words FTS5 folds differently from Python ("Straße"), and a prefix with too many words (FTS5's
own query). The property test compares the two on random texts and prefixes.

Also here: PostgreSQL's search reads id ranges newest first, choosing how to read each from the
last (:meth:`core.repositories.search.SearchRepository._postgres_candidates`); tiny ranges make
every stage run, and the results must not change.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from core.conf.db import session_scope
from core.repositories import search as search_repository
from core.repositories import search_terms
from core.repositories.messages import MessageRepository
from core.search.query import fts5_match, parse
from core.services import search as search_service
from core.services.search import search_messages
from tests.chat_rows import chat_with, streaming_answer
from tests.test_search import found


def _vocabulary() -> set[str]:
    with session_scope() as db:
        return set(db.execute(text("SELECT term FROM search_terms")).scalars())


def test_a_prefix_finds_words_of_messages_written_after_the_last_search(db: str) -> None:
    chat_with("Photos", "photosynthesis in leaves", "photographs of leaves")
    assert found("photo*") == {"photosynthesis in leaves", "photographs of leaves"}
    chat_with("Later", "a photon is light", "photocopies are grey")
    assert found("photo*") == {
        "photosynthesis in leaves",
        "photographs of leaves",
        "a photon is light",
        "photocopies are grey",
    }
    assert found("photoc*") == {"photocopies are grey"}
    assert found("leaves -photog*") == {"photosynthesis in leaves"}
    assert found("LEAVES photog*") == found("photog* leaves") == {"photographs of leaves"}
    assert found("photos* photog*") == set()  # both prefixes, each its own OR
    assert found('"of leav"*') == {"photographs of leaves"}
    assert found("photoz*") == set()


def test_a_prefix_follows_text_changed_while_streaming_and_by_an_edit(db: str) -> None:
    chat_id = chat_with("Live", "write about glaciers")
    answer_id, writer = streaming_answer(chat_id)
    writer.save("Glaciers are slow", "")
    assert found("glac*") == {"write about glaciers", "Glaciers are slow"}
    writer.save("Glaciers are slow rivers carving valleys", "")
    assert found("valle*") == {"Glaciers are slow rivers carving valleys"}
    writer.finish("Glaciers are slow rivers carving valleys", "", "complete")
    with session_scope(write=True) as dbs:
        MessageRepository(dbs).update_message(answer_id, content="Icebergs calve from moraines")
    assert found("morai*") == {"Icebergs calve from moraines"}
    assert found("valle*") == set()  # the old word is still a known word, and matches nothing


def test_words_are_cut_and_folded_by_fts5_not_by_python(db: str) -> None:
    chat_with("Deutsch", "Die Straße ist lang", "Fotosíntesis en ÉCOLE")
    assert found("straß*") == {"Die Straße ist lang"}
    assert found("fotosin*") == found("FOTOSÍN*") == {"Fotosíntesis en ÉCOLE"}
    assert found("ecol*") == {"Fotosíntesis en ÉCOLE"}


def test_a_prefix_with_more_words_than_the_limit_keeps_fts5s_own_query(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat_with("Many", "alpha alpine alps", "altitude", "almond")
    expected = {"alpha alpine alps", "altitude", "almond"}
    assert found("al*") == expected
    monkeypatch.setattr(search_terms, "MAX_WORDS", 2)  # "al" now starts too many words
    assert found("al*") == expected
    assert found("alp*") == {"alpha alpine alps"}  # 3 words: FTS5's own prefix query too


def test_the_vocabulary_is_folded_once_and_only_on_sqlite(db: str) -> None:
    chat_with("Words", "unusual zymurgy")
    found("zym*")
    if db.startswith("postgresql"):
        with session_scope() as dbs:
            assert dbs.execute(text("SELECT to_regclass('search_terms')")).scalar() is None
        return
    assert {"unusual", "zymurgy"} <= _vocabulary()
    with session_scope() as dbs:
        assert not search_terms.pending(dbs)  # nothing new: the next search writes nothing
        (term,) = parse("ZYM*").include
        assert search_terms.expansions(dbs, [term]) == {term: [("zymurgy",)]}
        assert fts5_match(parse("ZYM*"), {term: [("zymurgy",)]}) == '("zymurgy")'


WORDS = st.sampled_from(["sol", "solar", "soleil", "sólido", "salt", "salto", "s", "so", "ß"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    texts=st.lists(st.lists(WORDS, min_size=1, max_size=5).map(" ".join), min_size=1, max_size=6),
    prefix=st.sampled_from(["s", "so", "sol", "sole", "sa", "salt", "ß", "sól"]),
    limit=st.sampled_from([1, 2, 64]),
)
def test_an_expanded_prefix_matches_exactly_what_fts5s_prefix_matches(
    db: str, texts: list[str], prefix: str, limit: int
) -> None:
    chat_id = chat_with("Property", *texts)
    original = search_terms.MAX_WORDS
    try:
        results = {}
        for words in (limit, 0):  # 0: never expanded, FTS5's own prefix query
            search_terms.MAX_WORDS = words
            results[words] = [
                found(query, chat_id=chat_id)
                for query in (
                    f"{prefix}*",
                    f"-{prefix}* s*",  # excluded, beside another prefix
                    f"salt {prefix}*",  # beside a word
                    f'"sol {prefix}"*',  # the last word of a phrase
                )
            ]
    finally:
        search_terms.MAX_WORDS = original
    assert results[limit] == results[0]


@pytest.mark.parametrize(("recent", "walk", "window"), [(4, 1000, 5), (4, 6, 5), (1, 0, 3)])
def test_the_newest_matches_are_found_whichever_id_ranges_are_walked(
    db: str, monkeypatch: pytest.MonkeyPatch, recent: int, walk: int, window: int
) -> None:
    """PostgreSQL reads id ranges newest first (core.repositories.search._postgres_candidates):
    with tiny ranges every stage runs, and the page and total must be those of one big range."""
    texts = [
        "kiwi apple" if n % 3 == 0 else "local privacy rules" if n % 4 == 0 else "pear"
        for n in range(60)
    ]
    chat_with("Fruit", *texts)
    queries = ("kiwi", '"local privacy"', "priv*", "pear -kiwi", "kiwi apple")

    def pages() -> list[tuple[list[int], int, bool]]:
        result = []
        for query in queries:
            page = search_messages(query, limit=100)
            result.append(([hit.message_id for hit in page.hits], page.total, page.estimated))
        return result

    monkeypatch.setattr(search_service, "RANK_WINDOW", window)
    whole = pages()
    monkeypatch.setattr(search_repository, "RECENT_ROWS", recent)
    monkeypatch.setattr(search_repository, "WALK_ROWS", walk)
    assert pages() == whole
    assert all(len(ids) == window for ids, _, _ in whole)  # every query had more than a window
