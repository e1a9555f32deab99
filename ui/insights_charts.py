"""The Insights page's six charts: Altair specs over the small frames of an
:class:`~core.services.insights.Overview`, each with a one-line reading of what it shows.

Each builder returns ``(chart, reading)``; pandas only shapes the few hundred aggregated rows the
database returned. Every chart has a point selection named :data:`PICK` over fields that say what
was clicked (a day key, a model, an outcome, an answer id): :mod:`ui.insights_view` turns the
latest click into a :class:`~core.services.insights.Narrow` and lists the answers behind it.

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

import altair as alt
import pandas as pd

from core.i18n import t
from core.services.insights import ERROR, OUTCOMES, UNKNOWN_MODEL, Overview

PICK: Final = "pick"  # the selection parameter of every chart
HEIGHT: Final = 260
OUTCOME_COLORS: Final = {"complete": "#4c9a5f", "length": "#e0a030", "stopped": "#9a9a9a",
                         "error": "#d1495b"}  # fmt: skip

Chart = Any  # an Altair chart (the stubs type every kind differently)


def model_label(model: str, lang: str) -> str:
    return model if model != UNKNOWN_MODEL else t("insights.unknown_model", lang)


def number(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def _models(view: Overview, lang: str) -> list[str]:
    return [model_label(m.model, lang) for m in view.models]


def _model_color(view: Overview, lang: str, title: str) -> Any:
    return alt.Color("model_label:N", title=title, scale=alt.Scale(domain=_models(view, lang)))


def _picked(pick: Any) -> Any:
    return alt.condition(pick, alt.value(1.0), alt.value(0.35))


def activity(view: Overview, lang: str) -> tuple[Chart, str]:
    """Answers per day, stacked by model."""
    frame = pd.DataFrame(
        [(d.day.isoformat(), d.model, model_label(d.model, lang), d.answers) for d in view.days],
        columns=["day", "model", "model_label", "answers"],
    )
    pick = alt.selection_point(name=PICK, fields=["day", "model"])
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("yearmonthdate(day):T", title=t("insights.axis_day", lang)),
            y=alt.Y("answers:Q", title=t("insights.axis_answers", lang), stack=True),
            color=_model_color(view, lang, t("insights.axis_model", lang)),
            opacity=_picked(pick),
            tooltip=[
                alt.Tooltip("day:N", title=t("insights.axis_day", lang)),
                alt.Tooltip("model_label:N", title=t("insights.axis_model", lang)),
                alt.Tooltip("answers:Q", title=t("insights.axis_answers", lang)),
            ],
        )
        .add_params(pick)
        .properties(height=HEIGHT)
    )
    per_day = frame.groupby("day")["answers"].sum()
    reading = t(
        "insights.read_activity",
        lang,
        answers=int(per_day.sum()),
        days=len(per_day),
        day=str(per_day.idxmax()),
        count=int(per_day.max()),
    )
    return chart, reading


def speed(view: Overview, lang: str) -> tuple[Chart, str] | None:
    """Tokens per second per model: the middle half as a box, 5th to 95th percentile as a line,
    the median marked and labelled."""
    rows = [
        (m.model, model_label(m.model, lang), *(m.speed[p] for p in (0.05, 0.25, 0.5, 0.75, 0.95)))
        for m in view.models
        if m.speed is not None
    ]
    if not rows:
        return None
    frame = pd.DataFrame(rows, columns=["model", "model_label", "p5", "p25", "p50", "p75", "p95"])
    frame["median"] = frame["p50"].map(number)
    pick = alt.selection_point(name=PICK, fields=["model"])
    x = alt.X("model_label:N", title=t("insights.axis_model", lang), sort=_models(view, lang))
    axis = t("insights.axis_speed", lang)
    base = alt.Chart(frame).encode(x=x)
    whiskers = base.mark_rule().encode(y=alt.Y("p5:Q", title=axis), y2="p95:Q")
    box = (
        base.mark_bar(size=36)
        .encode(
            y="p25:Q",
            y2="p75:Q",
            color=alt.Color(
                "model_label:N", legend=None, scale=alt.Scale(domain=_models(view, lang))
            ),
            opacity=_picked(pick),
            tooltip=[alt.Tooltip(c, format=",.1f") for c in ("p5", "p25", "p50", "p75", "p95")],
        )
        .add_params(pick)
    )
    median = base.mark_tick(color="black", size=36, thickness=2).encode(y="p50:Q")
    label = base.mark_text(dx=26, align="left").encode(y="p50:Q", text="median:N")
    chart = alt.layer(whiskers, box, median, label).properties(height=HEIGHT)
    ordered = frame.sort_values("p50")
    fast, slow = ordered.iloc[-1], ordered.iloc[0]
    if len(frame) == 1:
        reading = t(
            "insights.read_speed_one",
            lang,
            model=fast.model_label,
            value=number(fast.p50),
            low=number(fast.p25),
            high=number(fast.p75),
        )
    else:
        reading = t(
            "insights.read_speed",
            lang,
            fast=fast.model_label,
            fast_value=number(fast.p50),
            slow=slow.model_label,
            slow_value=number(slow.p50),
        )
    return chart, reading


def first_token(view: Overview, lang: str) -> tuple[Chart, str] | None:
    """Time to first token per model: the median and the 95th percentile side by side."""
    rows = [
        (m.model, model_label(m.model, lang), name, m.ttft[p])
        for m in view.models
        if m.ttft is not None
        for name, p in (("p50", 0.5), ("p95", 0.95))
    ]
    if not rows:
        return None
    frame = pd.DataFrame(rows, columns=["model", "model_label", "percentile", "seconds"])
    pick = alt.selection_point(name=PICK, fields=["model"])
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(
                "model_label:N", title=t("insights.axis_model", lang), sort=_models(view, lang)
            ),
            xOffset="percentile:N",
            y=alt.Y("seconds:Q", title=t("insights.axis_ttft", lang)),
            color=alt.Color("percentile:N", title=t("insights.axis_percentile", lang)),
            opacity=_picked(pick),
            tooltip=["model_label:N", "percentile:N", alt.Tooltip("seconds:Q", format=",.2f")],
        )
        .add_params(pick)
        .properties(height=HEIGHT)
    )
    medians = frame[frame.percentile == "p50"].set_index("model_label")["seconds"]
    best = str(medians.idxmin())
    p95 = frame[(frame.model_label == best) & (frame.percentile == "p95")]["seconds"].iloc[0]
    reading = t(
        "insights.read_ttft", lang, model=best, p50=number(medians[best], 2), p95=number(p95, 2)
    )
    return chart, reading


def tokens(view: Overview, lang: str) -> tuple[Chart, str]:
    """Tokens read (the prompts) and written (the answers) per day."""
    days: dict[str, list[int]] = {}
    for d in view.days:
        sums = days.setdefault(d.day.isoformat(), [0, 0])
        sums[0] += d.tokens_in
        sums[1] += d.tokens_out
    labels = (t("insights.direction_in", lang), t("insights.direction_out", lang))
    frame = pd.DataFrame(
        [(day, labels[i], sums[i]) for day, sums in days.items() for i in (0, 1)],
        columns=["day", "direction", "tokens"],
    )
    pick = alt.selection_point(name=PICK, fields=["day"])
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("yearmonthdate(day):T", title=t("insights.axis_day", lang)),
            y=alt.Y("tokens:Q", title=t("insights.axis_tokens", lang), stack=True),
            color=alt.Color("direction:N", title="", scale=alt.Scale(domain=list(labels))),
            opacity=_picked(pick),
            tooltip=["day:N", "direction:N", alt.Tooltip("tokens:Q", format=",")],
        )
        .add_params(pick)
        .properties(height=HEIGHT)
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


def outcomes(view: Overview, lang: str) -> tuple[Chart, str]:
    """How each model's answers ended: complete, cut at the limit, stopped, error."""
    names = {o: t(f"insights.outcome_{o}", lang) for o in OUTCOMES}
    frame = pd.DataFrame(
        [
            (m.model, model_label(m.model, lang), o, names[o], n)
            for m in view.models
            for o, n in m.outcomes.items()
            if n
        ],
        columns=["model", "model_label", "outcome", "outcome_label", "answers"],
    )
    pick = alt.selection_point(name=PICK, fields=["model", "outcome"])
    scale = alt.Scale(domain=[names[o] for o in OUTCOMES], range=list(OUTCOME_COLORS.values()))
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y(
                "model_label:N", title=t("insights.axis_model", lang), sort=_models(view, lang)
            ),
            x=alt.X("answers:Q", title=t("insights.axis_answers", lang), stack=True),
            color=alt.Color("outcome_label:N", title=t("insights.axis_outcome", lang), scale=scale),
            opacity=_picked(pick),
            tooltip=["model_label:N", "outcome_label:N", "answers:Q"],
        )
        .add_params(pick)
        .properties(height=max(120, 48 * len(view.models)))
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


