"""A private history per person (issue 14, section 2): the isolation matrix.

Alice has a chat with versions, a tag, personal settings and an answer being written. Bob, signed
in as himself, tries every service entry point with Alice's chat id, message ids, search words,
export and live answer: each comes back empty or "not found" exactly as for a deleted chat, and
Alice's data is unchanged afterwards. :data:`COVERED` lists the entry points the matrix exercises;
:func:`test_every_service_entry_point_is_in_the_matrix` fails when a new public function appears in
a service module without being added here (or declared as not touching chats).

Runs in ``oidc`` mode on SQLite and PostgreSQL; without an owner, nothing is read at all.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from core import cli, errors
from core.conf import settings as conf_settings
from core.conf.db import session_scope
from core.identity import Identity, Owner, acting_as
from core.repositories.attachments import AttachmentRepository
from core.repositories.messages import MessageRepository
from core.schemas import ChatSettings
from core.services import (
    chats,
    compare,
    context_view,
    history,
    insights,
    model_control,
    organise,
    preset_files,
    presets,
    search,
    seed_flow,
    titles,
    users,
    workers,
)
from core.services import settings as settings_service
from core.services.attachments import store
from core.services.attachments.reading import prepare
from core.services.chat import ChatService
from core.services.export import csv_export, formats, json_export, markdown_export, records
from core.services.export.scope import ExportScope
from core.services.history import HistoryFilter
from core.services.importers import load
from core.services.workers import answer_workers
from core.vocab import Sender
from tests.fakes.fake_llm_server import FakeLLMServer, Reply

SECRET = "alice-secret-words"
DEADLINE = 30.0


@dataclass
class World:
    alice: Owner
    bob: Owner
    chat: int  # Alice's
    question: int
    answer: int  # an older version of the answer
    live: int  # the answer being written now
    bob_chat: int
    service: ChatService
    attachment: int  # a file on Alice's question


def wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def oidc(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CHARLA_AUTH", "oidc")
    monkeypatch.setenv("CHARLA_ADMINS", "alice@example.com")
    conf_settings.reset_settings()
    yield
    conf_settings.reset_settings()


@pytest.fixture
def world(oidc: None, fake_server: FakeLLMServer) -> Iterator[World]:
    alice = users.sign_in(Identity("http://idp", "alice", "alice@example.com", "Alice"))
    bob = users.sign_in(Identity("http://idp", "bob", "bob@example.com", "Bob"))
    service = ChatService(save_interval=0.05)
    with acting_as(alice.id):
        chat = chats.new_chat(f"Plans {SECRET}")
        with session_scope(write=True) as db:
            repo = MessageRepository(db)
            question = repo.create_message(chat, Sender.USER, f"Question {SECRET}").id
            answer = repo.create_message(
                chat, Sender.LLM, f"Answer {SECRET}", model="alice-model"
            ).id
            files = AttachmentRepository(db)
            files.attach(question, [prepare("notes.txt", f"File {SECRET}".encode())])
            attachment = files.for_messages([question])[question][0].id
        organise.add_tag([chat], "work")
        settings_service.set_language("es")
        settings_service.save_defaults(ChatSettings(temperature=0.3))
        fake_server.enqueue(Reply(chunks=[f"w{i} " for i in range(400)], delay_between=0.02))
        reply = service.regenerate(chat, answer)
        answer_workers.start(reply)
        live = reply.answer_id
        wait_until(lambda: bool(chats.open_chat(chat).messages[-1].content), "Alice's answer")
    with acting_as(bob.id):
        bob_chat = chats.new_chat("Bob's own")
    yield World(alice, bob, chat, question, answer, live, bob_chat, service, attachment)
    for answer_id in answer_workers.running():
        answer_workers.stop_here(answer_id)


def not_found(call: Callable[[], Any]) -> None:
    with pytest.raises(errors.NotFound):
        call()


def alice_untouched(w: World) -> None:
    with acting_as(w.alice.id):
        summary = chats.get_chat(w.chat)
        assert summary.title == f"Plans {SECRET}" and summary.tags == ("work",)
        assert not summary.pinned and not summary.archived and not summary.own_settings
        view = chats.open_chat(w.chat)
        assert view.messages[0].content == f"Question {SECRET}"
        assert view.branch_length == 2
        assert organise.tags() == [("work", 1)]
        assert settings_service.language() == "es"
        assert settings_service.saved_defaults().temperature == 0.3
        assert len(search.search_messages(SECRET).hits) == 2  # her question and answer
        assert store.attachment_data(w.attachment) is not None
        assert [hit.message_id for hit in search.search_messages("notes.txt").hits] == [w.question]


def test_bob_finds_nothing_of_alices_chat(world: World) -> None:
    w = world
    with acting_as(w.bob.id):
        # core.services.chats
        assert not chats.chat_exists(w.chat)
        not_found(lambda: chats.get_chat(w.chat))
        not_found(lambda: chats.open_chat(w.chat))
        not_found(lambda: chats.rename_chat(w.chat, "mine now"))
        not_found(lambda: chats.delete_chat(w.chat))
        not_found(lambda: chats.select_version(w.answer))
        not_found(lambda: chats.delete_version(w.answer))
        not_found(lambda: chats.version_size(w.question))
        assert chats.fall_back_from_failed(w.live) is None
        assert chats.chat_signature(w.chat) is None
        assert [c.id for c in chats.list_chats()] == [w.bob_chat]
        assert chats.count_chats() == 1
        # core.services.chat (the turns) and context_view
        not_found(lambda: w.service.send(w.chat, "hello"))
        not_found(lambda: w.service.regenerate(w.chat))
        not_found(lambda: w.service.regenerate(w.bob_chat, w.answer))
        not_found(lambda: w.service.edit(w.bob_chat, w.question, "edited"))
        not_found(lambda: w.service.edit_and_resend(w.chat, "edited"))
        not_found(lambda: w.service.effective_settings(w.chat))
        not_found(lambda: context_view.context_fit(w.service, w.chat))
        not_found(lambda: asyncio.run(seed_flow.complete_chat_flow(w.chat, "hi")))
        assert titles.maybe_retitle(w.chat, w.service.provider, model=None) is None
        # core.services.history and the CSV export: search words, everything, one chat
        assert history.search_chats(None, HistoryFilter(text=SECRET)) == []
        assert [c.id for c in history.search_chats(None)] == [w.bob_chat]
        assert history.count_chats(HistoryFilter(text=SECRET)) == 0
        assert "alice-model" not in history.list_models_used()
        assert history.latest_models([w.chat]) == {}
        for scope in (ExportScope.everything(), ExportScope.chat(w.chat)):
            data = csv_export.csv_bytes(scope.with_versions())
            assert SECRET.encode() not in data and data.count(b"\r\n") == 1  # the header only
            target = io.BytesIO()
            assert (
                csv_export.write_csv(target, scope) == 0
                and SECRET.encode() not in target.getvalue()
            )
        assert SECRET.encode() not in csv_export.deferred_csv(ExportScope.everything())().read()
        # core.services.organise: tags are personal
        not_found(lambda: organise.set_pinned([w.chat]))
        not_found(lambda: organise.set_archived([w.chat]))
        not_found(lambda: organise.add_tag([w.chat], "stolen"))
        organise.remove_tag([w.chat], "work")
        assert organise.rename_tag("work", "renamed") == "renamed"
        organise.delete_tag("work")
        assert organise.tags() == []
        # core.services.settings: language and defaults are personal
        assert settings_service.language() == "en"
        assert settings_service.saved_defaults().temperature is None
        not_found(lambda: settings_service.save_chat_settings(w.chat, ChatSettings()))
        not_found(lambda: settings_service.reset_chat_settings(w.chat))
        # live answers: Bob can neither follow nor stop Alice's
        frames = list(workers.follow(w.live))
        assert [(f.content, f.done) for f in frames] == [("", True)]
        workers.request_stop(w.live)
        assert not workers.chat_is_answering(w.chat)
        # full-text search and files
        assert search.search_messages(SECRET).hits == ()
        assert search.find_in_chat(w.chat, SECRET).hits == ()
        not_found(lambda: search.reveal(w.answer))
        assert store.attachment_data(w.attachment) is None
        assert search.search_messages("notes.txt").hits == ()  # her file's name
        # admins only
        with pytest.raises(errors.AdminsOnly):
            users.usage()
    with acting_as(w.alice.id):
        assert workers.chat_is_answering(w.chat)  # Bob's Stop did not reach it
        with session_scope() as db:
            assert MessageRepository(db).stop_requested([w.live]) == []
        workers.request_stop(w.live)
        assert not workers.chat_is_answering(w.chat)
    alice_untouched(w)


def test_without_an_owner_nothing_is_read(world: World) -> None:
    with pytest.raises(errors.NotSignedIn):
        chats.list_chats()
    with pytest.raises(errors.NotSignedIn):
        chats.get_chat(world.chat)
    with pytest.raises(errors.NotSignedIn):
        history.search_chats(None, HistoryFilter(text=SECRET))
    with pytest.raises(errors.NotSignedIn):
        settings_service.language()


def test_an_admin_sees_counts_not_chats(world: World) -> None:
    with acting_as(world.alice.id):
        rows = {row.email: row for row in users.usage()}
    assert (rows["alice@example.com"].chats, rows["bob@example.com"].chats) == (1, 1)
    assert rows["alice@example.com"].messages == 3  # question, two versions of the answer
    assert not hasattr(rows["alice@example.com"], "title")


def test_the_same_email_from_two_issuers_is_two_people(oidc: None) -> None:
    one = users.sign_in(Identity("http://idp-a", "x", "same@example.com", "A"))
    two = users.sign_in(Identity("http://idp-b", "x", "same@example.com", "B"))
    again = users.sign_in(Identity("http://idp-a", "x", "new@example.com", "A"))
    assert one.id != two.id and again.id == one.id and again.email == "new@example.com"


def test_claim_local_hands_the_single_user_history_over(db: str) -> None:
    chat = chats.new_chat("From before sign-in")  # CHARLA_AUTH=none: the local user's
    organise.add_tag([chat], "old")
    settings_service.set_language("es")
    person = users.sign_in(Identity("http://idp", "carol", "Carol@Example.com", "Carol"))
    with acting_as(person.id):
        settings_service.set_language("en")  # the person's own choice is kept
    assert users.claim_local("carol@example.com") == 1
    assert chats.list_chats() == []
    with acting_as(person.id):
        assert [c.title for c in chats.list_chats()] == ["From before sign-in"]
        assert organise.tags() == [("old", 1)]
        assert settings_service.language() == "en"
    with pytest.raises(errors.InputError):
        users.claim_local("nobody@example.com")


# Public functions of the service modules that take or return no chat data.
NOT_CHAT_DATA = {
    "history.day_start", "history.case_variants", "history.filter_conditions",
    "settings.check", "chat.request_params", "titles.title_prompt", "titles.clean_title",
    "titles.suggest_title", "titles.is_automatic_title", "users.sign_in",
    "users.current_is_admin", "users.claim_local",
    "csv_export.iter_csv", "csv_export.export_to_file",  # csv_bytes / deferred_csv use them
    # Pure conversions of values already read (or to be written) by a covered entry point.
    "json_export.iso_now", "json_export.native_key", "json_export.parse_native_key",
    "json_export.chat_header", "json_export.message_fields", "json_export.is_everything",
    "markdown_export.yaml_value", "markdown_export.close_fences", "markdown_export.files_text",
    "markdown_export.chat_markdown", "markdown_export.member_name", "records.with_files",
    "formats.single_chat", "formats.extension", "formats.mime_type", "formats.download_name",
    "load.theirs", "load.typed", "compare.cold_start", "compare.load_seconds",
    "preset_files.parse_lmstudio", "preset_files.preset_to_json", "preset_files.preset_from_json",
    # Loading and unloading a model acts on the LLM server, which every person shares (as its
    # list of models is): server-wide, not personal, and it reads or writes no chat.
    "model_control.can_load", "model_control.load_model", "model_control.unload_model",
    "model_control.needs_loading", "model_control.prepare_model",
    "insights.forget",  # drops every kept overview (tests)
}  # fmt: skip
COVERED = {
    "chats.chat_exists", "chats.get_chat", "chats.open_chat", "chats.rename_chat",
    "chats.delete_chat", "chats.select_version", "chats.delete_version", "chats.version_size",
    "chats.fall_back_from_failed", "chats.chat_signature", "chats.list_chats",
    "chats.count_chats", "chats.new_chat", "context_view.context_fit",
    "seed_flow.complete_chat_flow", "titles.maybe_retitle", "history.search_chats",
    "history.count_chats", "history.list_models_used", "history.latest_models",
    "csv_export.csv_bytes", "csv_export.deferred_csv", "organise.set_pinned",
    "organise.set_archived", "organise.add_tag", "organise.remove_tag", "organise.rename_tag",
    "organise.delete_tag", "organise.tags", "settings.language", "settings.set_language",
    "settings.saved_defaults", "settings.save_defaults", "settings.save_chat_settings",
    "settings.reset_chat_settings", "workers.follow", "workers.request_stop",
    "workers.chat_is_answering", "users.usage", "search.search_messages", "search.find_in_chat",
    "search.reveal", "store.attachment_data", "store.prune_attachments", "csv_export.write_csv",
    # Checked in tests/test_owners_features.py (exports, import, Insights, Compare, presets).
    "records.chats_with_messages", "records.chats_with_files", "json_export.write_json",
    "markdown_export.write_markdown", "formats.write_export", "formats.export_file",
    "formats.deferred_export", "load.current_owner", "load.store", "load.import_files",
    "load.import_paths", "load.import_uploads", "insights.filter_options", "insights.overview",
    "insights.overview_at_once", "insights.update", "insights.updated", "insights.answers",
    "compare.start", "compare.get", "compare.progress", "compare.recent", "compare.stop",
    "compare.keep", "presets.list_presets", "presets.get_preset", "presets.default_preset",
    "presets.create_preset", "presets.update_preset", "presets.duplicate_preset",
    "presets.delete_preset", "presets.set_default", "presets.apply_to_chat",
    "presets.new_chat_settings", "presets.import_lmstudio", "presets.presets_to_json",
    "presets.presets_from_json",
}  # fmt: skip
MODULES: dict[str, ModuleType] = {
    "chats": chats, "context_view": context_view, "seed_flow": seed_flow, "titles": titles,
    "history": history, "csv_export": csv_export, "organise": organise,
    "settings": settings_service, "workers": workers, "users": users, "search": search,
    "store": store, "records": records, "json_export": json_export,
    "markdown_export": markdown_export, "formats": formats, "load": load, "insights": insights,
    "compare": compare, "presets": presets, "preset_files": preset_files,
    "model_control": model_control,
}  # fmt: skip


def test_every_service_entry_point_is_in_the_matrix() -> None:
    found = set()
    for label, module in MODULES.items():
        for name, value in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(value):
                continue
            if value.__module__ == module.__name__:
                found.add(f"{label}.{name}")
    assert found - COVERED - NOT_CHAT_DATA == set(), "add these to the isolation matrix"
    methods = {n for n, v in vars(ChatService).items() if inspect.isfunction(v)}
    assert {"send", "regenerate", "edit", "edit_and_resend", "effective_settings"} <= methods


def test_the_claim_local_command(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    chats.new_chat("Mine from before")
    users.sign_in(Identity("http://idp", "dora", "dora@example.com", "Dora"))
    assert cli.main(["users", "claim-local", "dora@example.com"]) == 0
    assert capsys.readouterr().out.strip() == "1 chat now belongs to dora@example.com."
    assert cli.main(["users", "claim-local", "nobody@example.com"]) == 1
    assert "Nobody has signed in with nobody@example.com" in capsys.readouterr().err
