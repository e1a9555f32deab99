"""The baseline of the browser benchmark: Streamlit's documented chat pattern, nothing more.

``st.chat_input``, ``st.chat_message`` and ``st.write_stream`` over a generator that yields every
content token of an ``httpx`` + ``httpx-sse`` streamed request, one token per yield (no coalescing);
the history lives in ``st.session_state``. No database, no settings, no sidebar.

    LM_STUDIO_URL=http://127.0.0.1:1234 LM_STUDIO_MODEL=bench streamlit run bench/plain_chat_app.py
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import httpx
import streamlit as st
from httpx_sse import connect_sse

URL = os.environ.get("LM_STUDIO_URL", "http://127.0.0.1:1234")
MODEL = os.environ.get("LM_STUDIO_MODEL", "")


@st.cache_resource
def client() -> httpx.Client:
    return httpx.Client(base_url=URL, timeout=60)


def tokens(messages: list[dict[str, str]]) -> Iterator[str]:
    payload = {"model": MODEL, "messages": messages, "stream": True}
    with connect_sse(client(), "POST", "/v1/chat/completions", json=payload) as source:
        for sse in source.iter_sse():
            if sse.data == "[DONE]":
                break
            chunk = json.loads(sse.data)
            if chunk["choices"]:
                text = chunk["choices"][0]["delta"].get("content")
                if text:
                    yield text


st.title("Plain chat")
if "messages" not in st.session_state:
    st.session_state.messages = []

for message in st.session_state.messages:
    with st.chat_message(message["role"]):
        st.markdown(message["content"])

if prompt := st.chat_input("Say something"):
    st.session_state.messages.append({"role": "user", "content": prompt})
    with st.chat_message("user"):
        st.markdown(prompt)
    with st.chat_message("assistant"):
        answer = st.write_stream(tokens(st.session_state.messages))
    st.session_state.messages.append({"role": "assistant", "content": answer})
