"""The Insights charts' Vega-Lite specs, checked once against the Vega-Lite schema that Altair ships
(the one Streamlit's charts follow): the page writes them as plain dicts and hands them to
``st.vega_lite_chart`` without validating them on every run (``ui.insights_charts`` says why), so
this is where a wrong key or type would show. Histories of every shape the builders branch on:
several models with one unknown, a single model, answers without any speed or first token (every
one an error), and both languages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import jsonschema
import pytest
from altair import SCHEMA_URL
from altair.vegalite import load_schema

from core.repositories.insights import AnswerRow
from core.services.insights import UNKNOWN_MODEL, DayRow, ModelStats, Overview, Quantiles
from ui import insights_charts as charts

NOW = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = load_schema()
    assert schema["$ref"] == "#/definitions/TopLevelSpec"  # the whole spec, not a part of one
    return jsonschema.validators.validator_for(schema)(schema)


def _model(name: str, measured: bool, answers: int = 40) -> ModelStats:
    speed = Quantiles({0.05: 10.0, 0.25: 20.0, 0.5: 25.5, 0.75: 30.0, 0.95: 41.0})
    ttft = Quantiles({0.5: 0.4, 0.95: 1.25})
    outcomes = {"complete": answers - 6, "length": 2, "stopped": 1, "error": 3} if measured else {
        "complete": 0, "length": 0, "stopped": 0, "error": answers}  # fmt: skip
    return ModelStats(name, answers, outcomes, 900, 1_800, NOW, speed if measured else None,
                      ttft if measured else None, 120.0 if measured else None)  # fmt: skip


def _overview(models: list[tuple[str, bool]]) -> Overview:
    days = tuple(
        DayRow(date(2026, 3, 30) + timedelta(days=d), name, 3 + d, 100 * d, 50 * d)
        for d in range(6)
        for name, _ in models
    )
    points = tuple(
        AnswerRow(i, i // 3, f"chat {i // 3}", NOW - timedelta(minutes=i), name or None,
                  "complete", 200 + 37 * i, 80, 0.1 + 0.01 * i, 30.0)
        for i, (name, measured) in enumerate(models * 12)
        if measured
    )  # fmt: skip
    stats = tuple(_model(name, measured) for name, measured in models)
    return Overview(history=True, chats=5, questions=20, answers=sum(m.answers for m in stats),
                    tokens_in=900 * len(stats), tokens_out=1_800 * len(stats), days=days,
                    models=stats, points=points, points_total=len(points) + 5)  # fmt: skip


SHAPES = {
    "several models, one unknown": [
        ("qwen3-8b", True),
        ("gemma-3-4b", True),
        (UNKNOWN_MODEL, True),
    ],
    "one model": [("qwen3-8b", True)],
    "nothing measured (errors only)": [("qwen3-8b", False), ("gemma-3-4b", False)],
    "some measured": [("qwen3-8b", True), ("gemma-3-4b", False)],
}


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_chart_spec_is_valid_vega_lite(validator: Any, shape: str, lang: str) -> None:
    view = _overview(SHAPES[shape])
    built = {b.name: b for b in charts.build_all(view, lang)}
    measured = any(measured for _, measured in SHAPES[shape])
    expected = {"activity", "tokens", "outcomes"} | (
        {"speed", "ttft", "context"} if measured else set()
    )
    assert set(built) == expected
    for name, chart in built.items():
        validator.validate(chart.spec)  # raises with the path of what is wrong
        assert chart.spec["$schema"] == SCHEMA_URL
        assert [p["name"] for p in chart.spec["params"]] == [charts.PICK], name  # clicks
        assert chart.spec["data"]["values"], name
        assert chart.reading, name


def test_the_schema_check_refuses_a_wrong_spec(validator: Any) -> None:
    """The check can fail: a mistyped channel property or mark is refused."""
    spec = charts.build_all(_overview(SHAPES["one model"]), "en")[0].spec
    for wrong in (
        {**spec, "mark": {"type": "barr"}},
        {**spec, "encoding": {**spec["encoding"], "x": {"field": "day", "type": "temporl"}}},
        {**spec, "height": "tall"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(wrong)
