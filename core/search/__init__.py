"""Full-text search, the parts that need no database: the query language (:mod:`.query`) and the
snippets with the matched words marked (:mod:`.snippets`).

The database side lives where every query lives, in :mod:`core.repositories.search` (SQLite FTS5,
PostgreSQL ``tsvector``; the index itself is built by migration 0008), and the use cases the pages
and the CLI call are in :mod:`core.services.search`.
"""
