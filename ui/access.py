"""Who may see the app: the optional password, and a refusal to serve a network without one.

Charla keeps a private chat history and has no user accounts. Two rules, checked by the entry file
before anything else is drawn:

1. If ``CHARLA_PASSWORD`` is set, every browser session must type it once (compared with
   :func:`hmac.compare_digest`, so timing does not reveal how much of a guess was right). The flag
   lives in ``st.session_state``: a reload asks again, which is acceptable for a local app.
2. If Streamlit listens on anything but a loopback address (``server.address`` in
   ``.streamlit/config.toml`` or ``--server.address``) and no password is set, the app refuses to
   show anything and explains how to set ``CHARLA_PASSWORD`` — otherwise anyone on the network
   could read the history.
"""

from __future__ import annotations

import hmac
import ipaddress

import streamlit as st

from core.conf.settings import Settings
from core.i18n import t

_UNLOCKED = "access_unlocked"


def is_loopback(address: str | None) -> bool:
    """Whether ``address`` (Streamlit's ``server.address``) only accepts local connections.

    Empty means "every interface", which is not loopback.
    """
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to a public interface


def password_matches(typed: str, password: str) -> bool:
    return hmac.compare_digest(typed.encode("utf-8"), password.encode("utf-8"))


def access_granted(settings: Settings, lang: str) -> bool:
    """Whether this session may use the app; if not, the reason or the password prompt is drawn.

    The entry file still has things to do before it stops (it runs ``st.navigation`` on every
    path, see :mod:`ui.frame`), so this returns instead of stopping; :func:`require_access` stops.
    """
    if settings.auth != "none":
        return True  # people sign in (ui.identity): the sign-in replaces the shared password
    password = settings.password.get()
    if not password:
        address = st.get_option("server.address")
        if is_loopback(address):
            return True
        st.error(t("app.exposed", lang, address=address or "0.0.0.0"), icon=":material/lock_open:")
        return False
    if st.session_state.get(_UNLOCKED):
        return True
    st.title(t("app.locked_title", lang))
    with st.form("unlock"):
        typed = st.text_input(t("app.password", lang), type="password", key="unlock-password")
        submitted = st.form_submit_button(t("app.unlock", lang), type="primary")
    if submitted:
        if password_matches(typed, password):
            st.session_state[_UNLOCKED] = True
            st.rerun()
        st.error(t("app.wrong_password", lang))
    return False


def require_access(settings: Settings, lang: str) -> None:
    """Return if this session may use the app; otherwise draw the reason or the prompt and stop."""
    if not access_granted(settings, lang):
        st.stop()
