"""Any text a user can type or a model can send is stored and exported unchanged, or refused with
a clear message, the same way on SQLite and PostgreSQL.

Property tests (hypothesis) send arbitrary text — any Unicode including control characters,
right-to-left marks, emoji and long lines — through the real chat service to the fake server's
``fake-echo`` model, then read it back from the database and from the CSV export (exact mode,
parsed by pandas). Explicit cases cover what the database cannot store (NUL, lone surrogates:
refused from a user with a sentence that says what to do, replaced by U+FFFD in a model's
answer), 1 MB messages, empty and whitespace-only messages, and out-of-range settings.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import errors
from core.conf.db import SessionLocal, session_scope
from core.i18n import t
from core.providers.llm_studio_api import LMStudioAPIProvider
from core.repositories.app_settings import AppSettingsRepository
from core.repositories.messages import MessageRepository
from core.repositories.validation import check_setting
from core.schemas import ChatSettings
from core.services.chat import ChatService
from core.services.chats import new_chat
from core.services.export import ExportScope, csv_bytes
from core.text import MAX_MESSAGE_CHARS
from tests.fakes.fake_llm_server import FakeLLMServer, Reply

# Everything a keyboard, a paste or a model can produce, except what no database stores (NUL and
# lone surrogates, tested separately below).
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1
).filter(lambda s: s.strip())
FUN = [
    "مرحبا بالعالم \u200f",
    "👩‍👩‍👧 family",
    "line\r\nbreak\rmore\n",
    "tab\there",
    "\x1b[31mred",
    "é" * 5000,
]


def _exported(chat_id: int) -> pd.DataFrame:
    data = csv_bytes(ExportScope.chat(chat_id), safe=False)
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False, dtype=str)


def _stored(chat_id: int) -> list[tuple[str, str, str]]:
    db = SessionLocal()
    try:
        return [
            (m.sender, m.content, m.status) for m in MessageRepository(db).list_for_chat(chat_id)
        ]
    finally:
        db.close()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(TEXT, st.sampled_from(FUN)))
def test_any_text_a_user_types_is_stored_and_exported_unchanged(
    db: str, fake_server: FakeLLMServer, text: str
) -> None:
    service = ChatService(LMStudioAPIProvider(fake_server.url, "fake-lmstudio"))
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=["ok"]))
    reply = service.send(chat_id, text).consume()
    assert reply.status == "complete"
    assert _stored(chat_id) == [("user", text, "complete"), ("llm", "ok", "complete")]
    assert fake_server.requests[-1]["json"]["messages"][-1]["content"] == text
    assert _exported(chat_id)["content"].tolist() == [text, "ok"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(chunks=st.lists(st.one_of(TEXT, st.sampled_from(FUN)), min_size=1, max_size=6))
def test_any_text_a_model_sends_is_stored_and_exported_unchanged(
    db: str, fake_server: FakeLLMServer, chunks: list[str]
) -> None:
    service = ChatService(LMStudioAPIProvider(fake_server.url, "fake-lmstudio"))
    chat_id = new_chat()
    fake_server.enqueue(Reply(chunks=chunks))
    reply = service.send(chat_id, "Say anything").consume()
    answer = "".join(chunks)
    if "<think>" in answer or "</think>" in answer:
        return  # reasoning separation is tested on its own (tests/test_reasoning.py)
    assert reply.status == ("complete" if answer.strip() else "error")
    assert _stored(chat_id)[1][1] == answer
    assert _exported(chat_id)["content"].tolist() == ["Say anything", answer]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "input.empty_message"),
        ("   \n\t  ", "input.empty_message"),
        ("nul \x00 inside", "input.nul_character"),
        ("broken emoji \ud83d here", "input.invalid_characters"),
        ("x" * (MAX_MESSAGE_CHARS + 1), "input.message_too_long"),
    ],
)
def test_text_that_cannot_be_stored_is_refused_with_advice_before_anything_is_stored(
    db: str, fake_server: FakeLLMServer, text: str, reason: str
) -> None:
    chat_id = new_chat()
    with pytest.raises(errors.InputError) as refused:
        ChatService().send(chat_id, text)
    assert refused.value.reason == reason
    for lang in ("en", "es"):
        message = refused.value.user_message(lang)
        assert "{" not in message and len(message) > 30
    assert _stored(chat_id) == []
    assert fake_server.requests == []


def test_a_one_megabyte_message_is_stored_and_exported_whole(
    db: str, fake_server: FakeLLMServer
) -> None:
    text = ("Ñandú 🦤 " * 200_000)[:MAX_MESSAGE_CHARS]
    chat_id = new_chat()
    reply = (
        ChatService(LMStudioAPIProvider(fake_server.url, "fake-lmstudio"))
        .send(chat_id, text)
        .consume()
    )
    assert reply.status == "complete"
    assert _stored(chat_id)[0][1] == text
    assert _exported(chat_id)["content"].tolist()[0] == text


def test_nul_and_lone_surrogates_from_a_model_are_kept_as_replacement_characters(
    db: str, fake_server: FakeLLMServer
) -> None:
    # The fake serialises with json.dumps: "\x00" and "\ud83d" travel as \u0000 and \ud83d escapes.
    fake_server.enqueue(Reply(chunks=["before \x00 middle ", "\ud83d", " after"]))
    chat_id = new_chat()
    reply = (
        ChatService(LMStudioAPIProvider(fake_server.url, "fake-lmstudio"))
        .send(chat_id, "Hi")
        .consume()
    )
    assert reply.status == "complete"
    assert _stored(chat_id)[1][1] == "before \ufffd middle \ufffd after"
    assert json.dumps(_exported(chat_id)["content"].tolist()[1]) == json.dumps(
        "before \ufffd middle \ufffd after"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("temperature", 2.5),
        ("temperature", -0.1),
        ("temperature", float("nan")),
        ("max_tokens", 0),
        ("max_tokens", 1.5),
        ("top_p", 1.01),
        ("top_k", -1),
        ("repeat_penalty", 11),
        ("seed", 2**40),
        ("stop", ["a", "b", "c", "d", "e"]),
        ("stop", [""]),
        ("temperature", "hot"),
    ],
)
def test_out_of_range_settings_are_refused_with_a_reason_and_not_saved(
    db: str, name: str, value: object
) -> None:
    with pytest.raises(errors.InputError) as refused:
        check_setting(name, value)
    # The reason names the setting by its label in the reader's language.
    assert t(f"settings.{name}", "en") in refused.value.user_message("en")
    assert t(f"settings.{name}", "es") in refused.value.user_message("es")
    with pytest.raises(errors.InputError), session_scope(write=True) as session:
        AppSettingsRepository(session).set_generation_defaults(ChatSettings(**{name: value}))  # type: ignore[arg-type]
    with session_scope() as session:
        assert getattr(AppSettingsRepository(session).generation_defaults(), name) is None
