"""The Insights page's pieces: filters, key figures, the charts, the per-model table, and the answers
behind a click.

**Filters** are read first and make one :class:`~core.services.insights.InsightsFilter` — days in the
browser's time zone (``st.context.timezone``, :func:`ui.chat_list.browser_zone`), models, tags —
that everything below uses.

**Clicks.** Every chart has a point selection (:data:`ui.insights_charts.PICK`). Each chart's
``on_select`` callback notes that *it* was clicked last (:data:`_LAST`), so the list below follows
the latest click, whichever chart it was in. Streamlit does not let a page clear a chart's
selection; the charts' keys carry a generation number instead (:data:`_GEN`), bumped by
"Clear the selection" and whenever the filter changes, which draws fresh charts with nothing
selected.

**Updates.** After the history changed, the page draws the figures from before at once, and its
last step (:func:`update_then_rerun`) has them computed anew in the background, charts included; a
fragment looks every second and reruns the page when they are in.
"""

from __future__ import annotations

import io
from datetime import date, datetime, tzinfo
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from core.i18n import t
from core.locales import number
from core.services import insights
from core.services.export import neutralise
from core.services.insights import InsightsFilter, Narrow, Overview
from ui import insights_charts as charts
from ui.chat_list import browser_zone
from ui.dates import in_zone
from ui.frame import page_of

LISTED = 20  # answers listed for a click
UPDATE_CHECK = 1.0  # seconds between looks at a background update of the figures
_GEN = "ins.gen"  # generation of the charts' keys
_LAST = "ins.last"  # the chart clicked last
_VIEW = "ins.view"  # the filter the charts were drawn for


# --- filters --------------------------------------------------------------------------------------
def _date_range(value: object) -> tuple[date | None, date | None]:
    days = [d for d in value if isinstance(d, date)] if isinstance(value, tuple | list) else []
    return (days[0], days[-1]) if days else (None, None)


def _zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone)


def filters(lang: str) -> InsightsFilter:
    """Draw the days, models and tags filters; return what they select."""
    options = insights.filter_options()
    zone = browser_zone()
    chosen_models = [m for m in st.session_state.get("ins.models", []) if m not in options.models]
    chosen_tags = [m for m in st.session_state.get("ins.tags", []) if m not in options.tags]
    days_col, models_col, tags_col = st.columns([4, 5, 3], vertical_alignment="bottom")
    dates = days_col.date_input(
        t("insights.dates", lang),
        value=(),  # type: ignore[arg-type]  # an empty range: every day (the stubs lack it)
        key="ins.dates",
        format="YYYY-MM-DD",
        help=t("insights.dates_help", lang, zone=_zone_name(zone)),
    )
    models = models_col.multiselect(
        t("insights.models", lang),
        [*options.models, *chosen_models],
        key="ins.models",
        format_func=lambda m: charts.model_label(m, lang),
        placeholder=t("insights.all_models", lang),
    )
    tags = tags_col.multiselect(
        t("insights.tags", lang),
        [*options.tags, *chosen_tags],
        key="ins.tags",
        placeholder=t("insights.all_tags" if options.tags else "insights.no_tags", lang),
        disabled=not (options.tags or chosen_tags),
    )
    first, last = _date_range(dates)
    return InsightsFilter(first, last, zone, tuple(models), tuple(tags))


def update_then_rerun(flt: InsightsFilter, lang: str) -> None:
    """Compute the figures of ``flt`` anew in the background, and their charts; rerun the page
    once they are in (checked every second, without running the page meanwhile). Called last:
    the page's own run is over when the computation starts."""
    insights.update(flt, prepare=lambda overview: charts.build_all(overview, lang))

    @st.fragment(run_every=UPDATE_CHECK)
    def wait() -> None:
        if insights.updated(flt):
            st.rerun(scope="app")

    wait()


# --- key figures ----------------------------------------------------------------------------------
def _size(value: int | None) -> str:
    if value is None:
        return "–"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} TB"  # pragma: no cover


