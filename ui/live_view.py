"""The answer being written, drawn as it grows: ``st.write_stream`` over a follower of the worker.

The chat page never generates an answer itself (:mod:`core.services.workers` does, apart from any
browser session). When the branch it shows ends with an answer still being written — started by
this tab, another tab, or another app process — it draws that answer live: the reasoning in a
collapsed "Thinking" expander, the text with ``st.write_stream`` fed by a generator of the new text
of each frame (:func:`core.services.workers.follow` coalesces what arrived since the last frame, so
the browser gets a few updates a second, not one per token), and a Stop button.

When the answer ends (or Stop is pressed, here or anywhere), the page reruns and draws the answer
as stored, with its caption and actions. Any other interaction (another chat in the sidebar, a
reload, leaving the page) just interrupts the following: the worker goes on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import streamlit as st

from core.i18n import t
from core.schemas import MessageRecord
from core.services import chats, workers
from ui import state


def _stop(answer_id: int) -> None:
    workers.request_stop(answer_id)  # returns once the row is final: the rerun shows "stopped"


class _Thinking:
    """The "Thinking" expander, created when the first reasoning arrives, then updated."""

    def __init__(self, slot: Any, lang: str) -> None:
        self._slot = slot
        self._lang = lang
        self._body: Any = None

    def show(self, reasoning: str) -> None:
        if self._body is None:
            expander = self._slot.expander(
                t("msg.thinking", self._lang), expanded=False, icon=":material/psychology:"
            )
            self._body = expander.empty()
        self._body.markdown(reasoning)


def _deltas(answer_id: int, thinking: _Thinking) -> Iterator[str]:
    """The new text of each frame, for ``st.write_stream``. Ends when the answer does — or when
    text already shown was taken back (reasoning recognised late, or the answer asked again
    after fitting the context): the rerun then draws it from the start."""
    shown, reasoning = "", ""
    for frame in workers.follow(answer_id):
        if frame.reasoning != reasoning:
            reasoning = frame.reasoning
            thinking.show(reasoning)
        if not frame.content.startswith(shown):
            return
        if len(frame.content) > len(shown):
            yield frame.content[len(shown) :]
            shown = frame.content
        if frame.done:
            return


def follow_answer(message: MessageRecord, lang: str, into: Any) -> None:
    """Draw the answer being written (in the container ``into``) until it ends, then rerun to
    show it as stored. A regeneration that failed before writing anything does not hide the
    answer it was meant to replace: that one is shown again, with why the new one failed."""
    with into, st.chat_message("assistant"):
        thinking = _Thinking(st.container(), lang)
        text = st.container()
        st.button(
            t("chat.stop", lang),
            key=f"stop-{message.id}",
            icon=":material/stop_circle:",
            on_click=_stop,
            args=(message.id,),
        )
        st.caption(t("msg.status_streaming", lang))
        text.write_stream(_deltas(message.id, thinking))
    failed = chats.fall_back_from_failed(message.id)
    if failed is not None:
        state.flash(t("chat.regenerate_failed", lang, reason=failed.error_text(lang)), error=True)
    st.rerun()
