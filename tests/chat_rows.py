"""Stored chats for the search tests (the service's, the CLI's and the page's): written straight
through the repositories, as a chat that already happened."""

from __future__ import annotations

from core.conf.db import session_scope
from core.repositories.chats import ChatRepository
from core.repositories.messages import MessageRepository
from core.services.answers import AnswerWriter


def chat_with(title: str, *texts: str, model: str = "qwen3-8b") -> int:
    """A chat whose messages alternate question / answer (the answers by ``model``)."""
    with session_scope(write=True) as db:
        chat_id = ChatRepository(db).create(title).id
        messages = MessageRepository(db)
        for number, text in enumerate(texts):
            if number % 2:
                messages.create_message(chat_id, "llm", text, model=model)
            else:
                messages.create_message(chat_id, "user", text)
    return chat_id


def streaming_answer(chat_id: int) -> tuple[int, AnswerWriter]:
    """An empty answer being written in ``chat_id``, and the writer that saves it as the chat
    does (every save at once)."""
    with session_scope(write=True) as db:
        answer = MessageRepository(db).create_message(chat_id, "llm", "", status="streaming")
    return answer.id, AnswerWriter(answer.id, save_interval=0)
