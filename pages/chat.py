"""Chat page: the sidebar list of chats, the conversation, the streamed answer and its actions.

A short script; the pieces live in :mod:`ui.chat_list` (sidebar list, rename, delete),
:mod:`ui.conversation` (window, live answer, actions) and :mod:`ui.message_actions` (each message's
versions and menu). The chat input is read first — where it is called does not change where it is
drawn (always at the bottom) — so this run's turn starts before the conversation is drawn.
``submit_mode="stop"`` turns the send button into a stop button while an answer streams; stopping
keeps the partial answer on screen and in the database.
"""

from __future__ import annotations

import streamlit as st

from core.i18n import t
from ui import frame, state
from ui.chat_list import chat_list, chat_menu, delete_confirmation
from ui.conversation import (
    ThinkingBox,
    draft_editor,
    last_answer_actions,
    load_chat,
    show_window,
    start_turn,
    stream_answer,
)
from ui.server_notice import server_notice

lang = frame.page_setup()
service = state.chat_service()
state.show_flash()

prompt = st.chat_input(t("chat.placeholder", lang), key="prompt", submit_mode="stop")
box = ThinkingBox(lang)
with start_turn(service, state.current_chat_id(), prompt, box, lang) as turn:
    with st.sidebar:
        chat_list(turn.chat_id, lang)

    draft_editor(lang)
    if turn.chat_id is None:
        st.title(t("chat.welcome_title", lang))
        st.caption(t("chat.welcome", lang))
        server_notice(lang)
        st.stop()

    view = load_chat(turn.chat_id)
    with st.container(horizontal=True, vertical_alignment="center", key="chat-header"):
        st.subheader(view.summary.title or t("chat.untitled", lang), anchor=False, width="stretch")
        chat_menu(view.summary.id, view.summary.title, lang)
    delete_confirmation(view.summary.id, view.summary.title, lang)

    if turn.reply is not None:
        reply = turn.reply
        show_window(view, lang, hide=(reply.user_message.id, reply.answer_id), busy=True)
        stream_answer(reply, box, lang)  # reruns when done
    elif view.messages:
        show_window(view, lang)
        last_answer_actions(view.messages, lang)
    else:
        st.caption(t("chat.empty", lang))
