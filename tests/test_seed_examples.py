"""The user's seed document (``shared/seed/``, in Spanish) run as tests, with ``app.`` → ``core.``.

Each test holds its example's code as the seed writes it (imports, names, arguments, prints,
``asyncio.run``), against the real llama.cpp engine that ``lm_studio_provider`` reaches through
``LM_STUDIO_URL`` (as the seed's ``.env`` would set it), and checks what the example prints or
stores.

The only change to the seed's code: the two examples that set no ``max_tokens`` (the streaming
one and ``complete_chat_flow``) get one, marked ``# test:``. Without it a 135M model at temperature
0.7 may write until its 2048-token context is full (half a minute), and llama-cpp-python's server
then fails at the context's edge: an engine limit, not part of what the examples show.
"""

from __future__ import annotations

import asyncio

import pytest

from core import errors
from core.conf.settings import reset_settings
from core.providers.llm_studio_api import reset_provider
from devtools.servers import LlamaServer
from tests.conftest import ENGINE_MODELS

pytestmark = pytest.mark.engine


@pytest.fixture
def seed_env(llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch) -> LlamaServer:
    """The seed's .env (LM_STUDIO_URL, LM_STUDIO_MODEL) pointing at the real engine."""
    monkeypatch.setenv("LM_STUDIO_URL", llama_server.url)
    monkeypatch.setenv("LM_STUDIO_MODEL", llama_server.model)
    reset_settings()
    reset_provider()
    return llama_server


# --- MessageRepository.get_chat_context_for_llm() -----------------------------------------------
def test_get_chat_context_for_llm(db: str) -> None:
    from core.conf.db import session_scope
    from core.repositories.messages import MessageRepository as Repository
    from core.services.chats import new_chat

    chat = new_chat()
    assert chat == 1  # the seed asks for chat_id=1: the first chat of a new database
    with session_scope(write=True) as session:
        for sender, content in [
            ("user", "Hola, ¿cómo estás?"),
            ("llm", "¡Hola! Estoy bien, gracias por preguntar."),
            ("user", "¿Puedes ayudarme con Python?"),
            ("llm", "Por supuesto, estaré encantado de ayudarte."),
        ]:
            Repository(session).create_message(chat, sender, content)

    # --- the seed's example -----------------------------------------------------------------
    from core.conf.db import SessionLocal
    from core.repositories.messages import MessageRepository

    # Crear instancia del repositorio
    db = SessionLocal()
    message_repo = MessageRepository(db)

    # Obtener contexto del chat para el LLM (últimos 20 mensajes por defecto)
    context = message_repo.get_chat_context_for_llm(chat_id=1, limit=20)
    # -----------------------------------------------------------------------------------------
    db.close()

    assert context == [
        {"role": "user", "content": "Hola, ¿cómo estás?"},
        {"role": "assistant", "content": "¡Hola! Estoy bien, gracias por preguntar."},
        {"role": "user", "content": "¿Puedes ayudarme con Python?"},
        {"role": "assistant", "content": "Por supuesto, estaré encantado de ayudarte."},
    ]


# --- 1. get_available_models() ------------------------------------------------------------------
def test_get_available_models(seed_env: LlamaServer, capsys: pytest.CaptureFixture[str]) -> None:
    from core.providers.llm_studio_api import lm_studio_provider

    async def check_models():  # type: ignore[no-untyped-def]
        models = await lm_studio_provider.get_available_models()
        print(models)

    asyncio.run(check_models())

    printed = capsys.readouterr().out
    assert f"'id': '{seed_env.model}'" in printed
    models = asyncio.run(lm_studio_provider.get_available_models())
    assert [m["id"] for m in models] == list(ENGINE_MODELS)  # one engine, served under each name
    assert models[0]["id"] == seed_env.model


# --- 2. chat_completion() -----------------------------------------------------------------------
def test_chat_completion(seed_env: LlamaServer, capsys: pytest.CaptureFixture[str]) -> None:
    from core.providers.llm_studio_api import lm_studio_provider

    responses = []

    async def chat_with_llm():  # type: ignore[no-untyped-def]
        messages = [{"role": "user", "content": "Hola, ¿cómo estás?"}]

        response = await lm_studio_provider.chat_completion(
            messages=messages,
            system_message="Eres un asistente útil y amigable.",
            temperature=0.7,
            max_tokens=100,
            stream=False,
        )

        print(response)
        # El contenido estará en: response['choices'][0]['message']['content']
        responses.append(response)

    asyncio.run(chat_with_llm())

    (response,) = responses
    content = response["choices"][0]["message"]["content"]
    assert isinstance(content, str) and content.strip()
    assert response["usage"]["completion_tokens"] <= 100
    assert content[:20] in capsys.readouterr().out


