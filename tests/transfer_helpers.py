"""What the export and import tests share: a chat with everything a chat can hold, a way to start
over on an empty database (SQLite or PostgreSQL), and the samples of other apps' exports."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select

from core.conf import db as conf_db
from core.conf.db import session_scope
from core.models import Chat, Message
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository
from core.repositories.tags import TagRepository
from core.repositories.versions import VersionRepository
from core.schemas import ChatSettings
from core.services.attachments import attach_to_message, prepare
from core.services.export import ExportFormat, ExportScope, write_export
from core.services.presets import create_preset
from tests.attachment_files import image_bytes

SAMPLES = Path(__file__).resolve().parent / "data" / "import"
CHATGPT = SAMPLES / "chatgpt-conversations.json"
LMSTUDIO = SAMPLES / "1738533873461.conversation.json"
OPENWEBUI = SAMPLES / "chat-export-1744577557127.json"

HOSTILE = [
    "Canción con acentos: áéíóú ñ ü ç — «comillas» ¿qué? ¡sí!",
    "Emoji: 😀👍🏽👨‍👩‍👧‍👦 🇪🇸 and a lone ZWJ \u200d",
    "עברית מימין לשמאל, والعربية أيضا \u202eRLO override\u202c",
    "line one\nline two\r\nline three\rline four\n\n",
    'He said "hello", then \\"bye\\" </details> ```',
    "odd separators: \u2028 \u2029 \x85 \x0b \x0c \x1c \x1e",
    "=1+1",
]


def rich_chats() -> dict[str, int]:
    """Chats holding everything a chat can hold; returns their ids by name.

    "Paella": own settings, pinned, two tags, a title a person chose, and a tree: a question
    answered twice (the second answer failed, with an error code and parameters), the question
    edited (a second first message, answered in hostile text), the first answer shown again.
    "Archive": archived, empty. "Texts": every awkward text, as question and answer."""
    with session_scope(write=True) as db:
        chats = ChatRepository(db)
        settings = ChatSettings(
            system_prompt="Sé breve.\nNunca uses «comillas».",
            temperature=0.7,
            max_tokens=512,
            top_k=40,
            seed=-7,
            stop=("END", "\n\n"),
        )
        paella = chats.create("Paella", settings).id
        chats.rename(paella, 'Paella «valenciana»: "la de verdad" 🥘')
        chats.set_pinned(paella, True)
        TagRepository(db).add([paella], "Cooking")
        TagRepository(db).add([paella], "work")
        messages = MessageRepository(db)
        question = messages.create_message(paella, "user", "¿Cuánto tarda el arroz?")
        first = messages.create_message(
            paella,
            "llm",
            "Unos 18 minutos.\n\n```python\nprint('arroz')\n```",
            reasoning="Arroz bomba: 17–20 min.",
            model="org/qwen3-8b.gguf",
            params={"temperature": 0.7, "max_tokens": 512, "stop": ["END"]},
            prompt_tokens=31,
            completion_tokens=12,
            time_to_first_token=0.1 + 0.2,
            tokens_per_second=12.345678901234,
            load_time=3.25,
            finish_reason="stop",
        )
        messages.create_message(
            paella,
            "llm",
            "Unos",
            parent_id=question.id,
            status="error",
            error_code="error.timeout",
            error_params={"detail": "read timeout", "url": "http://127.0.0.1:1234", "model": ""},
            model="org/qwen3-8b.gguf",
        )
        edited = messages.create_message(paella, "user", "¿Y para seis?", parent_id=None)
        messages.create_message(paella, "llm", HOSTILE[1], status="stopped", parent_id=edited.id)
        VersionRepository(db).select_version(first.id)

        archive = chats.create("Archive").id
        chats.set_archived(archive, True)

        texts = chats.create("Texts").id
        for text in HOSTILE:
            messages.create_message(texts, "user", text)
            messages.create_message(texts, "llm", text[::-1], reasoning=text)
    return {"paella": paella, "archive": archive, "texts": texts}


NOTES = "# Receta\n\nArroz bomba, 18 min. «Sin» chorizo 🥘\n"


def files_chat() -> int:
    """A chat whose question carries a text file and an image, and whose follow-up carries the
    same image again (stored once); returns its id."""
    photo = prepare("paella.png", image_bytes("PNG"))
    with session_scope(write=True) as db:
        chat_id = ChatRepository(db).create("Files").id
        messages = MessageRepository(db)
        question = messages.create_message(chat_id, "user", "What is in these?")
        attach_to_message(db, question.id, [prepare("receta.md", NOTES.encode()), photo])
        messages.create_message(chat_id, "llm", "A recipe and a photo.", model="qwen3-8b")
        again = messages.create_message(chat_id, "user", "And this one?")
        attach_to_message(db, again.id, [photo])
    return chat_id


def a_preset() -> None:
    create_preset(
        "Chef", "Answer like a chef.", ChatSettings(temperature=0.3, top_k=20, stop=("FIN",))
    )


def export_json(scope: ExportScope | None = None) -> bytes:
    target = io.BytesIO()
    write_export(target, scope or ExportScope.everything(), ExportFormat.JSON)
    return target.getvalue()


def comparable(document: bytes) -> dict[str, Any]:
    """A Charla document without what may differ between databases: the export time, chat ids and
    message ids (renumbered in order, parents following)."""
    parsed = json.loads(document)
    parsed.pop("exported_at")
    for chat in parsed["chats"]:
        chat.pop("id")
        renumbered: dict[int, int] = {}
        for number, message in enumerate(chat["messages"]):
            renumbered[message["id"]] = number
            message["id"] = number
            message["parent"] = renumbered.get(message["parent"])
    return dict(parsed)


def counts() -> tuple[int, int]:
    """(chats, messages) stored."""
    with session_scope() as db:
        chats = db.scalar(select(func.count()).select_from(Chat)) or 0
        messages = db.scalar(select(func.count()).select_from(Message)) or 0
    return chats, messages


@pytest.fixture
def empty_database(db: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[], None]:
    """Call it to make the app's database a new, empty, migrated one (same backend as ``db``)."""

    def start_over() -> None:
        if db.startswith("sqlite"):
            url = f"sqlite:///{tmp_path}/second-{len(list(tmp_path.iterdir()))}.db"
        else:
            server = request.getfixturevalue("postgres_server")
            conf_db.reset()
            with psycopg.connect(server.dsn(), autocommit=True) as conn:
                conn.execute("DROP SCHEMA public CASCADE")
                conn.execute("CREATE SCHEMA public")
            url = db
        conf_db.configure(url)
        conf_db.init_db()

    return start_over


class CountingSink(io.RawIOBase):
    """A file that keeps nothing (zipfile needs tell() and seek)."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        length = len(data)  # type: ignore[arg-type]
        self.size += length
        return length

    def tell(self) -> int:
        return self.size
