"""Versions in storage (issue 8, section 1), on SQLite and a real PostgreSQL.

A chat's messages form a tree; the selected branch is what the seed's calls read and write. These
tests build trees through the repositories and check the invariant every operation must keep —
the selected rows are exactly one path from a first message to a leaf — besides what each operation
is for. ``check_branch`` reads the flags straight from the table, not through the code under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.conf.db import SessionLocal, session_scope
from core.errors import ChatNotFound, MessageNotFound
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository
from core.repositories.versions import VersionRepository
from core.schemas import MessageRecord


@contextmanager
def session() -> Iterator[Session]:
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


def new_chat() -> int:
    with session_scope(write=True) as db:
        return ChatRepository(db).create("tree").id


def add(chat_id: int, sender: str, content: str, **fields: object) -> MessageRecord:
    with session_scope(write=True) as db:
        return MessageRepository(db).create_message(chat_id, sender, content, **fields)  # type: ignore[arg-type]


def rows(chat_id: int) -> list[tuple[int, int | None, int, bool, str]]:
    """(id, parent_id, depth, selected, content) of every message, straight from the table."""
    with session() as db:
        found = db.execute(
            text(
                "SELECT id, parent_id, depth, selected, content FROM messages"
                " WHERE chat_id = :c ORDER BY id"
            ),
            {"c": chat_id},
        ).all()
    return [(r.id, r.parent_id, r.depth, bool(r.selected), r.content) for r in found]


def check_branch(chat_id: int) -> list[str]:
    """Assert the selected rows form one path from a first message down; return its texts."""
    table = rows(chat_id)
    by_id = {r[0]: r for r in table}
    selected = [r for r in table if r[3]]
    for position, (message_id, parent_id, depth, _, _) in enumerate(selected):
        assert depth == position, f"message {message_id} at depth {depth}, position {position}"
        if position == 0:
            assert parent_id is None
        else:
            assert parent_id == selected[position - 1][0]
        if parent_id is not None:
            assert by_id[parent_id][2] == depth - 1
    # Nothing selected hangs below the leaf.
    if selected:
        leaf = selected[-1][0]
        assert not [r for r in table if r[1] == leaf and r[3]]
    return [r[4] for r in selected]


def context(chat_id: int, limit: int = 20) -> list[str]:
    with session() as db:
        return [
            m["content"] for m in MessageRepository(db).get_chat_context_for_llm(chat_id, limit)
        ]


def linear(chat_id: int, count: int) -> list[MessageRecord]:
    return [add(chat_id, "user" if i % 2 == 0 else "llm", f"m{i}") for i in range(count)]


def test_create_message_appends_to_the_selected_branch(db: str) -> None:
    chat_id = new_chat()
    made = linear(chat_id, 4)
    assert [m.parent_id for m in made] == [None, made[0].id, made[1].id, made[2].id]
    assert [m.depth for m in made] == [0, 1, 2, 3]
    assert check_branch(chat_id) == ["m0", "m1", "m2", "m3"]
    assert context(chat_id) == ["m0", "m1", "m2", "m3"]


def test_a_new_version_of_an_answer_keeps_the_old_one(db: str) -> None:
    chat_id = new_chat()
    u0, a0, _u1, _a1 = linear(chat_id, 4)
    # Regenerate the first answer: a sibling of a0, under u0.
    redo = add(chat_id, "llm", "a0 second", parent_id=u0.id)
    assert (redo.parent_id, redo.depth) == (u0.id, 1)
    assert check_branch(chat_id) == ["m0", "a0 second"]
    assert context(chat_id) == ["m0", "a0 second"]  # the old branch is never sent
    assert len(rows(chat_id)) == 5  # nothing was deleted
    with session() as db:
        assert ChatRepository(db).get(chat_id).message_count == 5
        shown = MessageRepository(db).branch(chat_id)
        versions = VersionRepository(db).versions_of(shown)
    assert versions[redo.id].index == 2 and versions[redo.id].count == 2
    assert versions[redo.id].previous_id == a0.id and versions[redo.id].next_id is None
    assert u0.id not in versions  # one version only: nothing to show


def test_switching_back_shows_the_old_branch_to_its_end(db: str) -> None:
    chat_id = new_chat()
    u0, a0, _u1, a1 = linear(chat_id, 4)
    redo = add(chat_id, "llm", "a0 second", parent_id=u0.id)
    with session_scope(write=True) as db:
        leaf = VersionRepository(db).select_version(a0.id)
    assert leaf == a1.id
    assert check_branch(chat_id) == ["m0", "m1", "m2", "m3"]
    with session_scope(write=True) as db:
        assert VersionRepository(db).select_version(redo.id) == redo.id
    assert check_branch(chat_id) == ["m0", "a0 second"]
    # The seed's create_message continues the selected branch.
    after = add(chat_id, "user", "next")
    assert after.parent_id == redo.id
    assert check_branch(chat_id) == ["m0", "a0 second", "next"]


def test_editing_the_first_message_makes_a_new_first_version(db: str) -> None:
    chat_id = new_chat()
    u0, _a0 = linear(chat_id, 2)
    edited = add(chat_id, "user", "m0 edited", parent_id=None)
    assert (edited.parent_id, edited.depth) == (None, 0)
    add(chat_id, "llm", "answer to the edit")
    assert check_branch(chat_id) == ["m0 edited", "answer to the edit"]
    with session() as db:
        shown = MessageRepository(db).branch(chat_id)
        versions = VersionRepository(db).versions_of(shown)
    assert (versions[edited.id].index, versions[edited.id].count) == (2, 2)
    with session_scope(write=True) as db:
        VersionRepository(db).select_version(u0.id)
    assert check_branch(chat_id) == ["m0", "m1"]


def test_a_version_deep_in_an_unselected_branch_can_be_selected(db: str) -> None:
    chat_id = new_chat()
    u0, _a0, u1, _a1 = linear(chat_id, 4)
    a1b = add(chat_id, "llm", "a1 second", parent_id=u1.id)
    add(chat_id, "llm", "a0 second", parent_id=u0.id)  # now a0's whole branch is unselected
    with session_scope(write=True) as db:
        assert VersionRepository(db).select_version(a1b.id) == a1b.id
    assert check_branch(chat_id) == ["m0", "m1", "m2", "a1 second"]


def test_deleting_a_shown_version_shows_its_neighbour(db: str) -> None:
    chat_id = new_chat()
    u0, a0, u1, _a1 = linear(chat_id, 4)
    redo = add(chat_id, "llm", "a0 second", parent_id=u0.id)
    with session_scope(write=True) as db:
        VersionRepository(db).select_version(a0.id)
    with session_scope(write=True) as db:
        assert VersionRepository(db).delete_version(a0.id) == 3  # a0, u1, a1
    assert check_branch(chat_id) == ["m0", "a0 second"]
    with session() as db:
        assert ChatRepository(db).get(chat_id).message_count == 2
        with pytest.raises(MessageNotFound):
            MessageRepository(db).get(u1.id)
    assert redo.id in [r[0] for r in rows(chat_id)]


def test_deleting_a_hidden_version_changes_nothing_shown(db: str) -> None:
    chat_id = new_chat()
    u0, a0 = linear(chat_id, 2)
    add(chat_id, "llm", "a0 second", parent_id=u0.id)
    with session_scope(write=True) as db:
        assert VersionRepository(db).delete_version(a0.id) == 1
    assert check_branch(chat_id) == ["m0", "a0 second"]


def test_delete_message_keeps_what_followed(db: str) -> None:
    chat_id = new_chat()
    made = linear(chat_id, 4)
    with session_scope(write=True) as db:
        MessageRepository(db).delete_message(made[1].id)
    assert check_branch(chat_id) == ["m0", "m2", "m3"]


def test_context_of_an_unknown_chat_raises_chat_not_found(db: str) -> None:
    with session() as db, pytest.raises(ChatNotFound):
        MessageRepository(db).get_chat_context_for_llm(424242)


def test_context_limit_counts_usable_messages_of_the_branch(db: str) -> None:
    chat_id = new_chat()
    _u0, _a0, u1, _a1 = linear(chat_id, 4)
    add(chat_id, "llm", "", parent_id=u1.id, status="error")  # a failed regeneration
    add(chat_id, "llm", "a1 third", parent_id=u1.id)
    assert context(chat_id, limit=2) == ["m2", "a1 third"]
    assert context(chat_id) == ["m0", "m1", "m2", "a1 third"]


def test_a_message_of_another_chat_is_not_a_parent(db: str) -> None:
    chat_id, other = new_chat(), new_chat()
    (stranger,) = linear(other, 1)
    linear(chat_id, 1)
    with pytest.raises(MessageNotFound):
        add(chat_id, "llm", "x", parent_id=stranger.id)
    assert check_branch(chat_id) == ["m0"]


def test_going_back_to_a_version_shows_the_conversation_as_it_was_left(db: str) -> None:
    """Not merely the newest answers below it: the branch the person last saw there."""
    chat_id = new_chat()
    u0, a0 = linear(chat_id, 2)
    a0b = add(chat_id, "llm", "a0 second", parent_id=u0.id)  # regenerated: a0b shown
    with session_scope(write=True) as db:
        VersionRepository(db).select_version(a0.id)  # back to the first answer …
    add(chat_id, "user", "about cats")  # … and the conversation goes on there
    add(chat_id, "llm", "cats!")
    add(chat_id, "user", "m0 edited", parent_id=None)  # then the first message is edited
    assert check_branch(chat_id) == ["m0 edited"]
    with session_scope(write=True) as db:
        VersionRepository(db).select_version(u0.id)  # going back to the first version
    assert check_branch(chat_id) == ["m0", "m1", "about cats", "cats!"]  # not "a0 second"
    assert a0b.id > a0.id  # (the newer answer would have been the newest-first choice)