# --- 3. chat_completion_stream() ----------------------------------------------------------------
def test_chat_completion_stream(seed_env: LlamaServer, capsys: pytest.CaptureFixture[str]) -> None:
    from core.providers.llm_studio_api import lm_studio_provider

    chunks = []

    async def chat_with_streaming():  # type: ignore[no-untyped-def]
        messages = [{"role": "user", "content": "Explícame qué es Python"}]

        async for chunk in lm_studio_provider.chat_completion_stream(
            messages=messages,
            system_message="Eres un experto en programación.",
            temperature=0.7,
            max_tokens=64,  # test: a bounded answer
        ):
            chunks.append(chunk)
            # Procesar cada chunk del streaming
            if "choices" in chunk and len(chunk["choices"]) > 0:
                delta = chunk["choices"][0].get("delta", {})
                if "content" in delta:
                    print(delta["content"], end="", flush=True)

    asyncio.run(chat_with_streaming())

    printed = capsys.readouterr().out
    assert printed.strip()
    assert len(chunks) > 1  # it streamed
    assert printed == "".join(
        c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices")
    )


# --- 4. simple_completion() ---------------------------------------------------------------------
def test_simple_completion(seed_env: LlamaServer, capsys: pytest.CaptureFixture[str]) -> None:
    from core.providers.llm_studio_api import lm_studio_provider

    async def simple_completion():  # type: ignore[no-untyped-def]
        response = await lm_studio_provider.simple_completion(
            prompt="El lenguaje de programación más popular es", temperature=0.5, max_tokens=50
        )

        print(response)

    asyncio.run(simple_completion())

    printed = capsys.readouterr().out
    assert printed.strip()  # the answer text itself, not a JSON dump
    assert "choices" not in printed


# --- Uso combinado: complete_chat_flow ----------------------------------------------------------
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_complete_chat_flow_as_the_seed_writes_it(db: str, seed_env: LlamaServer) -> None:
    from core.conf.db import SessionLocal
    from core.providers.llm_studio_api import lm_studio_provider
    from core.repositories.messages import MessageRepository
    from core.services.chats import new_chat

    async def complete_chat_flow(chat_id: int, user_message: str):  # type: ignore[no-untyped-def]
        db = SessionLocal()
        try:
            # 1. Obtener contexto del chat
            message_repo = MessageRepository(db)
            context = message_repo.get_chat_context_for_llm(chat_id)

            # 2. Agregar el nuevo mensaje del usuario
            context.append({"role": "user", "content": user_message})

            # 3. Enviar a LM Studio
            response = await lm_studio_provider.chat_completion(
                messages=context,
                system_message="Eres un asistente inteligente y útil.",
                temperature=0.7,
                max_tokens=64,  # test: a bounded answer
            )

            # 4. Extraer la respuesta del LLM
            llm_response = response["choices"][0]["message"]["content"]

            # 5. Guardar ambos mensajes en la BD
            message_repo.create_message(chat_id, "user", user_message)
            message_repo.create_message(chat_id, "llm", llm_response)

            db.commit()
            return llm_response

        except Exception as e:
            db.rollback()
            raise e
        finally:
            db.close()

    chat_id = new_chat()
    answer = asyncio.run(complete_chat_flow(chat_id, "Hola, ¿cómo estás?"))
    assert isinstance(answer, str) and answer.strip()
    check = SessionLocal()
    try:
        assert MessageRepository(check).get_chat_context_for_llm(chat_id) == [
            {"role": "user", "content": "Hola, ¿cómo estás?"},
            {"role": "assistant", "content": answer},
        ]
    finally:
        check.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_core_complete_chat_flow_with_the_engine(db: str, seed_env: LlamaServer) -> None:
    from core.conf.db import SessionLocal
    from core.repositories.messages import MessageRepository
    from core.services.chats import new_chat
    from core.services.seed_flow import complete_chat_flow

    chat_id = new_chat()
    # temperature 0 (greedy): a short, repeatable answer, since this flow sets no max_tokens
    answer = asyncio.run(complete_chat_flow(chat_id, "What is 2+2?", temperature=0.0))
    assert answer.strip()
    db = SessionLocal()
    try:
        messages = MessageRepository(db).list_for_chat(chat_id)
    finally:
        db.close()
    assert [(m.sender, m.content, m.status) for m in messages] == [
        ("user", "What is 2+2?", "complete"),
        ("llm", answer, "complete"),
    ]
    assert messages[1].completion_tokens and messages[1].prompt_tokens
    assert messages[1].params == {
        "temperature": 0.0,
        "system_prompt": "Eres un asistente inteligente y útil.",
    }


def test_core_complete_chat_flow_keeps_the_message_when_the_server_is_down(db: str) -> None:
    """LM_STUDIO_URL points where nothing listens (the test environment's default)."""
    from core.conf.db import SessionLocal
    from core.repositories.messages import MessageRepository
    from core.services.chats import new_chat
    from core.services.seed_flow import complete_chat_flow

    chat_id = new_chat()
    with pytest.raises(errors.ServerUnreachable) as info:
        asyncio.run(complete_chat_flow(chat_id, "Hola, ¿cómo estás?"))
    assert "Start LM Studio" in str(info.value)
    db = SessionLocal()
    try:
        user, answer = MessageRepository(db).list_for_chat(chat_id)
        context = MessageRepository(db).get_chat_context_for_llm(chat_id)
    finally:
        db.close()
    assert (user.sender, user.content) == ("user", "Hola, ¿cómo estás?")
    assert (answer.sender, answer.status, answer.content) == ("llm", "error", "")
    assert "Cannot reach the model server" in answer.error_text("en")
    # the failed answer is not sent back to the model; the question is
    assert context == [{"role": "user", "content": "Hola, ¿cómo estás?"}]
