"""The context meter under the chat input: how much of the model's window the next request takes.

"≈ 1,480 / 2,048 tokens" when the window is known; "≈ 1,480 tokens · context size not known yet"
before the model has said it. The numbers come from :func:`core.services.context_view.context_fit`,
which also tells the conversation which older messages are no longer sent (they are dimmed).
"""

from __future__ import annotations

import streamlit as st

from core.errors import CharlaError
from core.i18n import t
from core.services.chat import ChatService
from core.services.context_view import ContextFit, context_fit


def context_meter(service: ChatService, chat_id: int, lang: str) -> ContextFit | None:
    """Draw the meter below the chat input; return the fit (None if it cannot be told)."""
    try:
        fit = context_fit(service, chat_id)
    except CharlaError:
        return None
    if fit.context_length:
        text = t("chat.meter", lang, tokens=fit.tokens, window=fit.context_length)
    else:
        text = t("chat.meter_unknown", lang, tokens=fit.tokens)
    if fit.left_out:
        text += " · " + t("chat.meter_left_out", lang, count=fit.left_out)
    with st.bottom:
        st.caption(text, width="stretch")
    return fit
