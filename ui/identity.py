"""Who is using this session: the only place that reads ``st.user`` (:mod:`core.identity`).

:func:`identify` runs first in every script run, before any page asks the database anything:

- ``CHARLA_AUTH=none``: the local user, no sign-in (today's behaviour, password rule included);
- ``oidc``: ``st.user`` (Streamlit's sign-in); not signed in → the sign-in page (one button that
  calls ``st.login()``) and nothing else; no ``[auth]`` section → a sentence saying how to set it;
- ``proxy``: ``st.user.email`` from the trusted header (``server.trustedUserHeaders``). Streamlit
  must listen on 127.0.0.1 only, or the app shows only the reason it refuses; no email → a refusal.

The person is signed in through :func:`core.services.users.sign_in` (get or create, read-only
after the first visit) and becomes the owner of the run: :func:`core.identity.set_owner` for this
thread, and ``st.session_state`` for widget callbacks, which Streamlit runs before the script —
:func:`install` registers the session lookup as :mod:`core.identity`'s fallback. The owner is
cached per session only with the identity it came from, and the identity is read from ``st.user``
again on every run; nothing comes from the URL or a form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import identity
from core.conf.settings import Settings
from core.i18n import t
from core.identity import NONE, OIDC, PROXY, Identity, Owner
from core.services import users

_OWNER = "charla.owner"  # session state: (identity, owner) of this session


def _claims() -> Mapping[str, Any]:
    try:
        return st.user.to_dict()
    except AttributeError:  # an older Streamlit without to_dict: a plain mapping view
        return {key: st.user.get(key) for key in st.user}


def _session_owner() -> int | None:
    """The owner identified for this session, for code that runs before the script (callbacks)."""
    if get_script_run_ctx() is None:
        return None
    found = st.session_state.get(_OWNER)
    return found[1].id if found else None


def install() -> None:
    identity.set_owner_fallback(_session_owner)


def current() -> Owner | None:
    found = st.session_state.get(_OWNER)
    return found[1] if found else None


def _sign_in_page(lang: str) -> None:
    st.title(t("users.sign_in_title", lang))
    st.write(t("users.sign_in_body", lang))
    st.button(t("users.sign_in", lang), type="primary", icon=":material/login:", on_click=st.login)


def identify(settings: Settings, lang: str) -> Owner | None:
    """The owner of this run, set for the thread; None when nothing may be shown (the sign-in
    page or the reason was drawn)."""
    identity.set_owner(None)
    mode = settings.auth
    if mode == PROXY:
        problem = identity.proxy_address_problem(mode, st.get_option("server.address"))
        if problem is not None:
            st.error(t("users.proxy_not_loopback", lang), icon=":material/gpp_bad:")
            return None
    claims = _claims() if mode != NONE else {}
    if mode == OIDC and "is_logged_in" not in claims:
        st.error(t("users.auth_not_configured", lang), icon=":material/key_off:")
        return None
    who = identity.identity_from_claims(claims, mode)
    if who is None:
        st.session_state.pop(_OWNER, None)
        if mode == OIDC:
            _sign_in_page(lang)
        else:
            st.error(t("users.no_proxy_identity", lang), icon=":material/person_off:")
        return None
    owner = _owner_for(who)
    identity.set_owner(owner.id)
    return owner


def _owner_for(who: Identity) -> Owner:
    found = st.session_state.get(_OWNER)
    if found is not None and found[0] == who:
        return found[1]  # type: ignore[no-any-return]
    owner = users.sign_in(who)
    st.session_state[_OWNER] = (who, owner)
    return owner


def account(settings: Settings, owner: Owner | None, lang: str) -> None:
    """Who is signed in, and Sign out (``oidc``), in the sidebar; nothing in single-user mode."""
    if settings.auth == NONE or owner is None:
        return
    with st.sidebar.container(key="account"):
        st.caption(t("users.signed_in_as", lang, name=owner.label))
        if settings.auth == OIDC:
            st.button(
                t("users.sign_out", lang), key="sign-out", icon=":material/logout:",
                on_click=st.logout,
            )  # fmt: skip
