"""A private history per person (issue 14, section 2) for what other branches added: the JSON and
Markdown exports, the import, Insights, Compare and presets. The rest of the isolation matrix
(:mod:`tests.test_owners`) lists these entry points in ``COVERED``; the checks are here.

Alice has a chat with an answer, a tag, a comparison and a default preset; Bob, signed in as
himself, exports, imports, reads Insights, opens and stops comparisons and edits presets with her
ids: he gets nothing of hers (empty, or "not found" as for a deleted row), his own copies of what
he imports, and Alice's data is unchanged afterwards. ``oidc`` mode, SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core import errors
from core.conf import settings as conf_settings
from core.conf.db import session_scope
from core.identity import Identity, Owner, acting_as
from core.models import COMPARISON
from core.repositories.comparisons import ComparisonRepository
from core.repositories.messages import MessageRepository
from core.schemas import ChatSettings
from core.services import chats, compare, insights, organise, presets, users
from core.services.chat import ChatService
from core.services.export import csv_export, records
from core.services.export.formats import ExportFormat, deferred_export, export_file, write_export
from core.services.export.json_export import write_json
from core.services.export.markdown_export import write_markdown
from core.services.export.scope import ExportScope
from core.services.importers import load
from core.services.insights import InsightsFilter, Narrow
from core.vocab import Sender, Status
from tests.fakes.fake_llm_server import FakeLLMServer, Reply

SECRET = "alice-secret-words"
NOT_LOADED = "qwen3-8b"  # the fake LM Studio's list says it is not loaded
LOADED = "smollm2-135m-instruct"
DEADLINE = 30.0
CODER = {
    "identifier": "@local:coder",
    "name": "Coder",
    "operation": {"fields": [{"key": "llm.prediction.temperature", "value": 0.2}]},
}


@dataclass
class Two:
    alice: Owner
    bob: Owner
    chat: int  # Alice's
    answer: int
    comparison: int  # Alice's, with an answer still being written
    writing: int
    preset: int  # Alice's default
    bob_chat: int


def wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def not_found(call: Callable[[], Any]) -> None:
    with pytest.raises(errors.NotFound):
        call()


@pytest.fixture
def two(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Two]:
    monkeypatch.setenv("CHARLA_AUTH", "oidc")
    conf_settings.reset_settings()
    insights.forget()
    alice = users.sign_in(Identity("http://idp", "alice", "alice@example.com", "Alice"))
    bob = users.sign_in(Identity("http://idp", "bob", "bob@example.com", "Bob"))
    with acting_as(alice.id):
        chat = chats.new_chat(f"Plans {SECRET}")
        comparison = chats.new_chat(f"Compare {SECRET}")
        with session_scope(write=True) as db:
            repo = MessageRepository(db)
            repo.create_message(chat, Sender.USER, f"Question {SECRET}")
            answer = repo.create_message(
                chat, Sender.LLM, f"Answer {SECRET}", model="alice-model", prompt_tokens=12
            ).id
            question = repo.create_message(comparison, Sender.USER, f"Which {SECRET}").id
            writing = repo.create_message(
                comparison, Sender.LLM, "", status=Status.STREAMING, parent_id=question, model="m"
            ).id
            ComparisonRepository(db).set_kind(comparison, COMPARISON)
        organise.add_tag([chat], "work")
        preset = presets.create_preset(f"Preset {SECRET}", SECRET, ChatSettings(temperature=0.1))
        presets.set_default(preset.id)
    with acting_as(bob.id):
        bob_chat = chats.new_chat("Bob's own")
    yield Two(alice, bob, chat, answer, comparison, writing, preset.id, bob_chat)
    insights.forget()
    conf_settings.reset_settings()


def alice_untouched(w: Two) -> None:
    with acting_as(w.alice.id):
        assert sorted(c.id for c in chats.list_chats()) == sorted([w.chat, w.comparison])
        assert chats.get_chat(w.chat).tags == ("work",)
        assert [p.name for p in presets.list_presets()] == [f"Preset {SECRET}"]
        default = presets.default_preset()
        assert default is not None and default.id == w.preset
        assert [c.id for c in compare.recent()] == [w.comparison]
        with session_scope() as db:
            assert MessageRepository(db).stop_requested([w.writing]) == []
        view = insights.overview(InsightsFilter())
        assert view.history and view.answers == 1


def everything_of(call: Callable[[io.BytesIO], object]) -> bytes:
    target = io.BytesIO()
    call(target)
    return target.getvalue()


def test_bob_exports_nothing_of_alices(two: Two, tmp_path: Path) -> None:
    w = two
    with acting_as(w.alice.id):  # her own export holds her chats and her preset
        mine = everything_of(lambda t: write_json(t, ExportScope.everything()))
        assert SECRET.encode() in mine and len(json.loads(mine)["presets"]) == 1
    with acting_as(w.bob.id):
        for scope in (ExportScope.everything(), ExportScope.chat(w.chat)):
            assert [c.id for c, _ in records.chats_with_messages(scope)] in ([w.bob_chat], [])
            assert [c.id for c, _, _ in records.chats_with_files(scope)] in ([w.bob_chat], [])
            data = everything_of(lambda t, s=scope: csv_export.write_csv(t, s))  # type: ignore[misc]
            assert SECRET.encode() not in data and data.count(b"\r\n") == 1  # the header only
            for fmt in (ExportFormat.JSON, ExportFormat.MARKDOWN):
                data = everything_of(lambda t, s=scope, f=fmt: write_export(t, s, f))  # type: ignore[misc]
                assert SECRET.encode() not in data
                assert SECRET.encode() not in deferred_export(scope, fmt)().read()
                counts = export_file(tmp_path / f"out.{fmt.value}", scope, fmt)
                assert counts.chats == (1 if scope.chat_ids is None else 0)
                assert SECRET.encode() not in (tmp_path / f"out.{fmt.value}").read_bytes()
        document = json.loads(everything_of(lambda t: write_json(t, ExportScope.everything())))
        assert document["presets"] == [] and [c["title"] for c in document["chats"]] == [
            "Bob's own"
        ]
        one = everything_of(lambda t: write_markdown(t, ExportScope.chat(w.chat), as_zip=False))
        assert one == b""
    alice_untouched(w)


def test_bob_imports_his_own_copy_and_never_reaches_alices(two: Two, tmp_path: Path) -> None:
    w = two
    with acting_as(w.alice.id):
        exported = everything_of(lambda t: write_json(t, ExportScope.everything()))
        again = load.import_uploads([("mine.json", exported)])  # came home: nothing new
        assert (again.chats, again.duplicates) == (0, 2)
    with acting_as(w.bob.id):
        assert load.current_owner() == w.bob.id
        report = load.import_uploads([("alice.json", exported)])
        assert report.ok and (report.chats, report.duplicates, report.presets) == (2, 0, 1)
        path = tmp_path / "alice.json"
        path.write_bytes(exported)
        report = load.import_paths([str(path)])  # the same origins again: his copies are there
        assert (report.chats, report.duplicates) == (0, 2)
        copies = [c for c in chats.list_chats() if c.id != w.bob_chat]
        assert sorted(c.title for c in copies) == sorted([f"Plans {SECRET}", f"Compare {SECRET}"])
        assert not {c.id for c in copies} & {w.chat, w.comparison}
        assert [tag for tag, _count in organise.tags()] == ["work"]  # his own tag "work"
        assert [p.name for p in presets.list_presets()] == [f"Preset {SECRET}"]
        assert presets.list_presets()[0].id != w.preset
    with acting_as(w.alice.id):  # his import made no tag, preset or chat of hers
        assert organise.tags() == [("work", 1)]
    alice_untouched(w)


@pytest.mark.parametrize(
    "fake_server", [{"flavor": "lmstudio-v1", "load_seconds": 0.05}], indirect=True
)
def test_bob_sees_no_insights_or_comparison_of_alices(two: Two, fake_server: FakeLLMServer) -> None:
    w = two
    everything = InsightsFilter()
    with acting_as(w.alice.id):  # her overview is computed (and kept) first
        assert insights.overview(everything).history
        assert "alice-model" in insights.filter_options().models
    with acting_as(w.bob.id):
        assert not insights.overview(everything).history  # not her kept overview
        assert not insights.overview_at_once(everything).overview.history
        insights.update(everything)
        wait_until(lambda: insights.updated(everything), "Bob's overview update")
        assert not insights.overview_at_once(everything).overview.history
        options = insights.filter_options()
        assert "alice-model" not in options.models and options.tags == ()
        assert insights.answers(everything).total == 0
        assert insights.answers(everything, Narrow(answer_id=w.answer)).rows == ()
        # Compare: her comparison is not found, cannot be kept, followed or stopped.
        not_found(lambda: compare.get(w.comparison))
        assert compare.recent() == []
        not_found(lambda: compare.keep(w.comparison, w.writing))
        with acting_as(w.alice.id):
            hers = compare.get(w.comparison)
        assert compare.progress(hers) == []
        compare.stop(hers)
        # His own comparison, a model loaded first (in a thread of its own): his, not hers.
        fake_server.enqueue(Reply(chunks=["a1"]), Reply(chunks=["b1"]))
        service = ChatService(save_interval=0.05)
        mine = compare.start(service, "Which?", [NOT_LOADED, LOADED])
        wait_until(lambda: compare.get(mine).done, "Bob's comparison to end")
        assert [a.content for a in compare.get(mine).answers] == ["a1", "b1"]
        assert [c.id for c in compare.recent()] == [mine]
        assert [p.phase for p in compare.progress(compare.get(mine))] == ["done", "done"]
    with acting_as(w.alice.id):
        not_found(lambda: compare.get(mine))
    alice_untouched(w)


def test_presets_are_personal(two: Two) -> None:
    w = two
    with acting_as(w.bob.id):
        assert presets.list_presets() == [] and presets.default_preset() is None
        assert presets.new_chat_settings() is None
        not_found(lambda: presets.get_preset(w.preset))
        not_found(lambda: presets.update_preset(w.preset, "Mine", None, ChatSettings()))
        not_found(lambda: presets.duplicate_preset(w.preset))
        not_found(lambda: presets.delete_preset(w.preset))
        not_found(lambda: presets.set_default(w.preset))
        not_found(lambda: presets.new_chat_settings(w.preset))
        not_found(lambda: presets.apply_to_chat(w.bob_chat, w.preset))
        assert presets.presets_to_json() == []
        # The same name is free for him, and he has a default of his own.
        his = presets.create_preset(f"Preset {SECRET}", "his", ChatSettings(temperature=0.9))
        presets.set_default(his.id)
        not_found(lambda: presets.apply_to_chat(w.chat, his.id))
        assert presets.import_lmstudio([("coder.preset.json", json.dumps(CODER).encode())]).added
        report = presets.presets_from_json([{"name": "Writer", "system_prompt": "w"}])
        assert report.added == ("Writer",)
        assert [p["name"] for p in presets.presets_to_json()] == [his.name, "Coder", "Writer"]
        settings = presets.new_chat_settings()
        assert settings is not None and settings.temperature == 0.9
    alice_untouched(w)
