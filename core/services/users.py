"""People: signing in (get or create the user behind an identity), the admin's usage list, and
handing the single-user history to a signed-in person.

:func:`sign_in` is what ``ui/`` calls with the identity it read from ``st.user``; it returns the
:class:`~core.identity.Owner` whose id the page then sets as the current owner. It reads first and
writes only for a new person, new details or a stale ``last_seen_at`` (so reruns stay read-only).
An admin is a person whose email is in ``CHARLA_ADMINS``; admins see who uses Charla and how much,
never anyone's chats.
"""

from __future__ import annotations

from core.conf.db import session_scope
from core.conf.settings import get_settings
from core.errors import AdminsOnly, InputError
from core.identity import LOCAL, LOCAL_IDENTITY, Identity, Owner, current_owner_id
from core.models import User
from core.repositories.users import UserRepository, UserUsage

__all__ = ["UserUsage", "claim_local", "current_is_admin", "sign_in", "usage"]


def _owner(user: User) -> Owner:
    admins = get_settings().admins
    email = (user.email or "").lower()
    return Owner(
        id=user.id,
        email=user.email,
        name=user.name,
        is_admin=bool(email) and email in admins,
        is_local=user.issuer == LOCAL,
    )


def sign_in(identity: Identity) -> Owner:
    """The person behind ``identity`` (created on their first visit)."""
    with session_scope() as db:
        repo = UserRepository(db)
        user = repo.find(identity)
        if not repo.needs_write(user, identity):
            assert user is not None
            return _owner(user)
    with session_scope(write=True) as db:
        return _owner(UserRepository(db).sign_in(identity))


def current_is_admin() -> bool:
    """Whether the current owner (set for this run) is an admin."""
    owner = current_owner_id()
    if owner is None:
        return False
    with session_scope() as db:
        user = db.get(User, owner)
        return user is not None and _owner(user).is_admin


def usage() -> list[UserUsage]:
    """Everyone and their usage counts: for admins only (refused otherwise)."""
    if not current_is_admin():
        raise AdminsOnly()
    with session_scope() as db:
        return UserRepository(db).usage()


def claim_local(email: str) -> int:
    """Give the single-user history (the local user's chats, tags and settings) to the person
    who signed in with ``email``; returns how many chats moved."""
    with session_scope(write=True) as db:
        repo = UserRepository(db)
        found = repo.by_email(email)
        if not found:
            raise InputError("users.no_such_person", email=email)
        if len(found) > 1:
            raise InputError("users.several_people", email=email, count=len(found))
        local = repo.sign_in(LOCAL_IDENTITY)
        return repo.hand_over(local.id, found[0].id)
