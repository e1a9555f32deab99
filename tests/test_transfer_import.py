"""Importing other apps' exports (``core.services.importers``), on SQLite and PostgreSQL.

The samples in ``tests/data/import`` are written after real files (``shared/reference/
chat-formats.md``): branches, hidden system messages and custom instructions, tool calls and their
results, multi-part content with images, thinking, a child older than its parent, duplicated user
messages, an out-of-range selected version, non-ASCII text (escaped and raw).

Checked: what each source becomes (titles, times, the tree as versions with the branch shown
selected, reasoning, models, statistics, system prompts, pins, archive, tags, attachment lines);
zips and folders; importing twice adds nothing; the progress callback; a broken conversation is
skipped with its reason while the rest go in. Bad input, unstorable text and memory:
``tests/test_transfer_input.py``.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.conf.db import session_scope
from core.models import Chat, Message
from core.repositories.tags import TagRepository
from core.services.importers import ImportReport, import_paths, import_uploads
from tests.transfer_helpers import CHATGPT, LMSTUDIO, OPENWEBUI, counts


def stored() -> list[dict[str, Any]]:
    """Every chat, oldest id first, with its messages (oldest id first) and tags."""
    with session_scope() as db:
        chats = list(db.scalars(select(Chat).order_by(Chat.id)))
        tags = TagRepository(db).tags_of(c.id for c in chats)
        found = []
        for chat in chats:
            rows = list(
                db.scalars(select(Message).where(Message.chat_id == chat.id).order_by(Message.id))
            )
            position = {m.id: i for i, m in enumerate(rows)}
            found.append(
                {
                    "chat": chat,
                    "tags": tags.get(chat.id, ()),
                    "messages": rows,
                    # (sender, text, parent position, selected) — the tree at a glance
                    "tree": [
                        (m.sender, m.content, position.get(m.parent_id), m.selected) for m in rows
                    ],
                }
            )
    return found


def by_source(source: str) -> list[dict[str, Any]]:
    return [c for c in stored() if c["chat"].source == source]


def ok(report: ImportReport) -> ImportReport:
    assert report.ok, [p.text() for p in report.problems]
    return report


# --- ChatGPT ------------------------------------------------------------------------------------
def test_chatgpt_export_keeps_the_tree_and_leaves_out_the_plumbing(db: str) -> None:
    report = ok(import_paths([str(CHATGPT)]))
    assert (report.chats, report.messages, report.files[0].sources) == (2, 9, ("chatgpt",))
    paella, tokyo = by_source("chatgpt")

    chat = paella["chat"]
    assert chat.title == "Paella 🥘 para seis"  # written as \ud83e\udd58 in the file
    assert chat.source_id == "6849a1f2-0c2e-8000-9d3e-1b2c3d4e5f60"
    assert chat.created_at.timestamp() == pytest.approx(1749687800.0)
    assert chat.last_activity.timestamp() == pytest.approx(1749687870.0)
    # The custom instructions (a hidden context message) are the chat's system prompt.
    assert (
        chat.own_settings
        and chat.system_prompt == "Cocino en Valencia.\n\nResponde en español, breve."
    )
    assert paella["tree"] == [
        ("user", "¿Cuánto tarda el arroz de una paella?", None, True),
        ("llm", "Unos 18 minutos.", 0, False),  # the answer that was regenerated
        ("llm", "Entre 17 y 20 minutos, según el arroz: bomba aguanta más.", 0, True),
        ("user", "[image: paellera.jpg]\n\n¿Y esta paellera sirve para 6 personas?", 2, True),
        (
            "llm",
            "Sí: una de 38 cm da para 6. Para el agua:\n\n```python\n"
            "agua_litros = arroz_kg * 2.5\n```\n\nY sal al gusto.",
            3,
            True,
        ),
    ]
    answer = paella["messages"][-1]
    # The "thoughts" node is the answer's reasoning; the "Thought for 5 seconds" recap is gone.
    assert answer.reasoning == "Mirando la foto\nLa paellera parece de 38 cm, de acero pulido."
    assert (answer.model, answer.finish_reason, answer.status) == ("o3", "stop", "complete")
    assert paella["messages"][1].model == "gpt-4o"

    assert tokyo["chat"].archived and not tokyo["chat"].own_settings
    assert tokyo["tree"] == [
        ("user", "What's the wether in Tokio?", None, False),  # the question before its edit
        ("llm", "Did you mean Tokyo?", 0, False),
        ("user", "What's the weather in Tokyo right now?", None, True),
        # the search call, the browser's result and an empty placeholder are not chat text
        ("llm", "It is 18 °C and sunny in 東京 (Tokyo) right now.", 2, True),
    ]
    assert tokyo["messages"][-1].finish_reason == "length"  # finish_details: max_tokens


def test_chatgpt_zip_with_its_other_files(db: str, tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as box:
        box.writestr("chat.html", "<html><body>…</body></html>")
        box.writestr("user.json", json.dumps({"id": "user-1", "email": "a@example.com"}))
        box.writestr("message_feedback.json", "[]")
        box.writestr("shared_conversations.json", json.dumps([{"id": "s", "title": "x"}]))
        box.write(CHATGPT, "conversations.json")
        box.writestr("file-AbC123xyz-paellera.jpg", b"\xff\xd8\xff\xe0" + bytes(300))
    report = ok(import_paths([str(archive)]))
    assert (report.chats, report.messages) == (2, 9)
    assert report.files[0].name == str(archive)


# --- LM Studio ----------------------------------------------------------------------------------
def test_lmstudio_conversation_file(db: str) -> None:
    report = ok(import_paths([str(LMSTUDIO)]))
    (chat,) = by_source("lmstudio")
    row = chat["chat"]
    assert (row.title, row.pinned, row.source_id) == (
        "Código: un botón que huye",
        True,
        "1738533873461",
    )
    assert row.system_prompt == "Eres un experto en JavaScript. Responde con código."
    assert row.created_at.timestamp() == pytest.approx(1738533873.461)
    tree = chat["tree"]
    assert [(sender, parent, selected) for sender, _, parent, selected in tree] == [
        ("user", None, True),
        ("llm", 0, False),  # version 1 of 2
        ("llm", 0, True),  # currentlySelected: 1
        ("user", 2, True),  # the duplicated ("edited") user message, once
        ("llm", 3, True),  # currentlySelected 7 is out of range: the last version
    ]
    assert tree[3][1] == "[image: captura.png]\n\nAhora que sea rojo, como en la captura"
    first, second, last = (chat["messages"][i] for i in (1, 2, 4))
    assert first.content == "Así:\n\n```js\nbtn.onmouseover = () => move(btn);\n```"
    assert first.reasoning == ""  # the debug info block is not text
    assert (first.model, first.prompt_tokens, first.completion_tokens) == (
        "qwen2.5-coder-14b-instruct", 31, 30,
    )  # fmt: skip
    assert (first.time_to_first_token, first.tokens_per_second) == (1.251, 12.0)
    assert second.reasoning.startswith("El usuario quiere un botón esquivo.")
    assert second.content.startswith('```html\n<button id="b">¡Atrápame!</button>')
    # Inline <think>, a tool call and its result, a tool status step: only the text stays.
    assert last.reasoning == "Rojo: style.background."
    assert last.content == "Primero miro el estilo actual.\n\nListo: `b.style.background = 'red';`"
    assert (last.finish_reason, last.completion_tokens) == ("length", 434)
    assert report.messages == 5


def test_a_folder_of_lmstudio_conversations_and_a_zip_of_it(db: str, tmp_path: Path) -> None:
    folder = tmp_path / "conversations"
    nested = folder / "Coding tests" / "Runaway button"
    nested.mkdir(parents=True)
    (nested / LMSTUDIO.name).write_bytes(LMSTUDIO.read_bytes())
    other = json.loads(LMSTUDIO.read_text())
    other.update(name="Otra", createdAt=1756219403097, messages=other["messages"][:2])
    (folder / "1756219403097.conversation.json").write_text(json.dumps(other), encoding="utf-8")
    (folder / "notes.txt").write_text("not an export")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")

    report = ok(import_paths([str(folder)]))
    assert (report.chats, report.messages) == (2, 8)

    archive = tmp_path / "conversations.zip"
    with zipfile.ZipFile(archive, "w") as box:
        for path in folder.rglob("*"):
            if path.is_file():
                box.write(path, path.relative_to(folder))
    again = ok(import_paths([str(archive)]))
    assert (again.chats, again.duplicates) == (0, 2)


# --- Open WebUI ---------------------------------------------------------------------------------
def test_open_webui_export(db: str) -> None:
    report = ok(import_paths([str(OPENWEBUI)]))
    assert report.chats == 2
    ethics, shell = by_source("openwebui")
    row = ethics["chat"]
    assert (row.title, row.pinned, row.archived) == ("🧠 Goldwater Rule Ethics", True, False)
    assert ethics["tags"] == ("ethics", "psychiatry")
    assert row.created_at.timestamp() == 1744577557  # epoch seconds
    assert [(s, p, sel) for s, _, p, sel in ethics["tree"]] == [
        ("user", None, True),
        ("llm", 0, False),
        ("llm", 0, True),
        ("user", 2, True),
        ("llm", 3, True),  # currentId: the answer that failed
    ]
    question, first, second, _, failed = ethics["messages"]
    assert question.content.startswith("[image: titular.png]\n\n¿Es ético")
    # The <details type="reasoning"> block is the reasoning, not the answer.
    assert (first.content, first.reasoning) == (
        "No: la regla Goldwater lo desaconseja.",
        "The Goldwater Rule.\nAPA 1973.",
    )
    assert (first.prompt_tokens, first.completion_tokens) == (25, 40)
    assert (second.reasoning, second.tokens_per_second) == ("Cite the APA rule.", 42.5)
    assert (failed.status, failed.content) == ("error", "")
    assert failed.error == "429: Rate limit exceeded: free-models-per-day"

    row = shell["chat"]
    assert row.archived and row.system_prompt == "You are a terse shell expert."
    assert shell["tags"] == ("unix",)
    assert shell["tree"] == [
        ("user", "List files by size", None, True),
        ("llm", "`ls -lS`", 0, True),
    ]
    answer = shell["messages"][1]
    assert (answer.prompt_tokens, answer.completion_tokens, answer.tokens_per_second) == (
        18,
        7,
        61.3,
    )


def test_one_open_webui_chat_alone_and_the_legacy_form(db: str) -> None:
    chats = json.loads(OPENWEBUI.read_text())
    one = ok(import_uploads([("one.json", json.dumps(chats[0]).encode())]))
    assert (one.chats, one.messages) == (1, 5)
    legacy = ok(import_uploads([("legacy.json", json.dumps(chats[1]["chat"]).encode())]))
    assert legacy.chats == 1  # no id of its own: known by its content from now on
    assert (
        ok(import_uploads([("legacy.json", json.dumps(chats[1]["chat"]).encode())])).duplicates == 1
    )
    assert ok(import_paths([str(OPENWEBUI)])).duplicates == 1  # the first one, already here


# --- every source: safe to repeat, progress -----------------------------------------------------
@pytest.mark.parametrize("sample", [CHATGPT, LMSTUDIO, OPENWEBUI], ids=lambda p: p.name)
def test_importing_the_same_file_twice_adds_nothing(db: str, sample: Path) -> None:
    first = ok(import_paths([str(sample)]))
    before = counts()
    again = ok(import_paths([str(sample)]))
    assert (again.chats, again.messages, again.duplicates) == (0, 0, first.chats)
    assert counts() == before


def test_progress_counts_conversations_done_of_all_the_files(db: str) -> None:
    calls: list[tuple[int, int]] = []
    report = import_paths(
        [str(CHATGPT), str(LMSTUDIO), str(OPENWEBUI)], progress=lambda d, t: calls.append((d, t))
    )
    assert report.ok and report.conversations == 5
    assert calls == [(0, 5), (1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


def test_a_broken_conversation_is_skipped_with_its_reason_and_the_rest_go_in(db: str) -> None:
    conversations = json.loads(CHATGPT.read_text())
    conversations.insert(1, {"title": "Corrupted entry", "create_time": 1.0, "id": "broken"})
    report = import_uploads([("conversations.json", json.dumps(conversations).encode())])
    assert (report.chats, report.messages) == (2, 9)
    (problem,) = report.problems
    assert problem.text() == (
        "conversations.json, conversation «Corrupted entry»: cannot be read (no 'mapping'); skipped."
    )
    assert "conversación «Corrupted entry»: no se puede leer" in problem.text("es")


def _numbered(count: int) -> bytes:
    """``count`` copies of the sample's first ChatGPT conversation, each its own conversation."""
    first = json.loads(CHATGPT.read_text())[0]
    copies = []
    for number in range(count):
        copy = json.loads(json.dumps(first))
        copy["conversation_id"] = copy["id"] = f"copy-{number}"
        copy["title"] = f"Copy {number}"
        copies.append(copy)
    return json.dumps(copies).encode()


