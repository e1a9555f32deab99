"""The Insights page's six charts: Vega-Lite specs over the small rows of an
:class:`~core.services.insights.Overview`, each with a one-line reading of what it shows.

Each builder returns ``(spec, reading)``: the spec is written as the dict Streamlit's
``st.vega_lite_chart`` takes (Vega-Lite, the grammar Altair writes too), its data inline. Building
them through Altair objects and ``to_dict`` cost more than every query of the page together
(about 140 ms of a first view at a million messages: Altair infers and validates each encoding
against the schema on every build); the dicts cost a few milliseconds. What Altair's validation
guarded is checked once by the tests instead: every builder's spec, for histories of every shape,
against the Vega-Lite schema Altair ships (tests/ui/test_insights_specs.py).

Every chart has a point selection named :data:`PICK` over fields that say what was clicked (a day
key, a model, an outcome, an answer id): :mod:`ui.insights_view` turns the latest click into a
:class:`~core.services.insights.Narrow` and lists the answers behind it.

Models keep one colour in every chart (one scale, one domain). With 2,000 marks or fewer
Streamlit draws Vega charts as SVG: each bar and point is an element with an accessible label,
which is also how the browser test counts them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import pandas as pd
from altair import SCHEMA_URL

from core.i18n import t
from core.services.insights import ERROR, OUTCOMES, SPEED_PS, UNKNOWN_MODEL, Overview

PICK: Final = "pick"  # the selection parameter of every chart
HEIGHT: Final = 260
OUTCOME_COLORS: Final = {"complete": "#4c9a5f", "length": "#e0a030", "stopped": "#9a9a9a",
                         "error": "#d1495b"}  # fmt: skip

Spec = dict[str, Any]  # a Vega-Lite spec, or a part of one
# Marks of what the latest click picked stay opaque; the others dim.
PICKED: Final = {"condition": {"param": PICK, "value": 1.0}, "value": 0.35}
PICKED_VIEW: Final = "picked"  # the layer holding the selection in a layered chart
CONFIG: Final = {"view": {"continuousWidth": 300, "continuousHeight": 300}}  # Altair's default


def model_label(model: str, lang: str) -> str:
    return model if model != UNKNOWN_MODEL else t("insights.unknown_model", lang)


def number(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def _models(view: Overview, lang: str) -> list[str]:
    return [model_label(m.model, lang) for m in view.models]


def _q(name: str, **more: Any) -> Spec:
    return {"field": name, "type": "quantitative", **more}


def _n(name: str, **more: Any) -> Spec:
    return {"field": name, "type": "nominal", **more}


def _day(lang: str) -> Spec:
    return {"field": "day", "type": "temporal", "timeUnit": "yearmonthdate",
            "title": t("insights.axis_day", lang)}  # fmt: skip


def _model_color(view: Overview, lang: str, **more: Any) -> Spec:
    return _n("model_label", scale={"domain": _models(view, lang)}, **more)


def _chart(rows: list[Spec], picks: list[str], height: int = HEIGHT, **spec: Any) -> Spec:
    """A chart of ``rows`` (inline data) whose marks dim unless picked by the selection
    :data:`PICK` over ``picks``. A single view carries its ``encoding`` (opacity added); a
    ``layer`` names the view that holds the selection (:data:`PICKED_VIEW`)."""
    pick: Spec = {"name": PICK, "select": {"type": "point", "fields": picks}}
    if "layer" in spec:
        pick["views"] = [PICKED_VIEW]
    else:
        spec["encoding"] = {**spec["encoding"], "opacity": PICKED}
    return {"$schema": SCHEMA_URL, "config": CONFIG, "data": {"values": rows}, **spec,
            "height": height, "params": [pick]}  # fmt: skip


def activity(view: Overview, lang: str) -> tuple[Spec, str]:
    """Answers per day, stacked by model."""
    rows: list[Spec] = [
        {"day": d.day.isoformat(), "model": d.model, "model_label": model_label(d.model, lang),
         "answers": d.answers}
        for d in view.days
    ]  # fmt: skip
    model, answers = t("insights.axis_model", lang), t("insights.axis_answers", lang)
    chart = _chart(
        rows,
        ["day", "model"],
        mark={"type": "bar"},
        encoding={
            "x": _day(lang),
            "y": _q("answers", title=answers, stack=True),
            "color": _model_color(view, lang, title=model),
            "tooltip": [_n("day", title=t("insights.axis_day", lang)),
                        _n("model_label", title=model), _q("answers", title=answers)],
        },
    )  # fmt: skip
    per_day: dict[str, int] = {}
    for row in rows:
        per_day[row["day"]] = per_day.get(row["day"], 0) + row["answers"]
    busiest = max(sorted(per_day), key=per_day.__getitem__)  # the first of equals
    reading = t(
        "insights.read_activity",
        lang,
        answers=sum(per_day.values()),
        days=len(per_day),
        day=busiest,
        count=per_day[busiest],
    )
    return chart, reading


def speed(view: Overview, lang: str) -> tuple[Spec, str] | None:
    """Tokens per second per model: the middle half as a box, 5th to 95th percentile as a line,
    the median marked and labelled."""
    names = ("p5", "p25", "p50", "p75", "p95")
    rows: list[Spec] = [
        {"model": m.model, "model_label": model_label(m.model, lang),
         **{name: m.speed[p] for name, p in zip(names, SPEED_PS, strict=True)},
         "median": number(m.speed[0.5])}
        for m in view.models
        if m.speed is not None
    ]  # fmt: skip
    if not rows:
        return None
    x = _n("model_label", title=t("insights.axis_model", lang), sort=_models(view, lang))
    box = {
        "name": PICKED_VIEW,
        "mark": {"type": "bar", "size": 36},
        "encoding": {"x": x, "y": _q("p25"), "y2": {"field": "p75"},
                     "color": _model_color(view, lang, legend=None), "opacity": PICKED,
                     "tooltip": [_q(name, format=",.1f") for name in names]},
    }  # fmt: skip
    chart = _chart(rows, ["model"], layer=[
        {"mark": {"type": "rule"}, "encoding": {
            "x": x, "y": _q("p5", title=t("insights.axis_speed", lang)), "y2": {"field": "p95"}}},
        box,
        {"mark": {"type": "tick", "color": "black", "size": 36, "thickness": 2},
         "encoding": {"x": x, "y": _q("p50")}},
        {"mark": {"type": "text", "align": "left", "dx": 26},
         "encoding": {"x": x, "y": _q("p50"), "text": _n("median")}},
    ])  # fmt: skip
    slow = min(rows, key=lambda r: r["p50"])
    fast = max(rows, key=lambda r: r["p50"])
    if len(rows) == 1:
        reading = t(
            "insights.read_speed_one",
            lang,
            model=fast["model_label"],
            value=number(fast["p50"]),
            low=number(fast["p25"]),
            high=number(fast["p75"]),
        )
    else:
        reading = t(
            "insights.read_speed",
            lang,
            fast=fast["model_label"],
            fast_value=number(fast["p50"]),
            slow=slow["model_label"],
            slow_value=number(slow["p50"]),
        )
    return chart, reading


def first_token(view: Overview, lang: str) -> tuple[Spec, str] | None:
    """Time to first token per model: the median and the 95th percentile side by side."""
    rows: list[Spec] = [
        {"model": m.model, "model_label": model_label(m.model, lang), "percentile": name,
         "seconds": m.ttft[p]}
        for m in view.models
        if m.ttft is not None
        for name, p in (("p50", 0.5), ("p95", 0.95))
    ]  # fmt: skip
    if not rows:
        return None
    chart = _chart(
        rows,
        ["model"],
        mark={"type": "bar"},
        encoding={
            "x": _n("model_label", title=t("insights.axis_model", lang), sort=_models(view, lang)),
            "xOffset": _n("percentile"),
            "y": _q("seconds", title=t("insights.axis_ttft", lang)),
            "color": _n("percentile", title=t("insights.axis_percentile", lang)),
            "tooltip": [_n("model_label"), _n("percentile"), _q("seconds", format=",.2f")],
        },
    )
    p50 = {r["model_label"]: r["seconds"] for r in rows if r["percentile"] == "p50"}
    p95 = {r["model_label"]: r["seconds"] for r in rows if r["percentile"] == "p95"}
    best = min(p50, key=lambda label: p50[label])
    reading = t(
        "insights.read_ttft", lang, model=best, p50=number(p50[best], 2), p95=number(p95[best], 2)
    )
    return chart, reading


def tokens(view: Overview, lang: str) -> tuple[Spec, str]:
    """Tokens read (the prompts) and written (the answers) per day."""
    days: dict[str, list[int]] = {}
    for d in view.days:
        sums = days.setdefault(d.day.isoformat(), [0, 0])
        sums[0] += d.tokens_in
        sums[1] += d.tokens_out
    labels = (t("insights.direction_in", lang), t("insights.direction_out", lang))
    rows: list[Spec] = [{"day": day, "direction": labels[i], "tokens": sums[i]}
            for day, sums in days.items() for i in (0, 1)]  # fmt: skip
    chart = _chart(
        rows,
        ["day"],
        mark={"type": "bar"},
        encoding={
            "x": _day(lang),
            "y": _q("tokens", title=t("insights.axis_tokens", lang), stack=True),
            "color": _n("direction", title="", scale={"domain": list(labels)}),
            "tooltip": [_n("day"), _n("direction"), _q("tokens", format=",")],
        },
    )
    ratio = view.tokens_in / view.tokens_out if view.tokens_out else 0.0
    reading = t(
        "insights.read_tokens",
        lang,
        tokens_in=view.tokens_in,
        tokens_out=view.tokens_out,
        ratio=number(ratio),
    )
    return chart, reading


def outcomes(view: Overview, lang: str) -> tuple[Spec, str]:
    """How each model's answers ended: complete, cut at the limit, stopped, error."""
    names = {o: t(f"insights.outcome_{o}", lang) for o in OUTCOMES}
    rows: list[Spec] = [
        {"model": m.model, "model_label": model_label(m.model, lang), "outcome": o,
         "outcome_label": names[o], "answers": n}
        for m in view.models
        for o, n in m.outcomes.items()
        if n
    ]  # fmt: skip
    scale = {"domain": [names[o] for o in OUTCOMES], "range": list(OUTCOME_COLORS.values())}
    chart = _chart(
        rows,
        ["model", "outcome"],
        max(120, 48 * len(view.models)),
        mark={"type": "bar"},
        encoding={
            "y": _n("model_label", title=t("insights.axis_model", lang), sort=_models(view, lang)),
            "x": _q("answers", title=t("insights.axis_answers", lang), stack=True),
            "color": _n("outcome_label", title=t("insights.axis_outcome", lang), scale=scale),
            "tooltip": [_n("model_label"), _n("outcome_label"), _q("answers")],
        },
    )
    share = f"{view.outcome_total('complete') / view.answers:.0%}"
    worst = max(view.models, key=lambda m: (m.error_rate, m.answers))
    if worst.error_rate:
        reading = t(
            "insights.read_outcomes",
            lang,
            share=share,
            model=model_label(worst.model, lang),
            rate=f"{worst.error_rate:.0%}",
        )
    else:
        reading = t("insights.read_outcomes_clean", lang, share=share)
    return chart, reading


