"""The chat page's side of search: landing on a message, and "Find in this chat".

**Landing.** A hit links to ``?chat=ID&msg=ID`` (:data:`ui.search_view.MESSAGE_PARAM`). The first
run that sees a new ``msg`` asks :func:`core.services.search.reveal` to make the message visible —
its version selected when it is not the one shown, and the window of drawn messages widened to
reach back to it — and remembers that it did, so later reruns (a click on a version arrow, a
live answer) do not undo what the person does next. While the link stays in the URL the message
is highlighted: a stylesheet outlines the chat bubble holding the message's bar (each bubble has a
``st-key-msg-bar-<id>`` container, :mod:`ui.render`); a reload lands there again. Scrolling is
the browser's business: a constant script, drawn on every run while the link is in the URL with
``st.html(..., unsafe_allow_javascript=True)`` like the copy button's, waits for that bubble to be
drawn and scrolls it to the middle of the screen. It keeps it there — a page with a chat input
sticks to its bottom whenever something is drawn, however late — until the person scrolls, clicks
or types, or the link leaves the URL (ten minutes at most). Then a flag on the page's window says
they have moved on, and no later copy of the script (a rerun, a version arrow, a live answer)
scrolls again; a reload clears the flag and lands again. The only variable part is the message id, an integer.

**Find in this chat** (in the sidebar): a search box limited to the open chat
(:func:`core.services.search.find_in_chat`, every version); each hit jumps to its message the same
way, through the URL.
"""

from __future__ import annotations

import streamlit as st

from core.errors import NotFound
from core.i18n import t
from core.services.search import find_in_chat, reveal
from ui import state
from ui.chat_list import browser_zone
from ui.search_view import MESSAGE_PARAM, count_text, draw_hit

FIND_HITS = 8  # hits listed by "Find in this chat"
_LANDED = "jump.landed"  # (chat id, message id) already revealed in this session
HIGHLIGHT_CLASS = "charla-found"

_SCRIPT = """<script>
(() => {
  const id = %d, flag = "charlaLanded" + id, started = Date.now();
  if (window[flag] === "left") return;  // the person moved on after landing: leave them be
  if (window[flag] === "landing") return;  // a copy from an earlier run is already at work
  window[flag] = "landing";
  for (const kind of ["wheel", "touchstart", "keydown", "mousedown"]) {
    window.addEventListener(kind, () => { window[flag] = "left"; }, {once: true, capture: true});
  }
  const tick = () => {
    // Until the person moves (or leaves the link, or ten minutes pass): the chat page sticks to
    // its bottom whenever something is drawn, so the message is brought back each time.
    const here = new URLSearchParams(location.search).get("msg") === String(id);
    if (window[flag] === "left" || !here || Date.now() - started > 600000) {
      if (window[flag] === "landing") delete window[flag];
      return;
    }
    const bar = document.querySelector(".st-key-msg-bar-" + id);
    const bubble = bar && bar.closest('[data-testid="stChatMessage"]');
    if (bubble) {
      const box = bubble.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) {
        bubble.scrollIntoView({block: "center"});
      }
    }
    setTimeout(tick, 150);
  };
  tick();
})();
</script>"""


def target() -> int | None:
    """The message the URL points at, if any."""
    raw = st.query_params.get(MESSAGE_PARAM)
    try:
        message_id = int(str(raw)) if raw is not None else 0
    except ValueError:
        return None
    return message_id if message_id > 0 else None


def land(chat_id: int, window_key: str, window: int) -> int | None:
    """Reveal the message the URL points at (once per link) and return its id, for
    :func:`highlight`; ``window_key`` holds how many messages the page draws."""
    message_id = target()
    if message_id is None:
        return None
    if st.session_state.get(_LANDED) == (chat_id, message_id):
        return message_id
    try:
        jump = reveal(message_id)
    except NotFound:  # deleted since the link was made: the chat is shown as it is
        st.query_params.pop(MESSAGE_PARAM, None)
        return None
    if jump.chat_id != chat_id:  # a link naming another chat's message: ignore it
        st.query_params.pop(MESSAGE_PARAM, None)
        return None
    st.session_state[_LANDED] = (chat_id, message_id)
    st.session_state[window_key] = max(int(st.session_state.get(window_key, window)), jump.window)
    return message_id


def highlight(message_id: int | None) -> None:
    """Outline the message landed on, and scroll to it (until the person moves on)."""
    if message_id is None:
        return
    st.html(
        "<style>"
        f'[data-testid="stChatMessage"]:has(.st-key-msg-bar-{message_id})'
        "{outline:2px solid rgba(255,170,0,.9);outline-offset:4px;border-radius:.5rem}"
        "</style>"
    )
    st.html(_SCRIPT % message_id, unsafe_allow_javascript=True)


def _go(chat_id: int, message_id: int) -> None:
    state.select_chat(chat_id)
    st.query_params[MESSAGE_PARAM] = str(message_id)


def find_in_this_chat(chat_id: int, lang: str) -> None:
    """The "Find in this chat" box and its hits (for the sidebar)."""
    with st.expander(t("search.find_in_chat", lang), icon=":material/search:", key="find-box"):
        query = st.text_input(
            t("search.find_in_chat", lang),
            key=f"find.{chat_id}",
            placeholder=t("search.find_placeholder", lang),
            help=t("search.help", lang),
            type="search",
            live=True,
            label_visibility="collapsed",
        )
        if not query:
            return
        page = find_in_chat(chat_id, query, limit=FIND_HITS)
        if not page.hits:
            st.caption(t("search.none", lang))
            return
        st.caption(count_text(page, lang))
        zone = browser_zone()
        for hit in page.hits:
            if draw_hit(hit, lang, zone, title=False):
                _go(chat_id, hit.message_id)
                st.rerun()