def test_a_conversation_the_database_refuses_is_undone_alone(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Conversations share a transaction, each in its own savepoint: a conversation whose
    messages fail to go in leaves no chat row behind, the ones before and after it in the same
    transaction go in, and importing the file again adds just that one."""
    from sqlalchemy.exc import OperationalError

    from core.repositories.imports import ImportRepository

    real = ImportRepository.add_messages
    failing = {"on": True}

    def add_messages(self: ImportRepository, rows: Any) -> None:
        real(self, rows)
        chat_title = self.connection.execute(
            select(Chat.title).where(Chat.id == rows[0][1])
        ).scalar_one()
        if failing["on"] and chat_title == "Copy 2":
            raise OperationalError("INSERT INTO messages", {}, Exception("disk I/O error"))

    monkeypatch.setattr(ImportRepository, "add_messages", add_messages)
    upload = [("conversations.json", _numbered(5))]
    report = import_uploads(upload)
    assert (report.chats, report.conversations) == (4, 5)
    (problem,) = report.problems
    assert problem.text() == (
        "conversations.json, conversation «Copy 2»: could not be stored (disk I/O error); skipped."
    )
    titles = [c["chat"].title for c in stored()]
    assert titles == ["Copy 0", "Copy 1", "Copy 3", "Copy 4"]
    assert all(len(c["messages"]) == report.messages // 4 for c in stored())

    failing["on"] = False
    again = ok(import_uploads(upload))
    assert (again.chats, again.duplicates) == (1, 4)
    assert sorted(c["chat"].title for c in stored()) == [f"Copy {n}" for n in range(5)]


def test_a_long_import_commits_as_it_goes(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every few thousand messages the shared transaction commits and a new one begins (here
    every few conversations): what went in before stays in whatever comes after."""
    from core.services.importers import load

    monkeypatch.setattr(load, "BATCH_ROWS", 10)  # each copy: a chat and 5 messages
    commits = []
    real = load._Batch.commit

    def commit(self: Any) -> None:
        commits.append(len(self._pending))
        real(self)

    monkeypatch.setattr(load._Batch, "commit", commit)
    report = ok(import_uploads([("conversations.json", _numbered(5))]))
    assert (report.chats, report.conversations) == (5, 5)
    assert commits == [2, 2, 1]  # two conversations reach 10 rows; the last one at the end
    assert [c["chat"].title for c in stored()] == [f"Copy {n}" for n in range(5)]


def test_a_transaction_that_cannot_commit_counts_nothing_and_says_so(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a shared transaction held is only counted once it commits: if the commit fails, each
    of its conversations is a problem, nothing is in the database, and importing again adds them."""
    from sqlalchemy.engine import RootTransaction
    from sqlalchemy.exc import OperationalError

    from core.services.importers import load

    real_commit, real_batch_commit = RootTransaction.commit, load._Batch.commit
    failing = {"now": False, "on": True}

    def commit(self: RootTransaction) -> None:
        if failing["now"]:
            raise OperationalError("COMMIT", {}, Exception("database or disk is full"))
        real_commit(self)

    def batch_commit(self: Any) -> None:  # only the batch's own commit fails
        failing["now"] = failing["on"]
        try:
            real_batch_commit(self)
        finally:
            failing["now"] = False

    monkeypatch.setattr(RootTransaction, "commit", commit)
    monkeypatch.setattr(load._Batch, "commit", batch_commit)
    upload = [("conversations.json", _numbered(3))]
    report = import_uploads(upload)
    assert (report.chats, report.messages, report.conversations) == (0, 0, 3)
    assert [p.text() for p in report.problems] == [
        f"conversations.json, conversation «Copy {n}»: could not be stored "
        "(database or disk is full); skipped."
        for n in range(3)
    ]
    assert stored() == []

    failing["on"] = False
    again = ok(import_uploads(upload))
    assert (again.chats, again.duplicates) == (3, 0)
