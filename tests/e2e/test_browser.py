"""End to end: a real ``streamlit run`` of the app in headless Chromium (Playwright).

Two model servers stand behind the app:

- the real llama.cpp engine with SmolLM2-135M (``llama_server`` fixture) for what only a real model
  shows: an answer streaming in, a long answer stopped half-way, parameters reaching the engine;
- the project's fake server as a separate process (``python -m tests.fakes.fake_llm_server``),
  scripted over its ``/__fake__/`` endpoints, for exact content (HTML in an answer, reasoning) and
  to see from the server side that Stop closes the stream.

Every test gets its own app process and SQLite file, and checks both the screen and the database.
Waits are generous and event-based (script state, DOM mutations, database rows); nothing asserts
on durations, so a slow machine only makes the tests slower.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from devtools.servers import LlamaServer, StreamlitServer
from tests.e2e.helpers import (
    ASSISTANT,
    CAPTION,
    CHAT_INPUT,
    STOP,
    WAIT_MS,
    FakeServerProcess,
    answers,
    finished_answer,
    last_answer_text,
    open_app,
    rows,
    type_message,
    wait_for,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOT = Path("/tmp/charla-chat.png")

# Records every length the last assistant message's text takes, as the DOM changes.
WATCH_GROWTH = """(selector) => {
  window.__lengths = [];
  const observer = new MutationObserver(() => {
    const answers = document.querySelectorAll(selector);
    const last = answers[answers.length - 1];
    if (last) window.__lengths.push(last.innerText.length);
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture
def engine_app(llama_server: LlamaServer, start_app: Any) -> StreamlitServer:
    """The app talking to the real engine."""
    return start_app(llama_server.url, llama_server.model)  # type: ignore[no-any-return]


# --- with the real engine -----------------------------------------------------------------------
@pytest.mark.engine
def test_answer_streams_in_and_is_stored(
    llama_server: LlamaServer, engine_app: StreamlitServer, tab: Any, db_path: Path
) -> None:
    open_app(tab, engine_app.url)
    tab.locator('[data-testid="stSidebar"]').get_by_text("Connected", exact=True).wait_for()
    tab.evaluate(WATCH_GROWTH, ASSISTANT)
    type_message(tab, "Tell me a short story about a lighthouse keeper.")

    answer = finished_answer(db_path, 1)
    wait_idle(tab)
    # The stored rendering replaces the live one as soon as the page sees the answer ended (the
    # chat's watcher polls): its caption names the model, and "being written" is gone.
    bubble = tab.locator(ASSISTANT).last
    expect(bubble).not_to_contain_text("being written", timeout=WAIT_MS)
    expect(bubble.locator("[data-testid='stCaptionContainer']").first).to_contain_text(
        llama_server.model, timeout=WAIT_MS
    )
    assert answer["status"] == "complete" and answer["content"].strip()
    lengths = tab.evaluate("window.__lengths")
    grew = sorted({n for n in lengths if n > 0})
    assert len(grew) >= 3, f"the answer did not stream in (lengths seen: {grew})"
    shown = last_answer_text(tab)
    assert (
        answer["content"].strip()[:40] in shown.replace("\n", " ")
        or answer["content"][:10] in shown
    )
    assert llama_server.model in shown  # the caption names the model
    user = rows(db_path)[0]
    assert (user["sender"], user["content"]) == (
        "user",
        "Tell me a short story about a lighthouse keeper.",
    )
    tab.screenshot(path=str(SCREENSHOT))


@pytest.mark.engine
def test_stop_keeps_the_partial_answer_marked_stopped(
    engine_app: StreamlitServer, tab: Any, db_path: Path
) -> None:
    open_app(tab, engine_app.url)
    # A tiny model may finish a "long" story before the click lands on a fast machine: try again
    # with a new message rather than depend on speed.
    for attempt in range(1, 6):
        type_message(tab, f"Write a very long story, chapter {attempt}, with many details.")
        # Some answer text is saved (the live bubble also holds the Stop button and a caption).
        wait_for(
            lambda n=attempt: len(answers(db_path)) >= n and answers(db_path)[n - 1]["content"],
            "the answer's first words",
        )
        with contextlib.suppress(PlaywrightTimeout):  # gone: the answer finished first
            tab.locator(STOP).click(timeout=5_000)
        answer = finished_answer(db_path, attempt)
        wait_idle(tab)
        if answer["status"] == "stopped":
            break
    else:
        pytest.fail("every long answer finished before Stop could be clicked")
    assert answer["content"].strip(), "the partial answer is kept"
    # The partial answer stays on screen; the next run shows it as stored, marked stopped.
    type_message(tab, "Thanks.")
    finished_answer(db_path, attempt + 1)
    wait_idle(tab)
    captions = tab.locator(f"{ASSISTANT} [data-testid='stCaptionContainer']").all_inner_texts()
    assert any("stopped" in caption for caption in captions)


@pytest.mark.engine
def test_temperature_and_max_tokens_from_the_settings_page_reach_the_engine(
    engine_app: StreamlitServer, tab: Any, db_path: Path
) -> None:
    tab.goto(f"{engine_app.url}/settings")
    wait_idle(tab)
    tab.wait_for_selector('[data-testid="stSlider"]')
    # The connection badge is on every page.
    tab.locator('[data-testid="stSidebar"]').get_by_text("Connected", exact=True).wait_for()

    form = tab.locator(".st-key-generation-section")  # not the presets' form further down
    # Nothing saved yet: the page says the server decides, shows no number, and sends none.
    server_default = form.get_by_text("Temperature: server default (Charla sends none)")
    server_default.click()  # untick: now Charla sends a temperature, and the page shows which
    temperature = form.locator('[data-testid="stSlider"]', has_text="Temperature").locator(
        'input[type="range"]'
    )
    temperature.wait_for()
    assert temperature.input_value() == "0.7"
    temperature.focus()
    for _ in range(4):  # 0.70 -> 0.90 in steps of 0.05
        tab.keyboard.press("ArrowRight")
    form.locator('[data-testid="stSliderThumbValue"]').get_by_text("0.90").wait_for()
    wait_idle(tab)
    # Max tokens is a slider too: "No limit", then 16, 32 …
    max_tokens = form.locator('[data-testid="stSlider"]', has_text="Max tokens per answer")
    max_tokens.locator('[data-testid="stSliderThumbValue"]').get_by_text("No limit").wait_for()
    max_tokens.locator('input[type="range"]').focus()
    tab.keyboard.press("ArrowRight")
    max_tokens.locator('[data-testid="stSliderThumbValue"]').get_by_text("16").wait_for()
    wait_idle(tab)
    tab.get_by_role("button", name="Save defaults").click()
    tab.get_by_text("Defaults saved.").wait_for()

    tab.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Chat").click()
    tab.wait_for_selector(CHAT_INPUT)
    wait_idle(tab)
    type_message(tab, "Write a long essay about the history of Rome.")
    answer = finished_answer(db_path, 1)
    assert answer["params"]["temperature"] == pytest.approx(0.9)
    assert answer["params"]["max_tokens"] == 16
    assert answer["completion_tokens"] <= 16  # the engine obeyed it
    wait_idle(tab)
    caption = tab.locator(f"{ASSISTANT}:has({CAPTION})").last.locator(CAPTION).first
    caption.get_by_text("tokens").wait_for()  # drawn as stored (not "being written")
    caption = caption.inner_text()
    if answer["finish_reason"] == "length":  # (a tiny model may still stop on its own)
        assert "cut by max_tokens" in caption


# --- with the fake server in its own process ---------------------------------------------------
def test_html_in_an_answer_is_shown_as_text(
    fake_process: FakeServerProcess, start_app: Any, tab: Any, db_path: Path
) -> None:
    payload = "<img src=x onerror=alert(1)>"
    fake_process.enqueue(chunks=["Here: ", payload, " done"], reasoning=["Considering markup."])
    app = start_app(fake_process.url)
    open_app(tab, app.url)
    type_message(tab, "Show me some HTML")
    finished_answer(db_path, 1)
    wait_idle(tab)
    tab.wait_for_selector(f"{ASSISTANT} [data-testid='stCaptionContainer']")

    answer = tab.locator(ASSISTANT).last
    expect(answer).to_contain_text(payload, timeout=WAIT_MS)
    assert answer.locator("img").count() == 0
    assert tab.dialogs == []  # type: ignore[attr-defined]
    # The reasoning is in a collapsed "Thinking" expander, not in the answer text.
    expander = answer.locator('[data-testid="stExpander"]')
    expect(expander).to_contain_text("Thinking", timeout=WAIT_MS)
    assert not expander.locator('[data-testid="stExpanderDetails"]').is_visible()
    assert "Considering markup." not in answer.inner_text()
    expander.get_by_text("Thinking").click()
    expect(expander).to_contain_text("Considering markup.", timeout=WAIT_MS)


def test_stop_closes_the_stream_at_the_server(
    fake_process: FakeServerProcess, start_app: Any, tab: Any, db_path: Path
) -> None:
    fake_process.enqueue(chunks=["tick "], delay_between=0.05, repeat_forever=True)
    app = start_app(fake_process.url)
    open_app(tab, app.url)
    type_message(tab, "Never stop")
    tab.wait_for_function(
        f"() => {{ const a = document.querySelectorAll('{ASSISTANT}');"
        " return a.length && a[0].innerText.includes('tick tick tick'); }"
    )
    tab.click(STOP)

    answer = finished_answer(db_path, 1)
    assert answer["status"] == "stopped"
    assert answer["content"].startswith("tick tick tick")
    wait_for(lambda: fake_process.disconnects() >= 1, "the server to see the client hang up")
    wait_idle(tab)
    # The partial answer stays on screen.
    expect(tab.locator(ASSISTANT).last).to_contain_text("tick", timeout=WAIT_MS)


def test_a_fresh_server_asks_for_the_password_even_on_a_page_url(
    fake_process: FakeServerProcess, tab: Any, db_path: Path
) -> None:
    # Streamlit's legacy pages/ mode would run pages/chat.py directly on the first request of a
    # fresh process; the page must still go through the password check.
    env = {
        "DATABASE_URL": f"sqlite:///{db_path}",
        "LM_STUDIO_URL": fake_process.url,
        "CHARLA_PASSWORD": "letmein",
    }
    with StreamlitServer(env=env).start() as app:
        tab.goto(f"{app.url}/chat")
        tab.get_by_text("Charla is locked").wait_for()
        wait_idle(tab)
        assert tab.locator(CHAT_INPUT).count() == 0
        tab.get_by_label("Password", exact=True).fill("letmein")
        tab.get_by_role("button", name="Unlock").click()
        tab.wait_for_selector(CHAT_INPUT)
        sidebar = tab.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Connected", exact=True).wait_for()
        assert "Model settings" in sidebar.inner_text()  # the app's navigation, not file names
