"""History search (``core.services.history``), run on SQLite and on a real PostgreSQL (``db``).

What the History page relies on: the text is a full-text query (``core.search.query``) that
matches a chat's title or any of its messages, ignoring case and accents, where punctuation is
never syntax; a chat matching through many messages is listed once; the date range is inclusive
by calendar day of the reader's zone on the last activity; the model filter matches a chat's own
setting or any answer's model; tags (also ``tag:`` in the text), pinned and archived filter;
filters combine; pages are stable, pinned chats first, then newest; the counts agree with the
lists.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from core.conf.db import session_scope
from core.models import Chat
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository
from core.schemas import ChatSettings
from core.services import organise
from core.services.history import (
    HistoryFilter,
    count_chats,
    latest_models,
    list_models_used,
    search_chats,
)


def chat(title: str, *messages: str, model: str | None = None) -> int:
    """A chat with user messages (and, with ``model``, an answer from that model)."""
    with session_scope(write=True) as db:
        chat_id = ChatRepository(db).create(title).id
        repo = MessageRepository(db)
        for text in messages:
            repo.create_message(chat_id, "user", text)
        if model is not None:
            repo.create_message(chat_id, "llm", "an answer", model=model)
    return chat_id


def set_last_activity(chat_id: int, moment: datetime) -> None:
    with session_scope(write=True) as db:
        db.execute(update(Chat).where(Chat.id == chat_id).values(last_activity=moment))


def found(flt: HistoryFilter) -> set[int]:
    """The ids search_chats returns (checked against count_chats on the way)."""
    ids = [c.id for c in search_chats(None, flt, limit=1000)]
    assert len(ids) == len(set(ids)), "a chat is listed twice"
    assert count_chats(flt) == len(ids)
    return set(ids)


def text(value: str) -> HistoryFilter:
    return HistoryFilter(text=value)


def test_text_matches_the_title_ignoring_case(db: str) -> None:
    paella = chat("Recipe for PAELLA", "rice and saffron")
    chat("Gazpacho", "tomatoes")
    assert found(text("paella")) == {paella}
    assert found(text("Recipe for paella")) == {paella}
    assert found(text("  paella  ")) == {paella}  # surrounding blanks are not part of the search


def test_text_matches_a_message_that_the_title_does_not_have(db: str) -> None:
    fox = chat("Animals", "The QUICK brown fox", "jumps over")
    chat("Animals too", "a lazy dog")
    assert found(text("quick brown")) == {fox}
    assert found(text("JUMPS")) == {fox}


def test_accents_and_case_are_folded_and_symbols_filter_nothing(db: str) -> None:
    song = chat("Música", "Una canción de cuna 🎵")
    angel = chat("Ángel", "ÉL dijo")
    plain = chat("Musica", "sin acentos: cancion")
    assert found(text("canción")) == {song, plain}  # accents are folded both ways
    assert found(text("CANCION DE")) == {song}
    assert found(text('"cancion de"')) == {song}
    assert found(text("ángel")) == found(text("ANGEL")) == {angel}
    assert found(text("él")) == {angel}
    assert found(text("musica")) == {song, plain}  # titles too
    assert found(text("🎵")) == {song, angel, plain}  # nothing to search: no text filter
    assert HistoryFilter(text="🎵").is_empty


def test_a_chat_matching_through_many_messages_is_listed_once(db: str) -> None:
    many = chat("needle in title", *(f"needle number {i}" for i in range(6)))
    assert found(text("needle")) == {many}
    assert [c.id for c in search_chats(None, text("needle"))] == [many]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("100%", {"percent"}),
        ("snake_case", {"underscore"}),  # words of a word: searched as a phrase
        ("a/b", {"slash"}),
        ("C:\\Users", {"backslash"}),
        ("[x]", {"brackets", "no_brackets"}),
        ("x AND(", set()),  # no chat holds the word "and"
        ("'; DROP TABLE chats; --", set()),
    ],
)
def test_punctuation_and_operators_are_never_syntax(
    db: str, query: str, expected: set[str]
) -> None:
    ids = {
        "percent": chat("Sure", "I am 100% sure"),
        "no_percent": chat("Sure too", "I am 1000 sure"),
        "underscore": chat("Code", "snake_case names"),
        "no_underscore": chat("Code too", "snakeXcase names"),
        "slash": chat("Paths", "a/b"),
        "no_slash": chat("Paths too", "ab axb"),
        "backslash": chat("Windows", "C:\\Users"),
        "brackets": chat("Glob", "match [x] literally"),
        "no_brackets": chat("Glob too", "match x literally"),
    }
    names = {chat_id: name for name, chat_id in ids.items()}
    assert {names[i] for i in found(text(query))} == expected


def test_date_range_is_inclusive_by_utc_day(db: str) -> None:
    day = date(2024, 3, 1)
    midnight = datetime(2024, 3, 1, tzinfo=UTC)
    moments = {
        "before": midnight - timedelta(microseconds=1),
        "first": midnight,
        "last": midnight + timedelta(days=1) - timedelta(microseconds=1),
        "after": midnight + timedelta(days=1),
        "later": midnight + timedelta(days=5),
    }
    ids = {}
    for name, moment in moments.items():
        ids[name] = chat(name)
        set_last_activity(ids[name], moment)
    names = {chat_id: name for name, chat_id in ids.items()}

    def between(start: date | None, end: date | None) -> set[str]:
        return {names[i] for i in found(HistoryFilter(date_from=start, date_to=end))}

    assert between(day, day) == {"first", "last"}
    assert between(day, None) == {"first", "last", "after", "later"}
    assert between(None, day) == {"before", "first", "last"}
    assert between(day + timedelta(days=1), day + timedelta(days=5)) == {"after", "later"}
    assert between(day + timedelta(days=1), day) == set()  # an inverted range selects nothing
    # Days are UTC days whatever zone a time was given in: 23:30 on March 1st at UTC-2 is
    # March 2nd in UTC, so it is not in "up to March 1st".
    late = chat("late")
    set_last_activity(late, datetime(2024, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=-2))))
    assert late not in found(HistoryFilter(date_to=day))
    assert late in found(HistoryFilter(date_from=day + timedelta(days=1)))
    # In the reader's zone: at UTC-2 that moment is still March 1st.
    minus_two = timezone(timedelta(hours=-2))
    assert late in found(HistoryFilter(date_from=day, date_to=day, zone=minus_two))
    assert ids["first"] not in found(HistoryFilter(date_from=day, date_to=day, zone=minus_two))


def test_model_matches_the_chat_setting_or_any_answer(db: str) -> None:
    with session_scope(write=True) as dbs:
        setting = ChatRepository(dbs).create("set on the chat", ChatSettings(model="qwen3-8b")).id
    answered = chat("answered by it", "hi", model="qwen3-8b")
    other = chat("another model", "hi", model="smollm2")
    mixed = chat("both", "hi", model="smollm2")
    with session_scope(write=True) as dbs:
        MessageRepository(dbs).create_message(mixed, "llm", "later answer", model="qwen3-8b")

    assert found(HistoryFilter(model="qwen3-8b")) == {setting, answered, mixed}
    assert found(HistoryFilter(model="smollm2")) == {other, mixed}
    assert found(HistoryFilter(model="qwen3")) == set()  # exact, not a substring
    assert list_models_used() == ["qwen3-8b", "smollm2"]
    assert latest_models([setting, answered, other, mixed]) == {
        setting: "qwen3-8b",  # no answer yet: the chat's own setting
        answered: "qwen3-8b",
        other: "smollm2",
        mixed: "qwen3-8b",  # the latest answer's model
    }


def test_filters_combine(db: str) -> None:
    match = chat("Trip to Lisbon", "book the hotel", model="qwen3-8b")
    wrong_model = chat("Trip to Porto", "book the hotel", model="smollm2")
    wrong_text = chat("Shopping", "buy bread", model="qwen3-8b")
    old = chat("Old trip", "book the hotel", model="qwen3-8b")
    set_last_activity(old, datetime(2020, 1, 1, tzinfo=UTC))
    today = datetime.now(UTC).date()
    flt = HistoryFilter(text="hotel", model="qwen3-8b", date_from=today - timedelta(days=1))
    assert found(flt) == {match}
    assert {wrong_model, wrong_text, old}.isdisjoint(found(flt))


def test_tags_pinned_and_archived_filter_and_pinned_chats_come_first(db: str) -> None:
    work = chat("Work", "quarterly report")
    home = chat("Home", "garden report")
    old = chat("Old", "nothing")
    set_last_activity(old, datetime(2020, 1, 1, tzinfo=UTC))
    organise.add_tag([work, home], "Reports")
    organise.add_tag([work], "office")
    organise.set_pinned([old])
    organise.set_archived([home])
    assert search_chats(None, HistoryFilter())[0].id == old  # pinned first
    assert found(HistoryFilter(tags=("reports",))) == {work, home}
    assert found(HistoryFilter(tags=("reports", "office"))) == {work}
    assert found(text("tag:reports report")) == {work, home}
    assert found(text("tag:#Office")) == {work}
    assert found(text("tag:unknown")) == set()
    assert found(HistoryFilter(text="report", archived=False)) == {work}
    assert found(HistoryFilter(archived=True)) == {home}
    assert found(HistoryFilter(pinned=True)) == {old}
    assert not HistoryFilter(text="tag:x").is_empty and not HistoryFilter(pinned=False).is_empty


def test_no_filter_lists_everything_newest_first_in_stable_pages(db: str) -> None:
    ids = [chat(f"chat {i}") for i in range(25)]
    base = datetime(2024, 1, 1, tzinfo=UTC)
    for position, chat_id in enumerate(ids):
        set_last_activity(chat_id, base + timedelta(minutes=position % 5))  # ties on purpose
    assert HistoryFilter().is_empty and HistoryFilter(text="   ").is_empty
    pages = [search_chats(None, HistoryFilter(), limit=10, offset=o) for o in (0, 10, 20)]
    listed = [c.id for page in pages for c in page]
    assert sorted(listed) == sorted(ids)  # every chat once, across pages
    keys = [(c.last_activity, c.id) for page in pages for c in page]
    assert keys == sorted(keys, reverse=True)  # newest activity first, then newest id
    assert count_chats() == count_chats(HistoryFilter(text=" ")) == 25
    summary = pages[0][0]
    assert summary.title.startswith("chat ") and summary.message_count == 0


def test_search_uses_a_given_session(db: str) -> None:
    chat_id = chat("in a session", "hello")
    with session_scope() as dbs:
        assert [c.id for c in search_chats(dbs, text("hello"))] == [chat_id]
        assert count_chats(text("hello"), db=dbs) == 1
        assert list_models_used(db=dbs) == []
