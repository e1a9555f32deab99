"""Full-text search (``core.services.search``), on SQLite and on a real PostgreSQL (``db``).

Each test stores messages through the repositories and the answer writer the app uses — so the
index is kept by the same triggers and generated columns as in real use — and searches them with
:func:`search_messages`: accents and case folded both ways, phrases, prefixes, exclusions, tags
and every filter, odd queries that must never raise, what deleting a chat or a version and
archiving a chat do to the results, an answer found while it streams, ranking and the estimate.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from core.conf.db import session_scope
from core.models import Message
from core.repositories.messages import MessageRepository
from core.search.snippets import parts
from core.services import chats, organise
from core.services import search as search_service
from core.services.search import SearchPage, find_in_chat, search_messages
from tests.chat_rows import chat_with, streaming_answer


def contents(page: SearchPage) -> list[str]:
    """The hits' messages, in the page's order."""
    with session_scope() as db:
        repo = MessageRepository(db)
        return [repo.get(hit.message_id).content for hit in page.hits]


def found(query: str, **filters: object) -> set[str]:
    return set(contents(search_messages(query, limit=100, **filters)))  # type: ignore[arg-type]


def marked(snippet: str) -> list[str]:
    return [text for text, is_marked in parts(snippet) if is_marked]


def test_accents_and_case_are_folded_both_ways(db: str) -> None:
    chat_with("Biología", "¿Qué es la fotosíntesis?", "La FOTOSINTESIS convierte luz en azúcar.")
    chat_with("Other", "Photosynthesis in English", "nothing to see")
    both = {"¿Qué es la fotosíntesis?", "La FOTOSINTESIS convierte luz en azúcar."}
    assert found("FOTOSINTESIS") == both
    assert found("fotosíntesis") == both
    assert found("FotoSÍNTESIS") == both
    assert found("azucar") == found("AZÚCAR") == {"La FOTOSINTESIS convierte luz en azúcar."}
    page = search_messages("fotosintesis")
    assert page.total == 2 and not page.estimated
    by_id = {hit.sender: hit for hit in page.hits}
    assert marked(by_id["user"].snippet) == ["fotosíntesis"]  # the word as written is marked
    assert marked(by_id["llm"].snippet) == ["FOTOSINTESIS"]
    assert by_id["llm"].model == "qwen3-8b" and by_id["llm"].chat_title == "Biología"


def test_words_phrases_prefixes_and_exclusions(db: str) -> None:
    chat_with(
        "Animals",
        "the quick brown fox jumps",
        "a brown dog, quick as ever",
        "photosynthesis and photographs",
        "a phone call about the local privacy policy",
        "local data, private to you",
    )
    assert found("quick brown") == {"the quick brown fox jumps", "a brown dog, quick as ever"}
    assert found('"quick brown"') == {"the quick brown fox jumps"}
    assert found('"brown quick"') == set()
    assert found("photo*") == {"photosynthesis and photographs"}
    assert found("pho*") == {
        "photosynthesis and photographs",
        "a phone call about the local privacy policy",
    }
    assert found('"local priv*"') == {"a phone call about the local privacy policy"}
    assert found("priv*") == {
        "a phone call about the local privacy policy",
        "local data, private to you",
    }
    assert found("brown -dog") == {"the quick brown fox jumps"}
    assert found('local -"privacy policy"') == {"local data, private to you"}
    hit = search_messages('"local privacy"').hits[0]
    assert marked(hit.snippet) == ["local privacy"]  # a phrase is one mark
    assert marked(search_messages("photo*").hits[0].snippet) == ["photosynthesis", "photographs"]


ODD = [
    "",
    "   ",
    '"',
    '"open quote',
    'unbalanced "phrase',
    "*",
    "**",
    "-",
    "- -",
    "-*",
    '-"',
    "AND(",
    "a AND b OR NOT c",
    "NEAR(a b, 3)",
    "content: x",
    "x OR",
    "^x",
    "'; DROP TABLE messages; --",
    "%",
    "_",
    "\\",
    "🎵",
    "👩‍👩‍👧",
    "tag:",
    'tag:"',
    "tag:" + "x" * 100,
    "e-mail",
    "don't",
    "x" * 2000,
    "word " * 200,
    "(((",
    ":*",
    "!!",
    "'a' <-> 'b'",
    "\x1b[31m",
    "\u200f",
]


@pytest.mark.parametrize("query", ODD)
def test_odd_queries_give_results_or_nothing_never_an_error(db: str, query: str) -> None:
    chat_with("Everything", "AND NEAR content e-mail don't DROP TABLE messages word 🎵 x", "b")
    page = search_messages(query)
    assert isinstance(page.total, int) and len(page.hits) <= page.total
    for hit in page.hits:
        assert hit.snippet


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_any_text_typed_is_a_query_that_never_fails(db: str, query: str) -> None:
    query = query.replace("\x00", "")
    chat_with("Anything", "plain words here", "and an answer")
    page = search_messages(query)
    assert page.total >= len(page.hits)
    assert find_in_chat(1, query).total >= 0


def test_filters_chat_sender_model_dates_tags_pinned_archived(db: str) -> None:
    work = chat_with("Work", "paella recipe question", "paella answer", model="qwen3-8b")
    home = chat_with("Home", "paella at home", "paella answer at home", model="smollm2")
    organise.add_tag([work], "Recipes")
    organise.set_pinned([home])
    organise.set_archived([work])
    everything = found("paella")
    assert len(everything) == 4
    assert found("paella", chat_id=work) == {"paella recipe question", "paella answer"}
    assert found("paella", sender="user") == {"paella recipe question", "paella at home"}
    assert found("paella", model="smollm2") == {"paella answer at home"}
    assert (
        found("paella", tag="recipes")
        == found("paella tag:RECIPES")
        == found("tag:#recipes paella")
    )
    assert found("paella", tag="recipes") == {"paella recipe question", "paella answer"}
    assert found("paella", tag="nope") == set() and found("paella tag:nope") == set()
    assert found("paella", pinned=True) == {"paella at home", "paella answer at home"}
    assert found("paella", archived=False) == {"paella at home", "paella answer at home"}
    assert found("paella", archived=True, pinned=False, tags=("recipes",)) == {
        "paella recipe question",
        "paella answer",
    }
    assert found("tag:recipes") == set()  # a tag alone has no word to look for

    with session_scope(write=True) as dbs:
        dbs.execute(
            update(Message)
            .where(Message.chat_id == home)
            .values(created_at=datetime(2024, 3, 1, 23, 30, tzinfo=UTC))
        )
    day = date(2024, 3, 1)
    at_home = {"paella at home", "paella answer at home"}
    assert found("paella", date_from=day, date_to=day) == at_home
    assert found("paella", date_to=day - timedelta(days=1)) == set()
    # 23:30 UTC on March 1st is March 2nd in Madrid (UTC+1): days are the reader's.
    madrid = timezone(timedelta(hours=1))
    assert found("paella", date_from=day, date_to=day, zone=madrid) == set()
    assert len(found("paella", date_from=day + timedelta(days=1), zone=madrid)) == 4


def test_archived_chats_are_found_and_flagged_deleted_ones_are_gone(db: str) -> None:
    kept = chat_with("Kept", "zeppelin over the bay", "yes")
    archived = chat_with("Archived", "zeppelin in the archive", "ok")
    doomed = chat_with("Doomed", "zeppelin to delete", "ok")
    organise.set_archived([archived])
    hits = {hit.chat_id: hit for hit in search_messages("zeppelin").hits}
    assert set(hits) == {kept, archived, doomed}
    assert hits[archived].archived and not hits[kept].archived

    chats.delete_chat(doomed)
    assert {hit.chat_id for hit in search_messages("zeppelin").hits} == {kept, archived}
    assert search_messages("zeppelin").total == 2


def test_every_version_is_found_and_a_deleted_version_is_gone(db: str) -> None:
    chat_id = chat_with("Versions", "tell me about walruses", "first answer: tusks")
    with session_scope(write=True) as dbs:
        repo = MessageRepository(dbs)
        question = repo.branch(chat_id)[0].id
        second = repo.create_message(chat_id, "llm", "second answer: whiskers", parent_id=question)
    hits = {hit.message_id: hit for hit in search_messages("answer").hits}
    assert len(hits) == 2
    assert hits[second.id].selected  # the version shown
    assert [h.selected for i, h in hits.items() if i != second.id] == [False]  # another version
    chats.delete_version(second.id)
    assert found("whiskers") == set()
    assert found("tusks") == {"first answer: tusks"}


def test_an_answer_is_found_while_it_streams_and_an_edit_replaces_its_words(db: str) -> None:
    chat_id = chat_with("Live", "write about glaciers")
    answer_id, writer = streaming_answer(chat_id)
    writer.save("Glaciers are slow rivers of ice", "thinking about moraines")
    page = search_messages("glaciers rivers")
    assert [hit.message_id for hit in page.hits] == [answer_id]
    reasoning = search_messages("moraines").hits[0]
    assert reasoning.in_reasoning and marked(reasoning.snippet) == ["moraines"]
    writer.save("Glaciers are slow rivers of ice that carve valleys", "thinking about moraines")
    assert found("carve valleys") == {"Glaciers are slow rivers of ice that carve valleys"}
    writer.finish("Icebergs calve from glaciers", "", "complete")
    assert found("rivers") == set() and found("moraines") == set()
    assert found("icebergs") == {"Icebergs calve from glaciers"}


def test_titles_are_not_message_hits_but_find_in_chat_covers_one_chat(db: str) -> None:
    one = chat_with(
        "Lighthouse keeper", "the lamp", "a lighthouse lamp", "the lighthouse again", "ok"
    )
    chat_with("Elsewhere", "another lighthouse")
    assert len(found("lighthouse")) == 3  # messages only: the title is found by History
    page = find_in_chat(one, "LIGHTHOUSE")
    assert {hit.chat_id for hit in page.hits} == {one} and page.total == 2


def test_best_matches_first_then_newest(db: str) -> None:
    long_once = "kiwi " + "filler words that say nothing in particular " * 20
    chat_with("Fruit", long_once, "kiwi kiwi kiwi, three kiwi", "a kiwi", "a kiwi")
    page = search_messages("kiwi")
    assert contents(page) == [
        "kiwi kiwi kiwi, three kiwi",  # the most matches
        "a kiwi",  # two equal messages: the same rank, the newer first
        "a kiwi",
        long_once,  # one match lost in a long message
    ]
    tie = page.hits[1:3]
    assert tie[0].rank == tie[1].rank and tie[0].message_id > tie[1].message_id


def test_paging_and_an_estimated_total_beyond_the_ranked_window(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat_with("Many", *[f"quokka number {i}" for i in range(30)])
    first = search_messages("quokka", limit=12)
    assert (first.total, first.estimated, first.pages, len(first.hits)) == (30, False, 3, 12)
    third = search_messages("quokka", limit=12, offset=24)
    assert len(third.hits) == 6 and third.page == 2
    pages = [search_messages("quokka", limit=12, offset=offset) for offset in (0, 12, 24)]
    every = [hit.message_id for page in pages for hit in page.hits]
    assert len(set(every)) == 30

    monkeypatch.setattr(search_service, "RANK_WINDOW", 10)
    page = search_messages("quokka", limit=4)
    assert page.estimated and page.reachable == 10 and page.pages == 3
    assert 20 <= page.total <= 40  # 30 really; estimated from the density of the newest 10
    assert search_messages("quokka", limit=4, offset=12).hits == ()


def test_snippets_escape_the_marks_a_message_may_hold(db: str) -> None:
    chat_with("Markdown", "use **bold** and a*b for the walrus \\ operator")
    (hit,) = search_messages("walrus").hits
    assert marked(hit.snippet) == ["walrus"]
    assert "".join(text for text, _ in parts(hit.snippet)) == (
        "use **bold** and a*b for the walrus \\ operator"
    )
