"""Benchmark 5: the chat page in a real browser (headless Chromium, real ``streamlit run``).

(a) Burst. A loopback replay server (:class:`bench.streaming.ReplayServer`) answers a streamed chat
    request with 4,000 content chunks as fast as the socket takes them (also with ``--quick``). Two
    apps use it: Charla (``streamlit_app.py``, private SQLite file) and the baseline
    ``bench/plain_chat_app.py``, Streamlit's documented pattern (``st.write_stream`` over a
    generator yielding every token of an httpx + httpx-sse stream). Each round opens a fresh page
    (a fresh session, so a new chat), types a prompt and presses Enter. In the page, a capturing
    ``keydown`` listener stamps ``performance.now()`` at Enter, and a ``MutationObserver`` stamps it
    again the first time the last assistant bubble's text holds the answer's last token (every
    round's tokens carry a round tag, so an earlier answer cannot match). After one warm-up round
    each, 9 rounds (3 with ``--quick``) alternate Charla / plain; the medians are reported.
    Targets: Charla < 1.0 s, and plain ÷ Charla >= 2.
(b) Follow lag. The same replay server paces a plain-text answer of known tokens (``w0 w1 …``),
    200 chunks over ~6 s, two rounds (100 over ~3 s, one round with ``--quick``). A thread polls the
    answer's row in Charla's SQLite file, read-only, every 50 ms (``time.time()``, tokens stored),
    while the page reports the number of tokens the live answer shows whenever it changes
    (``Date.now()``, ``innerText``; the observer is an init script, so it is attached again after a
    reload, and it reports through an exposed function that survives navigation). For the first
    sample of every new stored length, the lag is how long after it the page first showed at least
    that many tokens (0 when the page was ahead). Target: max <= 0.5 s; p95 is reported too.

Limits. Times are the DOM's, not the screen's: a mutation is counted when it happens, before the
browser paints it (up to a frame later), and the burst check reads ``textContent`` (no layout, so
that the observer costs the page little; hidden text would count). The database is read every 50 ms,
so a save is seen up to 50 ms after its commit and the lag is underestimated by up to that much: a
lag under ~50 ms means "none". Only what the page does after Enter is timed, not typing or page
load. Browser, both Streamlit servers, the model server and this process share the machine's cores:
other work moves every figure (the alternation spreads it over both apps, not over the lag rounds),
so the note gives the per-round range and the load average before and after.
``Date.now()`` and ``time.time()`` read one clock here.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import Metric, interleaved, median, percentile
from bench.streaming import ReplayServer, build_stream

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PROMPT = "Count to a big number, please."
WAIT_MS = 60_000  # the longest wait for one answer: a deadline, never a measurement
DB_POLL = 0.05  # seconds between reads of the answer's row
TOKEN = re.compile(r"\bw\d+\b")

# Runs in every page before the app's own code, again after every navigation. ``__bench.marker``
# (set per round) is the text that completes the burst answer; with ``follow``, every change in the
# number of ``w123`` tokens of the last assistant bubble goes to Python with its ``Date.now()``.
OBSERVER_JS = """
([assistant, chatInput, follow]) => {
  const state = (window.__bench = { enter: null, done: null, marker: null });
  window.addEventListener(
    "keydown",
    (event) => {
      if (event.key === "Enter" && !event.shiftKey && event.target.matches?.(chatInput)) {
        state.enter = performance.now();
        state.done = null;
      }
    },
    true,
  );
  let shown = -1;
  const check = () => {
    const bubbles = document.querySelectorAll(assistant);
    const last = bubbles[bubbles.length - 1];
    if (!last) return;
    if (state.marker && state.enter !== null && state.done === null &&
        last.textContent.includes(state.marker)) {
      state.done = performance.now();
    }
    if (follow) {
      const count = (last.innerText.match(/\\bw\\d+\\b/g) || []).length;
      if (count !== shown) {
        shown = count;
        window.__benchShown?.(Date.now(), count);
      }
    }
  };
  new MutationObserver(check).observe(document, {
    subtree: true, childList: true, characterData: true,
  });
}
"""


def _observe(context: Any, *, follow: bool) -> Any:
    from tests.e2e.helpers import ASSISTANT, CHAT_INPUT

    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    args = json.dumps([ASSISTANT, CHAT_INPUT, follow])
    page.add_init_script(script=f"({OBSERVER_JS})({args});")
    return page


def _open(page: Any, url: str) -> None:
    """A fresh page of the app, idle, with its chat input (a new session: a new chat)."""
    from tests.e2e.helpers import CHAT_INPUT, IDLE

    page.goto(url)
    page.wait_for_selector(IDLE)
    page.wait_for_selector(CHAT_INPUT)


def _send(page: Any, text: str) -> None:
    from tests.e2e.helpers import CHAT_INPUT

    page.fill(CHAT_INPUT, text)
    page.keyboard.press("Enter")


# --- (a) burst ------------------------------------------------------------------------------------
class _Burst:
    """One round: a fresh page, Enter, and the seconds until the whole answer is in the DOM."""

    def __init__(self, page: Any, server: ReplayServer, chunks: int) -> None:
        self.page = page
        self.server = server
        self.chunks = chunks
        self.rounds = 0

    def measure(self, url: str) -> float:
        from tests.e2e.helpers import IDLE

        self.rounds += 1
        tag = f"r{self.rounds}x"  # "r1x3999" is in no other round's answer, nor a prefix of one
        self.server.body = build_stream(self.chunks, lambda i: f"{tag}{i} ")
        self.server.pace = 0.0
        page = self.page
        _open(page, url)
        page.evaluate("(marker) => { window.__bench.marker = marker; }", f"{tag}{self.chunks - 1}")
        _send(page, PROMPT)
        page.wait_for_function("() => window.__bench.done !== null", timeout=WAIT_MS)
        elapsed = float(page.evaluate("() => window.__bench.done - window.__bench.enter"))
        page.wait_for_selector(IDLE)  # the run ends (Charla: stored) before the next round starts
        return elapsed / 1000


# --- (b) follow lag -------------------------------------------------------------------------------
def _stored_tokens(db_path: Path, after_id: int) -> int | None:
    """Tokens in the newest answer row created after ``after_id``; None before it exists."""
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)) as db:
        row = db.execute(
            "SELECT content FROM messages WHERE sender = 'llm' AND id > ? ORDER BY id DESC LIMIT 1",
            (after_id,),
        ).fetchone()
    return None if row is None else len(TOKEN.findall(row[0] or ""))


def _last_id(db_path: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)) as db:
        return int(db.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0])


class _Sampler(threading.Thread):
    """Reads the answer's stored length every ``DB_POLL`` s; keeps the first sample of each."""

    def __init__(self, db_path: Path, after_id: int) -> None:
        super().__init__(daemon=True)
        self.db_path = db_path
        self.after_id = after_id
        self.samples: list[tuple[float, int]] = []  # (time.time(), tokens stored), changes only
        self.reads = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                count = _stored_tokens(self.db_path, self.after_id)
            except sqlite3.OperationalError:  # a checkpoint or a lock: read again next time
                count = None
            now = time.time()
            self.reads += 1
            if count and (not self.samples or count != self.samples[-1][1]):
                self.samples.append((now, count))
            self._halt.wait(DB_POLL)

    def stop(self) -> list[tuple[float, int]]:
        self._halt.set()
        self.join(timeout=5)
        return self.samples


