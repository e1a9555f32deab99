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
from core.services.live import Frame
from core.services.model_control import needs_loading
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


class _Caption:
    """The line under the answer being written: "loading model…" while the model loads (or, on
    a server that loads it just in time, until the first text), then "writing…"."""

    def __init__(self, slot: Any, lang: str, *, waiting_for_load: bool) -> None:
        self._slot, self._lang = slot, lang
        self._waiting = waiting_for_load
        self._shown: str | None = None

    def update(self, frame: Frame | None) -> None:
        if frame is not None and (frame.content or frame.reasoning):
            self._waiting = False
        loading = self._waiting or (frame is not None and frame.loading)
        key = "models.loading_model" if loading else "msg.status_streaming"
        if key != self._shown:
            self._shown = key
            self._slot.caption(t(key, self._lang))


def _deltas(answer_id: int, thinking: _Thinking, caption: _Caption) -> Iterator[str]:
    """The new text of each frame, for ``st.write_stream``. Ends when the answer does — or when
    text already shown was taken back (reasoning recognised late, or the answer asked again
    after fitting the context): the rerun then draws it from the start."""
    shown, reasoning = "", ""
    for frame in workers.follow(answer_id):
        caption.update(frame)
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
        caption = _Caption(
            st.empty(), lang, waiting_for_load=not message.content and needs_loading(message.model)
        )
        caption.update(None)
        text.write_stream(_deltas(message.id, thinking, caption))
    failed = chats.fall_back_from_failed(message.id)
    if failed is not None:
        state.flash(t("chat.regenerate_failed", lang, reason=failed.error_text(lang)), error=True)
    st.rerun()
