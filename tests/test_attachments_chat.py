"""Attachments through storage and the chat service: stored once, shown with their message, kept by
versions, sent with the selected branch; refused before anything is stored when they cannot go.
On SQLite and PostgreSQL, against the fake server (recorded LM Studio shapes) and the real
llama.cpp engine."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from core import errors
from core.conf.db import session_scope
from core.conf.settings import reset_settings
from core.providers.llm_studio_api import reset_provider
from core.repositories.attachments import AttachmentRepository
from core.repositories.messages import MessageRepository
from core.schemas import ChatSettings
from core.services.attachments import (
    attach_to_message,
    export_data,
    from_json,
    markdown_link,
    prepare,
    prune_attachments,
    to_json,
)
from core.services.chat import ChatService
from core.services.chats import delete_chat, new_chat, open_chat
from core.services.context_view import context_fit
from core.services.search import search_messages
from devtools.servers import LlamaServer
from tests.attachment_files import image_bytes, pdf_with_text
from tests.fakes.fake_llm_server import FakeLLMServer, Reply

VISION = {"models": [{"id": "eyes-vl", "type": "vlm", "max_context_length": 32768}]}
BLIND = {"models": [{"id": "text-only", "type": "llm", "max_context_length": 32768}]}
SMALL = {"models": [{"id": "tiny", "type": "llm", "max_context_length": 1024}]}


def sent(fake: FakeLLMServer) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = fake.requests[-1]["json"]["messages"]
    return messages


def nothing_stored(chat_id: int) -> bool:
    with session_scope() as db:
        return MessageRepository(db).count_for_chat(chat_id) == 0


# --- storage ----------------------------------------------------------------------------------------
def test_attachments_are_stored_once_and_read_back_in_order(db: str) -> None:
    chat_id = new_chat()
    notes = prepare("notes.md", b"# Notes")
    picture = prepare("cat.png", image_bytes("PNG"))
    with session_scope(write=True) as s:
        repo, messages = AttachmentRepository(s), MessageRepository(s)
        first = messages.create_message(chat_id, "user", "look")
        second = messages.create_message(chat_id, "user", "again")
        repo.attach(first.id, [notes, picture])
        repo.attach(second.id, [prepare("same-notes.md", b"# Notes")])  # same bytes, new name
    with session_scope() as s:
        assert AttachmentRepository(s).count() == 2  # content-addressed: the notes once
        shown = MessageRepository(s).branch(chat_id)
        data = AttachmentRepository(s).data(shown[0].attachments[1].id)
    assert [(a.name, a.kind) for a in shown[0].attachments] == [
        ("notes.md", "document"),
        ("cat.png", "image"),
    ]
    assert shown[1].attachments[0].name == "same-notes.md"
    assert shown[1].attachments[0].id == shown[0].attachments[0].id
    assert data == ("image/png", picture.data)
    image = shown[0].attachments[1]
    assert (image.width, image.height, image.size) == (64, 48, len(picture.data))


def test_deleting_a_chat_leaves_no_attachment_behind(db: str) -> None:
    kept_chat, gone_chat = new_chat(), new_chat()
    with session_scope(write=True) as s:
        for chat_id, name in ((kept_chat, "a.txt"), (gone_chat, "b.txt")):
            user = MessageRepository(s).create_message(chat_id, "user", "x")
            AttachmentRepository(s).attach(user.id, [prepare(name, name.encode())])
    delete_chat(gone_chat)  # its file goes with it (no other message carries it)
    assert prune_attachments() == 0
    with session_scope() as s:
        assert AttachmentRepository(s).count() == 1
        (message,) = MessageRepository(s).branch(kept_chat)
    assert message.attachments[0].name == "a.txt"


# --- sending ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fake_server", [BLIND], indirect=True)
def test_a_text_file_is_sent_delimited_and_shown_with_its_message(
    db: str, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["Milk."]))
    report = prepare("report.pdf", pdf_with_text("Buy milk and bread"))
    reply = ChatService().send(chat_id, "What should I buy?", attachments=[report]).consume()
    assert reply.status == "complete", reply.error
    assert sent(fake_server)[-1] == {
        "role": "user",
        "content": '<file name="report.pdf">\nBuy milk and bread\n</file>\n\nWhat should I buy?',
    }
    view = open_chat(chat_id)
    user = view.messages[0]
    assert user.content == "What should I buy?"  # the typed text; the file beside it
    assert [a.name for a in user.attachments] == ["report.pdf"]
    # The context meter counts the file: the same exchange without it weighs less, by the file.
    plain = new_chat()
    fake_server.enqueue(Reply(chunks=["Milk."]))
    ChatService().send(plain, "What should I buy?").consume()
    service = ChatService()
    extra = context_fit(service, chat_id).tokens - context_fit(service, plain).tokens
    assert extra >= report.context_bytes // 3 - 1 and report.context_bytes > 40


@pytest.mark.parametrize("fake_server", [BLIND], indirect=True)
def test_a_message_of_files_only_is_sent(db: str, fake_server: FakeLLMServer) -> None:
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["A list."]))
    reply = ChatService().send(chat_id, "", attachments=[prepare("todo.txt", b"eggs")]).consume()
    assert reply.status == "complete"
    assert sent(fake_server)[-1]["content"] == '<file name="todo.txt">\neggs\n</file>'
    assert open_chat(chat_id).summary.title == "todo.txt"
    with pytest.raises(errors.InputError):  # no files and no text: still refused
        ChatService().send(chat_id, "  ")


@pytest.mark.parametrize(
    "fake_server",
    [VISION, {**VISION, "flavor": "lmstudio-v1"}, {**BLIND, "flavor": "openai"}],
    indirect=True,
)
def test_images_go_as_png_or_jpeg_data_urls_to_models_that_may_see(
    db: str, fake_server: FakeLLMServer
) -> None:
    """LM Studio says the model sees (v0 type "vlm", v1 capabilities.vision); a server that says
    nothing (/v1/models only) is trusted with the image."""
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["A red square."]))
    picture = prepare("square.webp", image_bytes("WEBP", size=(3000, 3000)))
    reply = ChatService().send(chat_id, "What is this?", attachments=[picture]).consume()
    assert reply.status == "complete", reply.error
    text, image = sent(fake_server)[-1]["content"]
    assert text == {"type": "text", "text": "What is this?"}
    url = image["image_url"]["url"]
    assert image["type"] == "image_url" and url.startswith("data:image/jpeg;base64,")
    decoded = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert decoded.format == "JPEG" and decoded.size == (1536, 1536)
    assert open_chat(chat_id).messages[0].attachments[0].is_image


@pytest.mark.parametrize("fake_server", [BLIND, {**BLIND, "flavor": "lmstudio-v1"}], indirect=True)
def test_an_image_for_a_model_without_vision_is_refused_before_anything_is_stored(
    db: str, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    picture = prepare("cat.png", image_bytes("PNG"))
    with pytest.raises(errors.InputError) as caught:
        ChatService().send(chat_id, "Describe the cat", attachments=[picture])
    assert caught.value.reason == "input.image_needs_vision"
    assert "The model text-only cannot see images" in str(caught.value)
    assert nothing_stored(chat_id) and fake_server.requests == []


@pytest.mark.parametrize("fake_server", [SMALL], indirect=True)
def test_a_file_too_big_for_the_context_is_refused_before_anything_is_stored(
    db: str, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    book = prepare("book.txt", b"All work and no play. " * 400)
    with pytest.raises(errors.InputError) as caught:
        ChatService().send(chat_id, "Summarise", attachments=[book])
    assert caught.value.reason == "input.file_over_context"
    assert "With «book.txt» this message needs about" in str(caught.value)
    assert "holds 1,024" in str(caught.value)
    assert nothing_stored(chat_id) and fake_server.requests == []


@pytest.mark.parametrize("fake_server", [VISION], indirect=True)
def test_regenerating_and_editing_keep_the_files_in_the_request(
    db: str, fake_server: FakeLLMServer
) -> None:
    service = ChatService()
    chat_id = new_chat()
    files = [prepare("a.csv", b"x,y\n1,2"), prepare("dot.gif", image_bytes("GIF", mode="P"))]
    fake_server.enqueue(Reply(chunks=["One."]), Reply(chunks=["Two."]), Reply(chunks=["Three."]))
    first = service.send(chat_id, "Sum y", attachments=files).consume()
    service.send(chat_id, "And now?").consume()  # the files stay in the history sent
    history = [m for m in sent(fake_server) if m["role"] == "user"]
    assert len(history) == 2
    assert history[0]["content"][0]["text"] == '<file name="a.csv">\nx,y\n1,2\n</file>\n\nSum y'
    assert history[0]["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")
    fake_server.enqueue(Reply(chunks=["Again."]))
    service.regenerate(chat_id, first.answer_id).consume()
    assert sent(fake_server)[-1]["content"][0]["text"].startswith('<file name="a.csv">')
    fake_server.enqueue(Reply(chunks=["Edited."]))
    edited = service.edit(chat_id, first.user_message.id, "Sum x").consume()
    last = sent(fake_server)[-1]["content"]
    assert last[0]["text"] == '<file name="a.csv">\nx,y\n1,2\n</file>\n\nSum x'
    view = open_chat(chat_id)
    assert view.messages[0].id == edited.user_message.id
    assert [a.name for a in view.messages[0].attachments] == ["a.csv", "dot.gif"]
    with session_scope() as s:
        assert AttachmentRepository(s).count() == 2  # the new version links the same files


# --- the real engine ---------------------------------------------------------------------------
@pytest.mark.engine
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_text_file_reaches_the_real_engine(
    db: str, llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LM_STUDIO_URL", llama_server.url)
    reset_settings()
    reset_provider()
    service = ChatService()
    requests: list[list[dict[str, Any]]] = []
    stream_reply = service.provider.stream_reply

    def recording(messages: Any, **kwargs: Any) -> Any:
        requests.append(list(messages))
        return stream_reply(messages, **kwargs)

    monkeypatch.setattr(service.provider, "stream_reply", recording)
    settings = ChatSettings(temperature=0.0, seed=3, max_tokens=24)
    body = "The secret word is PAPAYA. " + "Papayas grow in the tropics. " * 40
    plain = service.send(new_chat("plain", settings), "What is the secret word?").consume()
    chat_id = new_chat("file", settings)
    notes = prepare("notes.txt", body.encode())
    reply = service.send(chat_id, "What is the secret word?", attachments=[notes]).consume()
    assert plain.status == reply.status == "complete", reply.error
    assert requests[-1][-1]["content"] == (
        f'<file name="notes.txt">\n{body}\n</file>\n\nWhat is the secret word?'
    )
    # The engine counted the file in the prompt: hundreds of tokens more than the question alone.
    assert plain.result is not None and reply.result is not None
    assert plain.result.prompt_tokens is not None and reply.result.prompt_tokens is not None
    assert reply.result.prompt_tokens - plain.result.prompt_tokens > 200
    assert reply.content.strip()


# --- export, import, search, deletion ---------------------------------------------------------------
@pytest.mark.parametrize("fake_server", [VISION], indirect=True)
def test_exported_attachments_import_back_as_the_same_files(
    db: str, fake_server: FakeLLMServer
) -> None:
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["Ok."]))
    files = [prepare("r.pdf", pdf_with_text("Revenue grew")), prepare("p.png", image_bytes("PNG"))]
    reply = ChatService().send(chat_id, "Look", attachments=files).consume()
    exported = export_data([reply.user_message.id])[reply.user_message.id]
    items = [to_json(*item) for item in exported]
    assert items[0]["text"] == "Revenue grew" and items[0]["mime"] == "application/pdf"
    assert [i["name"] for i in items] == ["r.pdf", "p.png"]
    assert markdown_link(exported[1][0]) == f"![p.png](attachments/{files[1].sha256}.png)"
    assert to_json(*exported[0], embed=False)["path"] == f"attachments/{files[0].sha256}.pdf"
    restored = [from_json(item) for item in items]
    assert [(r.sha256, r.text) for r in restored] == [
        (files[0].sha256, "Revenue grew"),
        (files[1].sha256, None),
    ]
    # Imported into another chat: the same stored rows, linked again.
    other = new_chat()
    with session_scope(write=True) as s:
        message = MessageRepository(s).create_message(other, "user", "imported")
        attach_to_message(s, message.id, restored)
    with session_scope() as s:
        assert AttachmentRepository(s).count() == 2
    # Search finds both messages by the files they carry: the same stored rows, linked twice.
    found = search_messages("REVENUE").hits  # the PDF's text, any case
    assert {(hit.chat_id, hit.in_file) for hit in found} == {(chat_id, "r.pdf"), (other, "r.pdf")}
    assert {hit.chat_id for hit in search_messages("p.png").hits} == {chat_id, other}
    delete_chat(chat_id)
    with session_scope() as s:
        assert AttachmentRepository(s).count() == 2  # still carried by the imported chat
    delete_chat(other)
    with session_scope() as s:
        assert AttachmentRepository(s).count() == 0