def key_figures(view: Overview, lang: str) -> None:
    speed, ttft = view.median_speed, view.median_ttft
    speed_text = "–" if speed is None else t("insights.tok_s", lang, value=charts.number(speed))
    ttft_text = "–" if ttft is None else t("insights.seconds", lang, value=charts.number(ttft, 2))
    figures: list[tuple[str, str, str | None]] = [
        ("insights.chats", number(view.chats, lang), None),
        ("insights.messages", number(view.messages, lang), "insights.messages_help"),
        ("insights.answers", number(view.answers, lang), None),
        ("insights.tokens_in", number(view.tokens_in, lang), "insights.tokens_in_help"),
        ("insights.tokens_out", number(view.tokens_out, lang), None),
        ("insights.median_speed", speed_text, None),
        ("insights.median_ttft", ttft_text, "insights.ttft_help"),
        ("insights.errors", number(view.outcome_total(insights.ERROR), lang), None),
        ("insights.stopped", number(view.outcome_total(insights.STOPPED), lang), None),
        ("insights.database", _size(view.database_bytes), None),
    ]
    for row in (figures[:5], figures[5:]):
        for column, (label, value, help_key) in zip(st.columns(5), row, strict=True):
            column.metric(t(label, lang), value, help=t(help_key, lang) if help_key else None)


# --- charts ---------------------------------------------------------------------------------------
def _mark(name: str) -> None:
    st.session_state[_LAST] = name


def _generation(flt: InsightsFilter) -> int:
    """The charts' key generation: a new one (nothing selected) whenever the filter changes."""
    if st.session_state.get(_VIEW) != flt:
        st.session_state[_VIEW] = flt
        st.session_state[_GEN] = int(st.session_state.get(_GEN, 0)) + 1
        st.session_state.pop(_LAST, None)
    return int(st.session_state.get(_GEN, 0))


def chart_key(name: str, generation: int) -> str:
    return f"ins-chart-{name}-{generation}"


def draw_charts(view: Overview, flt: InsightsFilter, lang: str) -> Narrow:
    """Draw the six charts with their readings; return what the latest click picked."""
    generation = _generation(flt)
    for built in charts.build_all(view, lang):
        st.subheader(t(built.title, lang), anchor=False)
        st.vega_lite_chart(
            spec=built.spec,
            key=chart_key(built.name, generation),
            on_select=partial(_mark, built.name),
            selection_mode=charts.PICK,
            alt=t(built.title, lang),
        )
        st.caption(built.reading)
    return _narrow(generation)


def _narrow(generation: int) -> Narrow:
    last = st.session_state.get(_LAST)
    if last is None:
        return Narrow()
    state = st.session_state.get(chart_key(last, generation))
    selection = getattr(state, "selection", None) or {}
    picked = charts.selection_fields(selection.get(charts.PICK))
    if not picked:
        return Narrow()
    first = picked[0]
    day = first.get("day")
    answer = first.get("id")
    return Narrow(
        day=date.fromisoformat(str(day)[:10]) if day else None,
        model=str(first["model"]) if "model" in first else None,
        outcome=str(first["outcome"]) if first.get("outcome") else None,
        answer_id=int(answer) if answer is not None else None,
    )


def clear_selection() -> None:
    st.session_state[_GEN] = int(st.session_state.get(_GEN, 0)) + 1
    st.session_state.pop(_LAST, None)


# --- the per-model table --------------------------------------------------------------------------
def model_table(view: Overview, zone: tzinfo, lang: str) -> pd.DataFrame:
    """One row per model, with the columns named in ``lang``."""

    def q(values: Any, p: float) -> float | None:
        return None if values is None else float(values[p])

    rows = [
        {
            t("insights.col_model", lang): charts.model_label(m.model, lang),
            t("insights.col_answers", lang): m.answers,
            t("insights.col_speed", lang): q(m.speed, 0.5),
            t("insights.col_speed_p95", lang): q(m.speed, 0.95),
            t("insights.col_ttft", lang): q(m.ttft, 0.5),
            t("insights.col_ttft_p95", lang): q(m.ttft, 0.95),
            t("insights.col_length", lang): m.median_length,
            t("insights.col_errors", lang): m.error_rate,
            t("insights.col_last", lang): in_zone(m.last_used, zone).replace(tzinfo=None),
        }
        for m in view.models
    ]
    return pd.DataFrame(rows)


