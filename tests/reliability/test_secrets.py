"""The API key never reaches the database, the logs, the exports or an error message.

The key is set the way a user sets it (``LM_STUDIO_API_KEY`` in the environment), the fake server
requires it, and some of its answers echo it back (a misconfigured proxy or a chatty server
would). Then the app's flows run — a good answer, a refused key, errors whose bodies and stream
frames contain the key, the seed's flow — with every logger at DEBUG (httpx's and httpcore's
included). Afterwards the key must appear nowhere: not in any text column of any table, not in any
log record, not in the CSV export (both modes), not in any error's English or Spanish message.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import text

from core import errors
from core.conf.db import get_engine
from core.conf.settings import reset_settings
from core.providers.llm_studio_api import get_provider, reset_provider
from core.services.chat import ChatService
from core.services.chats import new_chat
from core.services.export import ExportScope, csv_bytes
from core.services.seed_flow import complete_chat_flow
from tests.fakes.fake_llm_server import FakeLLMServer, Reply

KEY = "sk-charla-TEST-7f3a9c1e5b"


def test_the_api_key_is_never_stored_logged_exported_or_shown(
    db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeLLMServer(api_key=KEY) as server:
        monkeypatch.setenv("LM_STUDIO_URL", server.url)
        monkeypatch.setenv("LM_STUDIO_API_KEY", KEY)
        monkeypatch.setenv("LM_STUDIO_MODEL", "smollm2-135m-instruct")
        reset_settings()
        reset_provider()
        service = ChatService()
        chat_id = new_chat()
        seen: list[str] = []

        def turn(message: str) -> None:
            reply = service.send(chat_id, message).consume()
            if reply.error is not None:
                seen.extend([str(reply.error), reply.error.user_message("es"), repr(reply.error)])

        turn("A normal question")  # authorised: a complete answer
        assert server.requests[-1]["headers"]["authorization"] == f"Bearer {KEY}"
        server.enqueue(Reply(status=401, body={"error": {"message": f"Invalid API key {KEY}"}}))
        turn("Refused")
        server.enqueue(Reply(status=500, body=f"upstream said: Bearer {KEY}"))
        server.enqueue(Reply(status=500, body=f"upstream said: Bearer {KEY}"))
        server.enqueue(Reply(status=500, body=f"upstream said: Bearer {KEY}"))
        turn("Server failure")
        server.enqueue(
            Reply(chunks=["partial "], error_frame={"error": {"message": f"key {KEY} expired"}})
        )
        turn("Error inside the stream")
        server.enqueue(Reply(status=400, body={"error": f"context overflow for token {KEY}"}))
        turn("Overflow")
        server.enqueue(Reply(status=400, body={"error": f"bad request from {KEY}"}))
        with pytest.raises(errors.ProviderError) as raised:
            asyncio.run(complete_chat_flow(chat_id, "The seed's flow"))
        seen.extend([str(raised.value), raised.value.user_message("es"), repr(raised.value)])
        seen.append(repr(get_provider()))
        status = get_provider().check_connection()
        assert status.ok

    assert len(seen) >= 10
    for message in seen:
        assert KEY not in message, message

    with get_engine().connect() as connection:
        for table in ("chats", "messages", "app_settings"):
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                assert KEY not in " ".join(map(str, row)), f"{table}: {row}"

    for safe in (True, False):
        data = csv_bytes(ExportScope.everything(), safe=safe).decode("utf-8")
        assert "Refused" in data  # the export really holds the chat
        assert KEY not in data

    assert caplog.records, "nothing was logged: the log check would prove nothing"
    for record in caplog.records:
        assert KEY not in record.getMessage(), record.getMessage()
        assert KEY not in str(record.args), record.args
