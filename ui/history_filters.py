"""The History page's search box and filters.

One search box at the top, searching as the person types (``st.text_input(type="search",
live=True)``: it commits 250 ms after typing stops). Under it, the filters: last-activity days
(calendar days of the browser's time zone), model, tag, and which chats (all, pinned, archived, not
archived). They give one :class:`~core.services.history.HistoryFilter` for the chats table and,
through :func:`message_filters`, the same conditions as keywords of
:func:`core.services.search.search_messages` for the message hits — a day range then applies to
each message's own time.

The lists of models and tags are cached for a minute (keyed by the database, so tests and a
changed ``.env`` never see another database's lists).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from core.conf.settings import get_settings
from core.i18n import t
from core.identity import acting_as, current_owner_id
from core.services import organise
from core.services.history import HistoryFilter, list_models_used
from ui.chat_list import browser_zone

LISTS_TTL = 60  # seconds the lists of models and tags are reused
SHOW = ("all", "pinned", "archived", "active")  # which chats; keys of organise.show_*
TEXT = "hist.text"


# database_url and owner_id key the caches: tests and a changed .env use another database, and
# Streamlit's caches are shared by every session of the process (each person has their own lists).
@st.cache_data(ttl=LISTS_TTL, show_spinner=False)
def _models_used(database_url: str, owner_id: int | None) -> list[str]:
    with acting_as(owner_id):
        return list_models_used()


@st.cache_data(ttl=LISTS_TTL, show_spinner=False)
def _tags(database_url: str, owner_id: int | None) -> list[str]:
    with acting_as(owner_id):
        return [name for name, _count in organise.tags()]


def forget_lists() -> None:
    """After tagging: the tag filter lists the new tag at once."""
    _tags.clear()


def _date_range(value: object) -> tuple[date | None, date | None]:
    """``st.date_input`` in range mode gives (), (day,) while picking, or (first, last)."""
    days = [d for d in value if isinstance(d, date)] if isinstance(value, tuple | list) else []
    if not days:
        return None, None
    return days[0], days[-1]


def _options(found: list[str], key: str) -> list[str]:
    """ "" (any) and the names found, plus the current choice if it is gone from the list."""
    chosen = st.session_state.get(key) or ""
    return ["", *found] + ([chosen] if chosen and chosen not in found else [])


def filters(lang: str) -> HistoryFilter:
    """Draw the search box and the filters; return what they select."""
    url = get_settings().database_url
    text = st.text_input(
        t("history.search", lang),
        key=TEXT,
        placeholder=t("history.search_placeholder", lang),
        help=t("history.search_help", lang),
        icon=":material/search:",
        type="search",
        live=True,
    )
    dates_col, model_col, tag_col, show_col = st.columns([4, 3, 2, 2], vertical_alignment="bottom")
    dates = dates_col.date_input(
        t("history.dates", lang),
        value=(),  # type: ignore[arg-type]  # an empty range: "any date" (the stubs lack it)
        key="hist.dates",
        format="YYYY-MM-DD",
        help=t("history.dates_help", lang),
    )
    model = model_col.selectbox(
        t("history.model", lang),
        _options(_models_used(url, current_owner_id()), "hist.model"),
        key="hist.model",
        format_func=lambda name: name or t("history.all_models", lang),
    )
    tag = tag_col.selectbox(
        t("organise.tag_filter", lang),
        _options(_tags(url, current_owner_id()), "hist.tag"),
        key="hist.tag",
        format_func=lambda name: name or t("organise.all_tags", lang),
    )
    show = show_col.selectbox(
        t("organise.show", lang),
        SHOW,
        key="hist.show",
        format_func=lambda what: t(f"organise.show_{what}", lang),
    )
    date_from, date_to = _date_range(dates)
    return HistoryFilter(
        text=text or None,
        date_from=date_from,
        date_to=date_to,
        model=model or None,
        tags=(tag,) if tag else (),
        pinned=True if show == "pinned" else None,
        archived={"archived": True, "active": False}.get(show or "all"),
        zone=browser_zone(),
    )


def message_filters(flt: HistoryFilter) -> dict[str, Any]:
    """The filter as keywords of :func:`core.services.search.search_messages`."""
    found: dict[str, Any] = {"zone": flt.zone}
    if flt.model:
        found["model"] = flt.model
    if flt.date_from is not None:
        found["date_from"] = flt.date_from
    if flt.date_to is not None:
        found["date_to"] = flt.date_to
    if flt.tags:
        found["tags"] = flt.tags
    if flt.pinned is not None:
        found["pinned"] = flt.pinned
    if flt.archived is not None:
        found["archived"] = flt.archived
    return found