def table_csv(frame: pd.DataFrame) -> bytes:
    """The table as CSV for a spreadsheet: UTF-8 with a byte-order mark, model names that start
    like a formula made plain text (as the History export's safe mode does)."""
    safe = frame.copy()
    first = safe.columns[0]
    safe[first] = safe[first].map(neutralise)
    buffer = io.StringIO()
    safe.to_csv(buffer, index=False, lineterminator="\r\n", float_format="%.4g")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def show_table(view: Overview, zone: tzinfo, lang: str) -> None:
    st.subheader(t("insights.table", lang), anchor=False)
    frame = model_table(view, zone, lang)
    numeric = st.column_config.NumberColumn
    columns = list(frame.columns)
    st.dataframe(
        frame,
        hide_index=True,
        key="ins-table",
        column_config={
            columns[2]: numeric(format="%.1f"),
            columns[3]: numeric(format="%.1f"),
            columns[4]: numeric(format="%.2f"),
            columns[5]: numeric(format="%.2f"),
            columns[6]: numeric(format="%.0f"),
            columns[7]: numeric(format="percent"),
            columns[8]: st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        },
    )
    st.caption(t("insights.table_help", lang))
    st.download_button(
        t("insights.download", lang),
        table_csv(frame),
        file_name=f"charla-models-{datetime.now().date().isoformat()}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key="ins-download",
    )


# --- the answers behind a click -------------------------------------------------------------------
def _what(narrow: Narrow, lang: str) -> str:
    if narrow.answer_id is not None:
        return t("insights.answer_one", lang)
    parts = []
    if narrow.day is not None:
        parts.append(narrow.day.isoformat())
    if narrow.model is not None:
        parts.append(charts.model_label(narrow.model, lang))
    if narrow.outcome is not None:
        parts.append(t(f"insights.outcome_{narrow.outcome}", lang))
    return " · ".join(parts)


def _stats(row: insights.AnswerRow) -> str:
    parts = []
    if row.tokens_per_second is not None:
        parts.append(f"{row.tokens_per_second:,.1f} tok/s")
    if row.time_to_first_token is not None:
        parts.append(f"{row.time_to_first_token:,.2f} s")
    return "".join(f" · {p}" for p in parts)


def picked_answers(flt: InsightsFilter, narrow: Narrow, lang: str) -> None:
    """The answers a click picked, newest first, each a link to its chat."""
    st.subheader(t("insights.picked", lang), anchor=False)
    if narrow.is_empty:
        st.caption(t("insights.pick_hint", lang))
        return
    page = insights.answers(flt, narrow, limit=LISTED)
    st.markdown(t("insights.picked_what", lang, what=_what(narrow, lang), count=page.total))
    if page.total > len(page.rows):
        st.caption(t("insights.picked_more", lang, shown=len(page.rows)))
    chat_page = page_of("chat", lang)
    with st.container(key="ins-picked"):
        for row in page.rows:
            label = t(
                "insights.answer_link",
                lang,
                title=row.chat_title or t("insights.untitled", lang),
                model=charts.model_label(row.model or insights.UNKNOWN_MODEL, lang),
                when=in_zone(row.created_at, flt.zone).strftime("%Y-%m-%d %H:%M"),
                outcome=t(f"insights.outcome_{row.outcome}", lang),
                stats=_stats(row),
            )
            st.page_link(
                chat_page,
                label=label,
                icon=":material/chat:",
                query_params={"chat": str(row.chat_id)},
            )
    st.button(
        t("insights.clear", lang),
        key="ins-clear",
        icon=":material/filter_alt_off:",
        on_click=clear_selection,
    )
