"""Repositories: the only code that queries the database.

Each takes a SQLAlchemy ``Session`` (``MessageRepository(db)`` as in the seed) and never commits:
the caller owns the transaction. They return plain records from :mod:`core.schemas`.
"""