def _lags(stored: list[tuple[float, int]], shown: list[tuple[float, int]]) -> list[float]:
    """For each stored sample, the seconds until the page first showed at least as many tokens."""
    lags = []
    for when, count in stored:
        seen = [at for at, n in shown if n >= count]
        if not seen:
            raise RuntimeError(f"the page never showed the {count} tokens stored at {when:.3f}")
        lags.append(max(0.0, min(seen) - when))
    return lags


class _Follow:
    """One round: a fresh page, Enter, a paced answer; the lag of each stored length."""

    def __init__(self, context: Any, server: ReplayServer, db_path: Path, chunks: int) -> None:
        self.shown: list[tuple[float, int]] = []  # (Date.now() in s, tokens shown), changes only
        context.expose_function("__benchShown", lambda at, n: self.shown.append((at / 1000, n)))
        self.page = _observe(context, follow=True)
        self.server = server
        self.db_path = db_path
        self.chunks = chunks

    def _wait(self, done: Any, what: str) -> None:
        deadline = time.monotonic() + WAIT_MS / 1000
        while not done():
            if time.monotonic() > deadline:
                raise RuntimeError(f"gave up waiting for {what}")
            self.page.wait_for_timeout(50)  # also lets Playwright deliver the page's reports

    def measure(self, url: str, pace: float) -> list[float]:
        from tests.e2e.helpers import IDLE

        chunks, page = self.chunks, self.page
        self.server.body = build_stream(chunks, lambda i: f"w{i} ")
        self.server.pace = pace
        try:
            _open(page, url)
            sampler = _Sampler(self.db_path, _last_id(self.db_path))
            self.shown.clear()
            sampler.start()
            try:
                _send(page, PROMPT)
                self._wait(
                    lambda: sampler.samples and sampler.samples[-1][1] >= chunks,
                    "the whole answer to be stored",
                )
                self._wait(
                    lambda: self.shown and max(n for _, n in self.shown) >= chunks,
                    "the page to show the whole answer",
                )
            finally:
                stored = sampler.stop()
            page.wait_for_selector(IDLE)  # the run ends before the next round starts
        finally:
            self.server.pace = 0.0
        return _lags(stored, list(self.shown))


