"""How one stored message looks, shared by the Chat and History pages.

A message is drawn from its :class:`~core.schemas.MessageRecord` only, so the live chat, the
re-rendered chat after a rerun and the read-only History view look exactly alike. The reasoning sits
in a collapsed "Thinking" expander above the answer; the answer goes through ``st.markdown`` without
``unsafe_allow_html``, so any HTML a model writes is shown as text and never executed. Answers get a
small caption (model, tokens, time to first token, speed, and the status when it is not
``complete``). A failed answer shows why once, in a red box, in the reader's language: errors are
stored as codes and translated here (rows from before codes keep their English text).

A person's message is shown as typed, not as Markdown: ``# Title`` stays a line starting with
``#``, ``*x*`` keeps its stars, ``1.`` is not a list, and line breaks, leading and repeated spaces
stay. :func:`literal_html` HTML-escapes the text into one ``white-space: pre-wrap`` block drawn
with ``st.html`` *without* JavaScript (Streamlit sanitizes it with DOMPurify as well): escaped
text can only ever be text. Escaping Markdown instead would chase a long tail (Streamlit's own
``:color[…]``, ``:emoji:`` and ``$math$`` syntax, entities, autolinks) and still collapse spaces.

Every message with text gets a "Copy" button (:mod:`ui.copy_button`) holding its exact stored
text: for an answer, the Markdown source.

Nothing here creates widgets, so a message can be drawn any number of times; the chat page adds
each message's controls (versions, actions) in :mod:`ui.message_actions`.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st

from core.i18n import t
from core.schemas import MessageRecord
from core.vocab import Sender, Status
from ui.attachments import show_attachments
from ui.copy_button import copy_button

# Draws a message's controls: into the bar (the row that holds "Copy"), or below it.
Footer = Callable[[MessageRecord, Any], None]

LITERAL_CLASS = "charla-literal"  # marks a person's message drawn as plain text
_LITERAL_STYLE = "white-space:pre-wrap;overflow-wrap:anywhere;line-height:1.6"


def model_label(model: str | None) -> str:
    """A short model name: the file name when the id looks like a path (``org/dir/x.gguf`` -> ``x.gguf``)."""
    if not model:
        return ""
    return model.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or model


def status_text(message: MessageRecord, lang: str) -> str:
    """The status part of the caption, or "" for a normally finished answer."""
    if message.interrupted:
        return t("msg.status_interrupted", lang)
    if message.status == Status.STOPPED:
        return t("msg.status_stopped", lang)
    if message.status == Status.ERROR:
        return t("msg.status_failed", lang)
    if message.status == Status.STREAMING:
        return t("msg.status_streaming", lang)
    if message.finish_reason == "length":
        # "length" also means the model's context filled up: "cut by max_tokens" only when a
        # max_tokens was sent and reached.
        limit = (message.params or {}).get("max_tokens")
        if limit and (message.completion_tokens or 0) >= limit:
            return t("msg.status_length", lang)
        return t("msg.status_context_full", lang)
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


def literal_html(text: str) -> str:
    """``text`` as one block of plain text for ``st.html``: escaped, whitespace kept.

    Line ends become ``&#10;`` so the body is a single line: ``st.html`` dedents and strips its
    body, which would otherwise eat indentation common to every line. ``\\r\\n`` and a lone
    ``\\r`` are shown as one line break (CSS would draw a carriage return as a space).
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    body = html.escape(lines, quote=True).replace("\n", "&#10;")
    return f'<div class="{LITERAL_CLASS}" style="{_LITERAL_STYLE}">{body}</div>'


def render_reasoning(reasoning: str, lang: str) -> None:
    """The collapsed "Thinking" block (also used while reasoning streams in)."""
    with st.expander(t("msg.thinking", lang), expanded=False, icon=":material/psychology:"):
        st.markdown(reasoning)


def render_message(message: MessageRecord, lang: str, footer: Footer | None = None) -> None:
    """Draw one message as a chat bubble: reasoning, answer, error, caption, then ``footer``."""
    with st.chat_message(message.role):
        if message.reasoning:
            render_reasoning(message.reasoning, lang)
        if message.content:
            if message.sender == Sender.USER:
                st.html(literal_html(message.content))
            else:
                st.markdown(message.content)
        show_attachments(message, lang)
        if message.sender == Sender.LLM:
            if message.status == Status.ERROR:
                st.error(message.error_text(lang))
            caption = caption_text(message, lang)
            if caption:
                # Captions are markdown too: model ids may contain "_" or "*"; show them literally.
                st.caption(caption.replace("_", r"\_").replace("*", r"\*"))
        bar = st.container(
            horizontal=True, vertical_alignment="center", gap="small", key=f"msg-bar-{message.id}"
        )
        if message.content:
            with bar:
                copy_button(message.content, lang)
        if footer is not None:
            footer(message, bar)


def render_messages(
    messages: Iterable[MessageRecord], lang: str, footer: Footer | None = None
) -> None:
    """Draw messages in order (oldest first)."""
    for message in messages:
        render_message(message, lang, footer)
