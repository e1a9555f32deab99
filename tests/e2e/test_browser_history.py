"""The History page in a real browser: find the chat, read it, download the CSV and check its rows.

Against a real ``streamlit run`` and the real llama.cpp engine: one question is answered in the
chat page, then the History page lists that chat, shows it read-only when picked, and the
"Everything" download delivers a CSV (through the browser's own download) whose rows are exactly
the stored messages, in both the safe and exact modes.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from devtools.servers import LlamaServer, StreamlitServer
from tests.e2e.helpers import (
    IDLE,
    WAIT_MS,
    finished_answer,
    open_app,
    rows,
    type_message,
    wait_idle,
)

QUESTION = "Name one famous lighthouse, with a =formula-looking start."


def _download(tab: Any, label: str, target: Path) -> pd.DataFrame:
    # A click that lands while the page is rerunning (it just changed) is lost with the button it
    # hit; click again, a few times, rather than trust an "idle" state that a rerun may follow.
    for attempt in range(4):
        tab.wait_for_selector(IDLE, timeout=WAIT_MS)
        try:
            with tab.expect_download(timeout=20_000) as download:
                tab.locator('[data-testid="stDownloadButton"]').get_by_text(label).click()
            break
        except PlaywrightTimeout:
            if attempt == 3:
                raise
    download.value.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: spreadsheets open it as UTF-8
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False, dtype=str)


@pytest.mark.engine
def test_history_lists_the_chat_and_downloads_its_rows_as_csv(
    llama_server: LlamaServer, start_app: Any, tab: Any, db_path: Path, tmp_path: Path
) -> None:
    app: StreamlitServer = start_app(llama_server.url, llama_server.model)
    open_app(tab, app.url)
    type_message(tab, QUESTION)
    answer = finished_answer(db_path, 1)
    wait_idle(tab)
    stored = rows(db_path)
    assert [r["sender"] for r in stored] == ["user", "llm"]

    tab.goto(f"{app.url}/history")
    tab.wait_for_selector(IDLE, timeout=WAIT_MS)
    table = tab.locator('[data-testid="stDataFrame"]')
    table.wait_for(timeout=WAIT_MS)

    # Read the chat through the "Read a chat" box (the table's canvas has no DOM rows to click).
    tab.get_by_text("Read a chat").wait_for(timeout=WAIT_MS)
    tab.locator('[data-testid="stSelectbox"]').filter(has_text="Read a chat").click()
    tab.get_by_role("option").first.click()
    tab.wait_for_selector(IDLE, timeout=WAIT_MS)
    shown = tab.locator('[data-testid="stChatMessage"]')
    expect(shown).to_have_count(2, timeout=WAIT_MS)  # the reader renders message by message
    expect(shown.nth(0)).to_contain_text(QUESTION, timeout=WAIT_MS)

    safe = _download(tab, "Everything", tmp_path / "safe.csv")
    assert safe["message_id"].tolist() == [str(r["id"]) for r in stored]
    assert safe["sender"].tolist() == ["user", "llm"]
    assert safe["role"].tolist() == ["user", "assistant"]
    assert safe["content"].tolist()[0] == QUESTION  # starts with N: nothing to neutralise
    assert safe["content"].tolist()[1] == (
        "'" + answer["content"] if answer["content"][:1] in "=+-@\t\r" else answer["content"]
    )
    assert safe["status"].tolist() == ["complete", "complete"]
    assert safe["model"].tolist()[1] == answer["model"]

    toggle = tab.get_by_role("switch", name="Safe for spreadsheets")
    toggle.click(force=True)  # switch to exact mode
    expect(toggle).not_to_be_checked(timeout=WAIT_MS)
    exact = _download(tab, "Everything", tmp_path / "exact.csv")
    assert exact["content"].tolist() == [r["content"] for r in stored]
    assert exact["chat_id"].nunique() == 1
