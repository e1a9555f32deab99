"""Search hits as the pages show them: the History page's message results and the chat page's
"Find in this chat" list.

A hit is one line of where (the chat's title, a button that opens the chat at the message), who
(you, or the model that answered), when (in the browser's time zone, :mod:`ui.dates`), and the
snippet with the matched words highlighted. The snippet arrives from
:func:`core.services.search.search_messages` with ``**`` marks (:mod:`core.search.snippets`);
it is drawn from :func:`core.search.snippets.parts` as escaped HTML with ``<mark>`` around the
matches — never as Markdown, so a message's own ``*``, ``#`` or ``<script>`` stays text.

Opening a hit goes to the chat page with ``?chat=ID&msg=ID`` (:data:`MESSAGE_PARAM`): the chat
page then shows the message's version and window, scrolls to it and highlights it
(:mod:`ui.jump`). Paging keeps its page number per query and filters, and starts again at the
first page whenever they change.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

import streamlit as st

from core.i18n import t
from core.search.snippets import parts
from core.services.search import SearchHit, SearchPage, search_messages
from ui import dates, state
from ui.chat_list import browser_zone
from ui.render import model_label

HITS_PER_PAGE = 10
MESSAGE_PARAM = state.MESSAGE_PARAM  # the message the chat page shows and highlights
_PAGE = "search.page"
_VIEW = "search.view"  # the query and filters the page number belongs to
SNIPPET_CLASS = "charla-snippet"
_SNIPPET_STYLE = "line-height:1.5;overflow-wrap:anywhere;margin:0"
_MARK_STYLE = "background:rgba(255,200,0,.45);color:inherit;padding:0 1px;border-radius:2px"


def when(moment: datetime, zone: tzinfo) -> str:
    """A date and time as the reader's clock shows it."""
    return dates.in_zone(moment, zone).strftime("%Y-%m-%d %H:%M")


def snippet_html(snippet: str) -> str:
    """The snippet as HTML: every piece escaped, the matched ones in ``<mark>``."""
    pieces = []
    for text, marked in parts(snippet):
        escaped = html.escape(text, quote=True)
        pieces.append(f'<mark style="{_MARK_STYLE}">{escaped}</mark>' if marked else escaped)
    return f'<p class="{SNIPPET_CLASS}" style="{_SNIPPET_STYLE}">{"".join(pieces)}</p>'


def who(hit: SearchHit, lang: str) -> str:
    if hit.sender == "user":
        return t("search.sender_user", lang)
    return model_label(hit.model) or t("search.sender_llm", lang)


def _notes(hit: SearchHit, lang: str) -> list[str]:
    notes = []
    if hit.in_reasoning:
        notes.append(t("search.in_reasoning", lang))
    if hit.in_file:
        notes.append(t("search.in_file", lang, name=hit.in_file))
    if not hit.selected:
        notes.append(t("search.other_version", lang))
    if hit.archived:
        notes.append(t("search.archived", lang))
    return notes


def open_hit(hit: SearchHit) -> None:
    """Go to the chat page at this hit's message."""
    st.switch_page(
        "pages/chat.py",
        query_params={state.CHAT_PARAM: str(hit.chat_id), MESSAGE_PARAM: str(hit.message_id)},
    )


def draw_hit(hit: SearchHit, lang: str, zone: tzinfo, *, title: bool = True) -> bool:
    """One hit; returns whether its open button was clicked (``title``: show the chat's title,
    else — inside one chat — the sender)."""
    with st.container(border=True, key=f"hit-{hit.message_id}"):
        label = (hit.chat_title or t("chat.untitled", lang)) if title else who(hit, lang)
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            clicked = st.button(
                label,
                key=f"hit-open-{hit.message_id}",
                type="tertiary",
                icon=":material/open_in_new:",
                help=t("search.open_help", lang),
            )
            line = [who(hit, lang)] if title else []
            line += [when(hit.created_at, zone), *_notes(hit, lang)]
            st.caption(" · ".join(line).replace("_", r"\_").replace("*", r"\*"))
        st.html(snippet_html(hit.snippet))
    return clicked


def count_text(page: SearchPage, lang: str) -> str:
    if page.estimated:
        return t("search.count_about", lang, count=page.total, shown=page.reachable)
    return t("search.count", lang, count=page.total)


def _step(delta: int) -> None:
    st.session_state[_PAGE] = int(st.session_state.get(_PAGE, 0)) + delta


def _pager(page: SearchPage, lang: str) -> None:
    if page.pages <= 1:
        return
    with st.container(horizontal=True, vertical_alignment="center", key="search-pager"):
        st.button(
            t("search.previous", lang),
            key="search.prev",
            icon=":material/chevron_left:",
            disabled=page.page == 0,
            on_click=_step,
            args=(-1,),
        )
        st.caption(t("search.page", lang, page=page.page + 1, pages=page.pages))
        st.button(
            t("search.next", lang),
            key="search.next",
            icon=":material/chevron_right:",
            icon_position="right",
            disabled=page.page >= page.pages - 1,
            on_click=_step,
            args=(1,),
        )


def results(query: str, filters: dict[str, Any], lang: str) -> SearchPage:
    """The History page's message hits for ``query`` and ``filters`` (keywords of
    :func:`search_messages`): the count, one page of hits, the pager. Returns the page shown."""
    view = (query, tuple(sorted((k, repr(v)) for k, v in filters.items())))
    if st.session_state.get(_VIEW) != view:
        st.session_state[_VIEW] = view
        st.session_state[_PAGE] = 0
    number = max(0, int(st.session_state.get(_PAGE, 0)))
    page = search_messages(query, limit=HITS_PER_PAGE, offset=number * HITS_PER_PAGE, **filters)
    if not page.parsed.searchable:
        st.caption(t("search.nothing_to_search", lang))
        return page
    if not page.hits:
        st.info(t("search.none", lang), icon=":material/search_off:")
        return page
    st.caption(count_text(page, lang))
    zone = browser_zone()
    _list(page, lambda hit: draw_hit(hit, lang, zone))
    _pager(page, lang)
    return page


def _list(page: SearchPage, draw: Callable[[SearchHit], bool]) -> None:
    with st.container(key="search-hits"):
        for hit in page.hits:
            if draw(hit):
                open_hit(hit)
