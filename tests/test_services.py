"""The real services the suite runs on do start, answer, and stop."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text

from devtools.servers import LlamaServer, PostgresServer, StreamlitServer


@pytest.mark.postgres
def test_postgres_answers_select_1(postgres_server: PostgresServer) -> None:
    engine = create_engine(postgres_server.url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
            assert connection.execute(text("SELECT current_database()")).scalar_one() == (
                "charla_test"
            )
    finally:
        engine.dispose()


def test_db_fixture_migrates_each_backend(db: str) -> None:
    engine = create_engine(db)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"alembic_version", "chats", "messages"} <= tables


@pytest.mark.engine
def test_llama_server_lists_its_model(llama_server: LlamaServer) -> None:
    response = httpx.get(f"{llama_server.url}/v1/models", timeout=10)
    assert response.status_code == 200
    assert llama_server.model in [model["id"] for model in response.json()["data"]]


def test_streamlit_server_serves_a_script(tmp_path: Path) -> None:
    script = tmp_path / "hello.py"
    script.write_text('import streamlit as st\n\nst.write("hola")\n')
    with StreamlitServer(script, env={}).start() as app:
        assert httpx.get(f"{app.url}/_stcore/health", timeout=10).text == "ok"
    assert app.process is None
