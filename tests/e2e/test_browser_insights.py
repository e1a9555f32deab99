"""Insights in a real browser: the six Vega charts are drawn, each with as many marks as the rows
the test inserted call for, in the browser's own days; clicking a bar lists the answers behind it,
each a link to its chat.

The browser runs in Pacific/Auckland (+13:00 then +12:00, summer time ending inside the rows'
fortnight), so most answers fall on a different day there than in UTC: the number of day bars is
only right when the page used the browser's zone. Streamlit draws charts of up to a few thousand
marks with Vega's SVG renderer, where each mark is an element with an ``aria-roledescription``
(``bar``, ``circle``, ``tick``) and an ``aria-label`` made of its tooltip: that is what is counted.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from core.conf import db as conf_db
from tests.conftest import NOTHING_LISTENS_URL
from tests.e2e.helpers import IDLE, WAIT_MS, new_tab
from tests.insights_rows import MODELS, ZONE, Row, fill, local_day

LISTED = 20  # ui.insights_view.LISTED: answers listed for a click


def _fill(db_path: Path) -> list[Row]:
    conf_db.configure(f"sqlite:///{db_path}")
    try:
        conf_db.init_db()
        return fill()
    finally:
        conf_db.reset()


def _marks(tab: Any, chart: str) -> Counter[str]:
    """The drawn marks of one chart, by kind."""
    kinds = tab.evaluate(
        """sel => Array.from(document.querySelectorAll(sel + ' svg.marks [aria-roledescription]'))
                 .map(e => e.getAttribute('aria-roledescription'))""",
        f'[class*="st-key-ins-chart-{chart}-"]',
    )
    return Counter(kinds)


def _key(row: Row) -> str:
    return row.model or ""


@pytest.mark.browser
def test_the_six_charts_are_drawn_with_a_mark_per_row_and_a_bar_lists_its_answers(
    browser: Any, start_app: Any, db_path: Path
) -> None:
    rows = _fill(db_path)
    app = start_app(NOTHING_LISTENS_URL)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id=ZONE.key)
    try:
        tab = new_tab(context)
        tab.goto(f"{app.url}/insights")
        tab.wait_for_selector(IDLE, timeout=WAIT_MS)
        nav = tab.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Insights" in nav and "Compare" in nav  # pages of the navigation
        for chart in ("activity", "speed", "ttft", "tokens", "outcomes", "context"):
            tab.wait_for_selector(f'[class*="st-key-ins-chart-{chart}-"] svg.marks')

        measured = [r for r in rows if r.tps is not None]
        models = {_key(r) for r in rows}
        assert _marks(tab, "activity")["bar"] == len({(local_day(r), _key(r)) for r in rows})
        speed = _marks(tab, "speed")  # a box, a median tick and a label per model
        assert speed["bar"] == speed["tick"] == len({_key(r) for r in measured}) == len(models)
        assert _marks(tab, "ttft")["bar"] == 2 * len({_key(r) for r in measured})  # p50, p95
        assert _marks(tab, "tokens")["bar"] == 2 * len({local_day(r) for r in rows})  # in, out
        assert _marks(tab, "outcomes")["bar"] == len({(_key(r), r.outcome) for r in rows})
        scatter = [r for r in rows if r.prompt_tokens is not None and r.ttft is not None]
        assert _marks(tab, "context")["circle"] == len(scatter)

        # Click the bar of one model's errors: the answers behind it are listed, with links.
        bars = tab.locator(
            '[class*="st-key-ins-chart-outcomes-"] svg.marks [aria-roledescription="bar"]'
        )
        labels = [bars.nth(i).get_attribute("aria-label") or "" for i in range(bars.count())]
        at, model = next(
            (i, m) for i, text in enumerate(labels) if "error" in text for m in MODELS if m in text
        )
        bars.nth(at).click()
        listed = tab.locator('[class*="st-key-ins-picked"] a')
        listed.first.wait_for(timeout=WAIT_MS)
        behind = [r for r in rows if r.model == model and r.outcome == "error"]
        assert listed.count() == min(LISTED, len(behind))
        body = tab.locator("body").inner_text()
        assert re.search(rf"{re.escape(model)} · error: {len(behind)} answers?", body)
        chat_ids = {r.chat_id for r in behind}
        hrefs = [listed.nth(i).get_attribute("href") or "" for i in range(listed.count())]
        assert all(int(h.rsplit("chat=", 1)[1]) in chat_ids for h in hrefs)
    finally:
        context.close()
