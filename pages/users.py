"""Users page (admins only, ``CHARLA_ADMINS``): who uses Charla and how much — never their chats.

Listed in the navigation for admins only; opened by its URL by anyone else, it says it is for
administrators and shows nothing (the service refuses too: :func:`core.services.users.usage`).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.errors import AdminsOnly
from core.i18n import error_text, t
from core.services import users
from ui import dates, frame

lang = frame.page_setup()
st.title(t("users.page_title", lang))
try:
    rows = users.usage()
except AdminsOnly as exc:
    st.error(error_text(exc, lang), icon=":material/lock:")
    st.stop()

st.caption(t("users.page_caption", lang))
zone = dates.zone_from(st.context.timezone, st.context.timezone_offset)


def when(moment: object) -> str:
    if moment is None:
        return t("users.never", lang)
    return dates.in_zone(moment, zone).strftime("%Y-%m-%d %H:%M")  # type: ignore[arg-type]


table = pd.DataFrame(
    [
        {
            t("users.col_person", lang): t("users.local_person", lang)
            if row.issuer == "local"
            else row.name or row.email or "—",
            t("users.col_email", lang): row.email or "",
            t("users.col_chats", lang): row.chats,
            t("users.col_messages", lang): row.messages,
            t("users.col_last_seen", lang): when(row.last_seen_at),
            t("users.col_since", lang): when(row.created_at),
        }
        for row in rows
    ]
)
st.dataframe(table, hide_index=True, width="stretch", key="users-table")
