"""The Insights page (``pages/insights.py``) run headless with AppTest on a temporary database.

The numbers themselves are checked against the rows in ``tests/test_insights.py``; here: an empty
history explains itself and draws nothing, a history draws the key figures, the six charts with
their readings, the table and its download, the filters narrow the figures, and the page speaks
Spanish. Clicking a chart is a browser event (``tests/e2e/test_browser_insights.py``).
"""

from __future__ import annotations

import io
import threading
import time
from datetime import date
from typing import Any

import pandas as pd
import pytest

from core.conf.db import session_scope
from core.repositories.messages import MessageRepository
from core.services import insights
from tests.insights_rows import MODELS, fill
from tests.ui.conftest import reset_process_state, texts
from ui import insights_view

CHARTS = 6


@pytest.fixture(autouse=True)
def _fresh() -> None:
    insights.forget()


def metrics(at: Any) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def charts(at: Any) -> list[Any]:
    return list(at.get("vega_lite_chart"))


def test_an_empty_history_is_explained_not_drawn(app_db: None, page: Any) -> None:
    at = page("insights").run()
    assert not at.exception
    assert "there are none" in at.info[0].value
    assert not charts(at) and not at.metric and not at.dataframe
    assert [link.proto.label for link in at.get("page_link")] == ["Start a chat", "Compare models"]


def test_a_history_gets_figures_six_charts_with_readings_a_table_and_a_download(
    app_db: None, page: Any
) -> None:
    rows = fill()
    at = page("insights").run()
    assert not at.exception
    shown = metrics(at)
    assert shown["Answers"] == f"{len(rows):,}"
    assert shown["Chats"] == f"{len({r.chat_id for r in rows}):,}"
    assert shown["Errors"] == str(sum(r.outcome == "error" for r in rows))
    assert shown["Stopped"] == str(sum(r.outcome == "stopped" for r in rows))
    assert shown["Tokens out"] == f"{sum(r.completion_tokens or 0 for r in rows):,}"
    assert shown["Median speed"].endswith("tok/s") and shown["Database size"].endswith("KB")
    assert len(charts(at)) == CHARTS
    readings = [c.value for c in at.caption]
    for start in (
        f"{len(rows)} answers on",
        "Each point is an answer",
        "of the answers ended normally",
    ):
        assert any(r.startswith(start) or start in r for r in readings), start
    table = at.dataframe[0].value
    assert sorted(table["Model"]) == sorted([*MODELS, "(unknown model)"])
    assert table["Answers"].sum() == len(rows)
    assert [b.label for b in at.download_button] == ["Download CSV"]
    assert "Click a bar or a point" in texts(at)


def test_the_filters_narrow_every_figure(app_db: None, page: Any) -> None:
    rows = fill()
    at = page("insights").run()
    at.multiselect(key="ins.models").set_value(["beta-3b"]).run()
    assert not at.exception
    assert metrics(at)["Answers"] == str(sum(r.model == "beta-3b" for r in rows))
    assert at.dataframe[0].value["Model"].tolist() == ["beta-3b"]
    at.date_input(key="ins.dates").set_value((date(2020, 1, 1), date(2020, 1, 2))).run()
    assert "No answer matches these filters" in at.info[0].value
    assert not charts(at)


def test_the_table_downloads_as_csv_safe_for_spreadsheets(app_db: None) -> None:
    frame = pd.DataFrame({"Model": ["=HYPERLINK(1)", "qwen"], "Answers": [3, 4]})
    data = insights_view.table_csv(frame)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)
    assert back["Model"].tolist() == ["'=HYPERLINK(1)", "qwen"]
    assert back["Answers"].tolist() == ["3", "4"]


def test_spanish_insights_page(app_db: None, page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_LANGUAGE", "es")
    reset_process_state()
    fill(20)
    at = page("insights").run()
    assert not at.exception
    assert at.title[0].value == "Cómo rinden tus modelos"
    assert {"Respuestas", "Errores", "Tamaño de la base de datos"} <= set(metrics(at))
    assert [b.label for b in at.download_button] == ["Descargar CSV"]
    assert "Respuestas por día" in [s.value for s in at.subheader]
    assert "Answers per day" not in texts(at)


def test_insights_and_compare_are_pages_of_the_navigation_in_english_and_spanish() -> None:
    from core.i18n import t
    from ui import frame

    # The browser test sees them in the English sidebar (tests/e2e/test_browser_insights.py).
    for lang, names in (("en", ["Compare", "Insights"]), ("es", ["Comparar", "Estadísticas"])):
        titles = [t(frame.FILE_PAGES[page][0], lang) for page in ("compare", "insights")]
        assert titles == names


def test_after_a_new_answer_the_figures_from_before_show_at_once_until_the_new_ones_are_in(
    app_db: None, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = fill(20)
    at = page("insights").run()
    assert metrics(at)["Answers"] == str(len(rows))
    computing = insights._compute
    release = threading.Event()

    def slow(flt: insights.InsightsFilter) -> insights.Overview:
        assert release.wait(30), "the test never let the update finish"
        return computing(flt)

    monkeypatch.setattr(insights, "_compute", slow)  # the update waits for the test
    with session_scope(write=True) as db:
        MessageRepository(db).create_message(1, "llm", "one more", model=MODELS[0])
    at.run()
    assert not at.exception
    assert metrics(at)["Answers"] == str(len(rows))  # at once, the figures from before
    assert any("Updating with the latest answers" in c.value for c in at.caption)
    shown = at.session_state["ins.view"]  # the filter the page drew: its update is awaited
    assert not insights.updated(shown)
    release.set()
    deadline = time.monotonic() + 30
    while not insights.updated(shown):
        assert time.monotonic() < deadline, "the update never ended"
        time.sleep(0.02)
    at.run()
    assert metrics(at)["Answers"] == str(len(rows) + 1)
    assert not any("Updating" in c.value for c in at.caption)


def test_the_first_answers_after_an_empty_history_replace_the_explanation(
    app_db: None, page: Any
) -> None:
    at = page("insights").run()
    assert "there are none" in at.info[0].value
    rows = fill(20)
    deadline = time.monotonic() + 30
    while at.run().info:  # the explanation from before, until the figures are computed
        assert "there are none" in at.info[0].value
        assert time.monotonic() < deadline, "the figures never came"
        time.sleep(0.05)
    assert metrics(at)["Answers"] == str(len(rows))
