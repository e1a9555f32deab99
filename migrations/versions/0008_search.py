"""Full-text search: an index over every message's content and reasoning and every chat's title.

Case and accents are folded on both databases ("FOTOSINTESIS" finds "fotosíntesis" and the
reverse); what counts as a word is the same on both (letters and digits; punctuation, symbols and
emoji separate words), so a query means the same thing on SQLite and on PostgreSQL.

**SQLite: FTS5.** ``messages_fts`` (columns ``content``, ``reasoning``) and ``chats_fts``
(``title``) are *external-content* FTS5 tables: they keep only the index, not a second copy of the
text, and read the text from ``messages`` / ``chats`` by rowid when asked. Tokenizer
``unicode61 remove_diacritics 2`` (case and accents folded, combining marks too). Triggers keep
them in step with every write path — insert, every progressive save of a streaming answer, the
final save, edits, deletes of a message, a version or a whole chat (the cascade fires them too) —
so no repository code can forget one. The update triggers fire only when the text changed (the
final save of an answer rewrites the row with the same text). An external-content index must be
told the *old* text of a row it forgets, which the triggers have (``old.*``); that is also why a
later migration that rebuilds ``messages`` or ``chats`` the batch way (copy and rename, SQLite's
only way to alter most things) must drop these triggers first and recreate them and
``'rebuild'`` the index after. No prefix index (``prefix=``): measured on 1M messages it tripled
the index for prefixes of one exact length only.

**PostgreSQL: tsvector + GIN.** ``messages.search_vector`` and ``chats.search_vector`` are stored
generated columns — the database recomputes them on every insert and update, nothing else to keep
in sync — with GIN indexes. Stored rather than an expression index: measured on 1M messages, an
expression index recomputes the vector for every row it must recheck (a phrase, a walk of the
newest rows) and a phrase query took 566 ms instead of 10. The configuration is ``simple`` (no
stemming, no stop words: English and Spanish alike) over :func:`charla_fold`, an ``IMMUTABLE``
SQL function (a generated column and an index may only call immutable functions; ``unaccent``
itself is only ``STABLE`` because its rules file could change, so it is called with its
dictionary named explicitly, the documented safe form) that removes accents and turns
punctuation, symbols and emoji into spaces. The latter matters in a database created with the C
locale (this project's test clusters): PostgreSQL's parser then treats every non-ASCII character as
a letter, so "“quoted”" or "great👍" would be single words. Content and reasoning are weighted A and
B (ranking counts reasoning less) and each contributes its first 100,000 characters: a
``tsvector`` is limited to 1 MB, and a message as long as a book must still be storable.
``unaccent`` is a trusted extension (PostgreSQL 13+); where it cannot be created, the function
folds no accents and search still works (like 0003 with ``pg_trgm``).

The trigram indexes of 0003 are dropped: the History filter now uses this index, nothing runs
``ILIKE '%…%'`` any more, and they cost 142 MB per million messages and time on every write
(figures in the README). The downgrade puts them back (when ``pg_trgm`` is there).

Building the index for an existing database takes about 6 s per million messages on SQLite and
about a minute on PostgreSQL (the table is rewritten once to add the columns).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

TOKENIZER = "unicode61 remove_diacritics 2"
PG_INDEXED_CHARS = 100_000
# Replaced by spaces before PostgreSQL parses text into words: ASCII punctuation and symbols,
# Latin-1 punctuation and signs, general punctuation, arrows, mathematical and technical symbols,
# box drawing, dingbats, CJK and full-width punctuation, variation selectors and emoji.
PG_SEPARATORS = (
    r"[!-/:-@\[-`{-~\u00a0-\u00a9\u00ab-\u00b1\u00b4\u00b6-\u00b8\u00bb\u00bf\u00d7\u00f7"
    r"\u2000-\u2bff\u2e00-\u2e7f\u3000-\u303f\ufe00-\ufe0f\ufe30-\ufe4f\uff01-\uff0f"
    r"\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\U0001f000-\U0001faff]"
)


def _sqlite_index(table: str, columns: Sequence[str]) -> list[str]:
    """The FTS5 table over ``table``'s ``columns`` and the triggers that keep it current."""
    fts = f"{table}_fts"
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns)
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id',"
        f" tokenize='{TOKENIZER}')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN"
        f" INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN"
        f" INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {cols} ON {table} WHEN {changed} BEGIN"
        f" INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});"
        f" INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def _sqlite_upgrade() -> None:
    for statement in _sqlite_index("messages", ("content", "reasoning")) + _sqlite_index(
        "chats", ("title",)
    ):
        op.execute(statement)


def _unaccent_schema(bind: sa.Connection) -> str | None:
    """The schema holding ``unaccent`` (created if needed), or None where it cannot be had."""
    try:
        with bind.begin_nested():  # a savepoint: a refusal must not abort the migration
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
    except sa.exc.DBAPIError as exc:
        log.warning("unaccent is not available (%s); search will not fold accents", exc.orig)
        return None
    return bind.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        " WHERE e.extname = 'unaccent'"
    ).scalar_one()


def _postgres_upgrade() -> None:
    bind = op.get_bind()
    schema = _unaccent_schema(bind)
    folded = (
        f'"{schema}".unaccent(\'"{schema}".unaccent\'::regdictionary, value)'
        if schema
        else "value"
    )
    op.execute(
        "CREATE FUNCTION charla_fold(value text) RETURNS text"
        " LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE"
        f" AS $$ SELECT regexp_replace({folded}, '{PG_SEPARATORS}', ' ', 'g') $$"
    )

    def vector(column: str) -> str:
        return (
            "to_tsvector('simple'::regconfig,"
            f" charla_fold(left(coalesce({column}, ''), {PG_INDEXED_CHARS})))"
        )

    op.execute(
        "ALTER TABLE messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS"
        f" (setweight({vector('content')}, 'A') || setweight({vector('reasoning')}, 'B')) STORED"
    )
    op.execute(
        "ALTER TABLE chats ADD COLUMN search_vector tsvector GENERATED ALWAYS AS"
        f" ({vector('title')}) STORED"
    )
    op.execute("CREATE INDEX ix_messages_search ON messages USING gin (search_vector)")
    op.execute("CREATE INDEX ix_chats_search ON chats USING gin (search_vector)")
    op.execute("DROP INDEX IF EXISTS ix_messages_content_trgm")
    op.execute("DROP INDEX IF EXISTS ix_chats_title_trgm")
    op.execute("ANALYZE messages")
    op.execute("ANALYZE chats")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgres_upgrade()


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in ("messages", "chats"):
            for trigger in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{trigger}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
        return
    op.execute("DROP INDEX IF EXISTS ix_messages_search")
    op.execute("DROP INDEX IF EXISTS ix_chats_search")
    op.execute("ALTER TABLE messages DROP COLUMN IF EXISTS search_vector")
    op.execute("ALTER TABLE chats DROP COLUMN IF EXISTS search_vector")
    op.execute("DROP FUNCTION IF EXISTS charla_fold(text)")
    # unaccent stays: other things may use it, and it costs nothing unused.
    trgm = bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first()
    if trgm is not None:
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_messages_content_trgm ON messages"
            " USING gin (content gin_trgm_ops)"
        )
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_chats_title_trgm ON chats USING gin (title gin_trgm_ops)"
        )