def context(view: Overview, lang: str) -> tuple[Chart, str] | None:
    """Prompt size against time to first token, one point per answer, coloured by model."""
    if not view.points:
        return None
    frame = pd.DataFrame(
        [
            (p.id, p.chat_title, p.model or UNKNOWN_MODEL, p.prompt_tokens, p.time_to_first_token)
            for p in view.points
        ],
        columns=["id", "chat", "model", "prompt", "ttft"],
    )
    frame["model_label"] = frame["model"].map(lambda m: model_label(m, lang))
    pick = alt.selection_point(name=PICK, fields=["id"])
    chart = (
        alt.Chart(frame)
        .mark_circle(size=42)
        .encode(
            x=alt.X("prompt:Q", title=t("insights.axis_prompt", lang)),
            y=alt.Y("ttft:Q", title=t("insights.axis_ttft", lang)),
            color=_model_color(view, lang, t("insights.axis_model", lang)),
            opacity=_picked(pick),
            tooltip=[
                alt.Tooltip("chat:N", title=t("insights.tooltip_chat", lang)),
                "model_label:N",
                alt.Tooltip("prompt:Q", format=","),
                alt.Tooltip("ttft:Q", format=",.2f"),
            ],
        )
        .add_params(pick)
        .properties(height=HEIGHT)
    )
    shown, total = len(frame), view.points_total
    slowest = _slowdown(frame)
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
    """Every chart of ``view`` in ``lang``, built once per overview: building the frames and
    Altair's validated specs costs about as much as the rest of the page, and an overview is
    reused (:func:`core.services.insights.overview`) until the history changes."""
    key = (id(view), view.computed_at, lang)
    with _built_lock:
        found = _built.get(key)
    if found is not None:
        return found
    made = []
    for name, title, builder in BUILDERS:
        result = builder(view, lang)
        if result is not None:
            made.append(Built(name, title, result[0].to_dict(), result[1]))
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
