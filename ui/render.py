"""How one stored message looks, shared by the Chat and History pages.

A message is drawn from its :class:`~core.schemas.MessageRecord` only, so the live chat, the
re-rendered chat after a rerun and the read-only History view look exactly alike. The reasoning sits
in a collapsed "Thinking" expander above the answer; the answer goes through ``st.markdown`` without
``unsafe_allow_html``, so any HTML a model writes is shown as text and never executed. Answers get a
small caption (model, tokens, time to first token, speed, and the status when it is not
``complete``). Nothing here creates widgets with keys, so a message can be drawn any number of times.
"""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from core.i18n import t
from core.schemas import MessageRecord

_INTERRUPTED = (
    "interrupted"  # MessageRecord.error when the app died mid-answer (bootstrap marks it)
)


def model_label(model: str | None) -> str:
    """A short model name: the file name when the id looks like a path (``org/dir/x.gguf`` -> ``x.gguf``)."""
    if not model:
        return ""
    return model.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or model


def status_text(message: MessageRecord, lang: str) -> str:
    """The status part of the caption, or "" for a normally finished answer."""
    if message.status == "stopped":
        if message.error == _INTERRUPTED:
            return t("msg.status_interrupted", lang)
        return t("msg.status_stopped", lang)
    if message.status == "error":
        if message.error == _INTERRUPTED:
            return t("msg.status_interrupted", lang)
        return t("msg.status_error", lang, detail=message.error or "?")
    if message.status == "streaming":
        return t("msg.status_streaming", lang)
    if message.finish_reason == "length":
        return t("msg.status_length", lang)
    return ""


def caption_text(message: MessageRecord, lang: str) -> str:
    """The line under an answer: ``model · N tokens · first token 0.31 s · 42.0 tok/s · status``."""
    parts: list[str] = []
    if message.model:
        parts.append(model_label(message.model))
    if message.completion_tokens is not None:
        parts.append(t("msg.tokens", lang, count=message.completion_tokens))
    if message.time_to_first_token is not None:
        parts.append(t("msg.ttft", lang, seconds=message.time_to_first_token))
    if message.tokens_per_second is not None:
        parts.append(t("msg.speed", lang, rate=message.tokens_per_second))
    status = status_text(message, lang)
    if status:
        parts.append(status)
    return " · ".join(parts)


def render_reasoning(reasoning: str, lang: str) -> None:
    """The collapsed "Thinking" block (also used while reasoning streams in)."""
    with st.expander(t("msg.thinking", lang), expanded=False, icon=":material/psychology:"):
        st.markdown(reasoning)


def render_message(message: MessageRecord, lang: str) -> None:
    """Draw one message as a chat bubble: reasoning, answer, caption."""
    with st.chat_message(message.role):
        if message.reasoning:
            render_reasoning(message.reasoning, lang)
        if message.content:
            st.markdown(message.content)
        if message.sender == "llm":
            caption = caption_text(message, lang)
            if caption:
                # Captions are markdown too: model ids may contain "_" or "*"; show them literally.
                st.caption(caption.replace("_", r"\_").replace("*", r"\*"))


def render_messages(messages: Iterable[MessageRecord], lang: str) -> None:
    """Draw messages in order (oldest first)."""
    for message in messages:
        render_message(message, lang)