def _slowdown(frame: pd.DataFrame) -> tuple[str, float] | None:
    """The model whose first token slows most from its shortest to its longest prompts (median
    of the bottom and top quarter of its answers by prompt size), if any has enough answers."""
    found: list[tuple[float, str]] = []
    for label, mine in frame.groupby("model_label"):
        if len(mine) < 8 or mine["prompt"].nunique() < 4:
            continue
        low, high = mine["prompt"].quantile([0.25, 0.75])
        short = mine[mine["prompt"] <= low]["ttft"].median()
        long = mine[mine["prompt"] >= high]["ttft"].median()
        if short > 0:
            found.append((float(long / short), str(label)))
    if not found:
        return None
    factor, label = max(found)
    return label, factor


def context(view: Overview, lang: str) -> tuple[Spec, str] | None:
    """Prompt size against time to first token, one point per answer, coloured by model."""
    if not view.points:
        return None
    rows: list[Spec] = [
        {"id": p.id, "chat": p.chat_title, "model": p.model or UNKNOWN_MODEL,
         "prompt": p.prompt_tokens, "ttft": p.time_to_first_token,
         "model_label": model_label(p.model or UNKNOWN_MODEL, lang)}
        for p in view.points
    ]  # fmt: skip
    chart = _chart(
        rows,
        ["id"],
        mark={"type": "circle", "size": 42},
        encoding={
            "x": _q("prompt", title=t("insights.axis_prompt", lang)),
            "y": _q("ttft", title=t("insights.axis_ttft", lang)),
            "color": _model_color(view, lang, title=t("insights.axis_model", lang)),
            "tooltip": [_n("chat", title=t("insights.tooltip_chat", lang)), _n("model_label"),
                        _q("prompt", format=","), _q("ttft", format=",.2f")],
        },
    )  # fmt: skip
    shown, total = len(rows), view.points_total
    slowest = _slowdown(pd.DataFrame(rows, columns=["model_label", "prompt", "ttft"]))
    if slowest is None:
        reading = t("insights.read_context_flat", lang, shown=shown, total=total)
    else:
        reading = t(
            "insights.read_context",
            lang,
            shown=shown,
            total=total,
            model=slowest[0],
            factor=number(slowest[1]),
        )
    return chart, reading