# --- the suite ------------------------------------------------------------------------------------
def run(quick: bool = False) -> list[Metric]:
    from playwright.sync_api import sync_playwright

    from devtools.servers import ServiceUnavailable, StreamlitServer

    if not os.path.exists(CHROMIUM):
        raise ServiceUnavailable(f"{CHROMIUM} is missing (Debian package 'chromium')")
    chunks = 4_000  # also with --quick: the target is about this size
    rounds = 3 if quick else 9
    slow_chunks, pace = (100, 0.03) if quick else (200, 0.03)
    follow_rounds = 1 if quick else 2

    load_before = os.getloadavg()[0]
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(ReplayServer(build_stream(1)))
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="charla-bench-browser-")))
        db_path = tmp / "charla.db"
        common = {"LM_STUDIO_URL": server.url, "LM_STUDIO_MODEL": "bench"}
        charla_env = {
            **common,
            "DATABASE_URL": f"sqlite:///{db_path}",
            "APP_LANGUAGE": "en",
            "CHARLA_PASSWORD": "",
            "LM_STUDIO_API_KEY": "",
        }
        charla = stack.enter_context(StreamlitServer(env=charla_env).start())
        plain = stack.enter_context(StreamlitServer("bench/plain_chat_app.py", env=common).start())
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        context = browser.new_context(viewport={"width": 1280, "height": 900})

        burst = _Burst(_observe(context, follow=False), server, chunks)
        runs: dict[str, Callable[[], float]] = {
            "charla": lambda: burst.measure(charla.url),
            "plain": lambda: burst.measure(plain.url),
        }
        for measure in runs.values():  # warm-up: imports, migrations, caches, the browser's too
            measure()
        times = interleaved(runs, rounds)

        follow_context = browser.new_context(viewport={"width": 1280, "height": 900})
        follow = _Follow(follow_context, server, db_path, slow_chunks)
        lags: list[float] = []
        for _ in range(follow_rounds):
            lags += follow.measure(charla.url, pace)

    charla_s, plain_s = median(times["charla"]), median(times["plain"])
    charla_range = f"{min(times['charla']):.2f}–{max(times['charla']):.2f}"
    plain_range = f"{min(times['plain']):.2f}–{max(times['plain']):.2f}"
    load = f"{load_before:.1f} → {os.getloadavg()[0]:.1f}"
    spread = f"{rounds} rounds: Charla {charla_range} s, plain {plain_range} s; load {load}"
    group = f"5 browser: burst ({chunks:,} chunks)"
    follow_group = f"5 browser: follow lag ({slow_chunks} chunks over {slow_chunks * pace:.1f} s)"
    follow_note = f"{len(lags)} database saves seen in {follow_rounds} round(s), read every 50 ms"
    return [
        Metric(
            group,
            "Charla: Enter → whole answer visible",
            charla_s,
            "s",
            target="< 1.0",
            note=spread,
        ),
        Metric(group, "plain st.write_stream: Enter → whole answer visible", plain_s, "s"),
        Metric(
            group,
            "speed-up: plain time ÷ Charla time",
            plain_s,
            "s",
            charla_s,
            "Charla",
            ">= 2",
        ),
        Metric(
            follow_group,
            "page behind database: max",
            max(lags),
            "s",
            target="<= 0.5",
            note=follow_note,
        ),
        Metric(follow_group, "page behind database: p95", percentile(lags, 95), "s"),
    ]
