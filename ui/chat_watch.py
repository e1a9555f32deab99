"""Keep an open chat page current with what other tabs and processes do to its chat.

A page is drawn once per run; nothing pushes a change made elsewhere — an answer started from
another tab, a version switched, the title the model wrote — into a page that is only being read.
So the page draws a small fragment that reruns on its own every :data:`EVERY` seconds, reads the
chat's signature (:func:`core.services.chats.chat_signature`: one short query) and, when it
differs from the one the page was drawn with, reruns the whole page (which then follows a live
answer, shows the new version, the new title). While the page follows an answer its script is
busy, and it reruns by itself when the answer ends, so the watcher only runs on an idle page.
"""

from __future__ import annotations

from typing import Final

import streamlit as st

from core.services import chats

EVERY: Final = 2.0  # seconds between looks


@st.fragment(run_every=EVERY)
def watch_chat(chat_id: int, drawn: tuple[object, ...] | None) -> None:
    """Rerun the page when the chat changed since it was drawn (``drawn``: its signature then)."""
    if chats.chat_signature(chat_id) != drawn:
        st.rerun(scope="app")