@dataclass(frozen=True)
class Built:
    """One chart ready to draw: its Vega-Lite spec (data inline) and its reading."""

    name: str
    title: str  # a text key
    spec: dict[str, Any]
    reading: str


_built: OrderedDict[tuple[int, datetime, str], list[Built]] = OrderedDict()
_built_lock = threading.Lock()
KEPT: Final = 8


def build_all(view: Overview, lang: str) -> list[Built]:
    """Every chart of ``view`` in ``lang``, built once per overview (it is reused,
    :func:`core.services.insights.overview`, until the history changes)."""
    key = (id(view), view.computed_at, lang)
    with _built_lock:
        found = _built.get(key)
    if found is not None:
        return found
    made = []
    for name, title, builder in BUILDERS:
        result = builder(view, lang)
        if result is not None:
            made.append(Built(name, title, result[0], result[1]))
    with _built_lock:
        _built[key] = made
        while len(_built) > KEPT:
            _built.popitem(last=False)
    return made


BUILDERS: Final = (
    ("activity", "insights.chart_activity", activity),
    ("speed", "insights.chart_speed", speed),
    ("ttft", "insights.chart_ttft", first_token),
    ("tokens", "insights.chart_tokens", tokens),
    ("outcomes", "insights.chart_outcomes", outcomes),
    ("context", "insights.chart_context", context),
)


def selection_fields(value: Any) -> list[dict[str, Any]]:
    """A point selection's picked values as dicts, whatever shape the frontend sent."""
    if isinstance(value, dict):
        value = value.get("value", [value]) if "value" in value else [value]
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [dict(item) for item in value if isinstance(item, dict)]
    return []


__all__ = [
    "BUILDERS",
    "ERROR",
    "PICK",
    "Built",
    "build_all",
    "model_label",
    "number",
    "selection_fields",
]
