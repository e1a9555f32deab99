"""Who is this? The identity of a session and the owner every chat query is scoped by.

``CHARLA_AUTH`` (``.env``) chooses where an identity comes from:

- ``none`` (default): one person, no sign-in. Everything belongs to the **local** user
  (issuer ``local``, subject ``local``), created by the migration that introduced owners.
- ``oidc``: Streamlit's own sign-in (``st.login()``); a person is the pair ``(iss, sub)`` of the
  ID token, with its email and name for display.
- ``proxy``: a reverse proxy that authenticated the person sets a header that Streamlit maps into
  ``st.user`` (``server.trustedUserHeaders``, e.g. ``X-Forwarded-Email`` → ``email``). The issuer
  is ``proxy`` and the subject the lower-cased email. Anyone who reaches Streamlit directly could
  forge that header, so the app refuses to run in this mode unless it listens on 127.0.0.1 only
  (:func:`proxy_address_problem`).

Only ``ui/`` reads ``st.user``: it turns those claims into an :class:`Identity` with
:func:`identity_from_claims` (this module never imports streamlit), signs the person in
(:func:`core.services.users.sign_in`: get or create the user row) and sets the **current owner**
for the script run (:func:`set_owner`). The owner is a context variable: Streamlit runs each
session's script in its own thread, so one session's owner never leaks into another's; an answer's
worker thread starts with a copy of the context of the run that asked for it
(:mod:`core.services.workers`). Nothing ever takes an owner from the request (a URL, a form).

Without an owner set, :mod:`core.repositories.scope` falls back to the local user in mode ``none``
(the CLI, scripts, tests) and refuses (:class:`~core.errors.NotSignedIn`) in the other modes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final

NONE: Final = "none"
OIDC: Final = "oidc"
PROXY: Final = "proxy"
LOCAL: Final = "local"  # issuer and subject of the single-user install's person
PROXY_ISSUER: Final = "proxy"
LOOPBACK: Final = "127.0.0.1"


@dataclass(frozen=True)
class Identity:
    """A person as the sign-in vouches for them: ``(issuer, subject)`` is the key."""

    issuer: str
    subject: str
    email: str | None = None
    name: str | None = None


LOCAL_IDENTITY: Final = Identity(LOCAL, LOCAL, None, LOCAL)


@dataclass(frozen=True)
class Owner:
    """A signed-in person as the pages see them."""

    id: int
    email: str | None
    name: str | None
    is_admin: bool = False
    is_local: bool = False

    @property
    def label(self) -> str:
        return self.name or self.email or LOCAL


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def identity_from_claims(claims: Mapping[str, Any], mode: str) -> Identity | None:
    """The identity in ``st.user``'s claims for ``mode``, or None when there is none (not signed
    in, or the proxy sent no email). Mode ``none`` is always the local user."""
    if mode == NONE:
        return LOCAL_IDENTITY
    if mode == OIDC:
        issuer, subject = _text(claims.get("iss")), _text(claims.get("sub"))
        if not claims.get("is_logged_in") or issuer is None or subject is None:
            return None
        return Identity(issuer, subject, _text(claims.get("email")), _text(claims.get("name")))
    if mode == PROXY:
        email = _text(claims.get("email"))
        if email is None:
            return None
        return Identity(PROXY_ISSUER, email.lower(), email, _text(claims.get("name")))
    raise ValueError(f"unknown auth mode {mode!r}")


def proxy_address_problem(mode: str, address: str | None) -> str | None:
    """Why the app must not start: in ``proxy`` mode Streamlit must listen on 127.0.0.1 only
    (``server.address``), or anyone reaching its port could forge the identity header."""
    if mode != PROXY or address == LOOPBACK:
        return None
    return (
        "CHARLA_AUTH=proxy trusts an identity header, so Streamlit must listen on 127.0.0.1 only "
        f"(server.address is {address or 'unset, which means every address'}): start it with "
        "--server.address 127.0.0.1 and let the proxy be the only way in."
    )


_owner: ContextVar[int | None] = ContextVar("charla_owner", default=None)
_fallback: Callable[[], int | None] | None = None


def set_owner(owner_id: int | None) -> None:
    """The owner of everything this thread (a session's script run) reads and writes."""
    _owner.set(owner_id)


def set_owner_fallback(lookup: Callable[[], int | None] | None) -> None:
    """Where to find the owner when none is set for this thread: ``ui/`` registers its session
    lookup, because Streamlit runs widget callbacks before the script that identifies the person
    (the lookup returns None outside a session)."""
    global _fallback
    _fallback = lookup


def current_owner_id() -> int | None:
    owner = _owner.get()
    if owner is None and _fallback is not None:
        owner = _fallback()
    return owner


@contextmanager
def acting_as(owner_id: int | None) -> Iterator[None]:
    """Run a block as ``owner_id`` (the CLI, tests, a worker), then restore the previous owner."""
    token = _owner.set(owner_id)
    try:
        yield
    finally:
        _owner.reset(token)
