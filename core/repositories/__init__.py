"""Repositories: the only code that queries the database.

Each takes a SQLAlchemy ``Session`` (``MessageRepository(db)`` as in the seed) and never commits:
the caller owns the transaction. They return plain records from :mod:`core.schemas`.
"""

from __future__ import annotations

from typing import Final

# Bulk UPDATEs skip SQLAlchemy's identity-map synchronisation (the default "auto" costs a large
# share of every write). Sessions here are short and records are built from fresh reads, so no
# caller sees a stale object.
NO_SYNC: Final = {"synchronize_session": False}
