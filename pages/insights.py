"""Insights page: how the models did, measured on this machine, from every stored answer.

A short script over :mod:`ui.insights_view`: the filters (days in the browser's time zone, models,
tags) make one filter for everything below; the key figures, the six charts with their readings,
the per-model table (sortable, CSV) and the answers behind the latest click follow. Every number
comes from the database (:mod:`core.services.insights`); after the history changed, the figures
from before are shown at once while the new ones are computed. An empty history gets an
explanation, not empty charts.
"""

from __future__ import annotations

import streamlit as st

from core.i18n import t
from core.services import insights
from ui import frame
from ui import insights_view as view

lang = frame.page_setup()
st.title(t("insights.title", lang))
st.caption(t("insights.caption", lang))

flt = view.filters(lang)
with st.spinner(show_time=True):  # only a filter never shown before waits
    shown = insights.overview_at_once(flt)
overview = shown.overview
if shown.updating:
    st.caption(t("insights.updating", lang), help=t("insights.updating_help", lang))
if not overview.history or overview.empty:
    st.info(
        t("insights.no_match" if overview.history else "insights.empty_history", lang),
        icon=":material/insights:",
    )
    with st.container(horizontal=True):
        st.page_link(frame.page_of("chat", lang), label=t("insights.go_chat", lang))
        st.page_link(frame.page_of("compare", lang), label=t("insights.go_compare", lang))
    if shown.updating:
        view.update_then_rerun(flt, lang)
    st.stop()

view.key_figures(overview, lang)
narrow = view.draw_charts(overview, flt, lang)
view.show_table(overview, flt.zone, lang)
view.picked_answers(flt, narrow, lang)
if shown.updating:  # drawn: now compute the new figures, and rerun when they are in
    view.update_then_rerun(flt, lang)
