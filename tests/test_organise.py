"""Organising chats (issue 10, section 3), in storage: pins, archive, tags — on both databases."""

from __future__ import annotations

import pytest

from core import errors
from core.services import organise
from core.services.chats import get_chat, list_chats, new_chat


def test_pinned_first_archived_out_of_the_sidebar(db: str) -> None:
    old, middle = new_chat("old"), new_chat("middle")
    new_chat("new")
    organise.set_pinned([old])
    organise.set_archived([middle])
    assert [c.title for c in list_chats()] == ["old", "new", "middle"]  # History: all, pinned first
    assert [c.title for c in list_chats(include_archived=False)] == ["old", "new"]  # the sidebar
    assert get_chat(old).pinned and get_chat(middle).archived
    organise.set_pinned([old], False)
    organise.set_archived([middle], False)
    assert [c.title for c in list_chats(include_archived=False)] == ["new", "middle", "old"]


def test_tags_are_added_to_several_chats_renamed_merged_and_deleted(db: str) -> None:
    a, b = new_chat("a"), new_chat("b")
    assert organise.add_tag([a, b], "  Work   Stuff ") == "work stuff"
    organise.add_tag([a], "#recipes")
    organise.add_tag([a], "WORK stuff")  # the same tag: nothing doubles
    assert get_chat(a).tags == ("recipes", "work stuff")
    assert organise.tags() == [("recipes", 1), ("work stuff", 2)]
    organise.rename_tag("recipes", "work stuff")  # onto an existing one: merged
    assert get_chat(a).tags == ("work stuff",)
    assert organise.tags() == [("work stuff", 2)]
    organise.remove_tag([b], "work stuff")
    assert get_chat(b).tags == ()
    organise.delete_tag("work stuff")
    assert organise.tags() == [] and get_chat(a).tags == ()
    with pytest.raises(errors.InputError):
        organise.add_tag([a], "   ")
    with pytest.raises(errors.ChatNotFound):
        organise.add_tag([424242], "x")
