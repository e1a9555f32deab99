"""Import and export in a real browser: files go through Streamlit's real upload path.

Against a real ``streamlit run`` (no model needed: nothing is asked of a model here). Chromium puts
three other apps' exports in the History page's uploader (``set_input_files``, as a person choosing
files would), Import stores them, the page shows the summary and the new chats, and the Charla JSON
download of everything (through the browser's own download) holds them all.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from devtools.servers import StreamlitServer
from tests.conftest import NOTHING_LISTENS_URL
from tests.e2e.helpers import IDLE, WAIT_MS, wait_for
from tests.transfer_helpers import CHATGPT, LMSTUDIO, OPENWEBUI

UPLOAD = '[data-testid="stFileUploaderDropzoneInput"]'


def _chats(db_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db_path) as conn:
        return list(conn.execute("SELECT source, title FROM chats ORDER BY id"))


def test_upload_import_and_download_in_chromium(
    start_app: Any, tab: Any, db_path: Path, tmp_path: Path
) -> None:
    app: StreamlitServer = start_app(NOTHING_LISTENS_URL)
    tab.goto(f"{app.url}/history")
    tab.wait_for_selector(IDLE, timeout=WAIT_MS)
    tab.get_by_text("No chats yet").wait_for(timeout=WAIT_MS)

    tab.locator(UPLOAD).set_input_files([str(CHATGPT), str(LMSTUDIO), str(OPENWEBUI)])
    for name in (CHATGPT.name, LMSTUDIO.name, OPENWEBUI.name):  # uploaded: a chip per file
        # The chip shortens a long name on screen ("chatgp...ations.json"); its title is whole.
        tab.locator(f'[data-testid="stFileChip"] [title="{name}"]').wait_for(timeout=WAIT_MS)
    import_button = tab.locator('[class*="st-key-hist-import-run"] button')
    expect(import_button).to_be_enabled(timeout=WAIT_MS)
    import_button.click()

    tab.get_by_text("Chats added: 5; messages: 21; already here, skipped: 0.").wait_for(
        timeout=WAIT_MS
    )
    tab.get_by_text("5 / 5 conversations").wait_for(timeout=WAIT_MS)
    chats = wait_for(lambda: _chats(db_path) if len(_chats(db_path)) == 5 else None, "5 chats")
    assert sorted(source for source, _ in chats) == [
        "chatgpt", "chatgpt", "lmstudio", "openwebui", "openwebui",
    ]  # fmt: skip
    tab.locator('[data-testid="stDataFrame"]').wait_for(timeout=WAIT_MS)

    tab.get_by_text("JSON (Charla)").click()
    tab.get_by_text("Everything, losslessly").wait_for(timeout=WAIT_MS)  # the JSON choice is drawn
    for attempt in range(4):
        # A click that lands while the page reruns is lost with the button it hit (as in
        # test_browser_history.py): click again rather than trust an "idle" a rerun may follow.
        tab.wait_for_selector(IDLE, timeout=WAIT_MS)
        try:
            with tab.expect_download(timeout=20_000) as download:
                tab.locator('[data-testid="stDownloadButton"]').get_by_text("Everything").click()
            break
        except PlaywrightTimeout:
            if attempt == 3:
                raise
    target = tmp_path / "all.json"
    download.value.save_as(target)
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["format"] == "charla"
    assert sorted(c["title"] for c in document["chats"]) == sorted(title for _, title in chats)
