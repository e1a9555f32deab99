"""SQLite: the full-text index's words in a plain table, so a prefix is searched as its words.

**Why.** FTS5 answers a prefix (``strea*``) by merging the row lists of *every* word that starts
with it into one list in memory before it returns the first row, whatever ``LIMIT``, rowid range
or order the query asks: on 1M messages 18–22 ms for a prefix found in 580,000 of them (SQLite
3.51 is no faster). A prefix index (FTS5 ``prefix=``) serves only prefixes of the exact lengths
configured and costs about a whole index per length. An ``OR`` of words, instead, FTS5 walks
lazily, newest first, and stops at the ``LIMIT``: the same prefix as the OR of its words took
0.07 ms. :mod:`core.repositories.search_terms` expands a prefix into the words the index holds
that start with it, read from ``search_terms`` (a range of a B-tree), and keeps FTS5's own prefix
query for a prefix with too many words (one or two letters).

**The vocabulary.** FTS5's own list of its words (an ``fts5vocab`` table) reads the row list of
every word it lists (18 ms for "streams"), so it cannot be asked at search time. ``search_terms``
is filled from it here, once; from then on it is *folded forward* before a prefix is searched:
the messages after ``search_terms_state.folded_through`` (new ones) and those listed in
``search_terms_pending`` (a trigger lists a message whose content or reasoning changed: every
progressive save of an answer, an edit through ``update_message``) are tokenized by FTS5 itself
(a temporary FTS5 table with the index's tokenizer), so a word means exactly what it means in the
index. Words of messages deleted since stay: a word that no message holds any more matches
nothing. New messages cost nothing here (they are found by id); a changed text costs one row in
``search_terms_pending``.

PostgreSQL needs none of this: its GIN index answers a prefix (``'strea':*``) by a range of its
sorted words (18 ms at 1M with everything else of a search), so nothing is created there.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANGED = "old.content IS NOT new.content OR old.reasoning IS NOT new.reasoning"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TABLE search_terms (term TEXT PRIMARY KEY) WITHOUT ROWID")
    op.execute("CREATE TABLE search_terms_pending (message_id INTEGER PRIMARY KEY)")
    op.execute("CREATE TABLE search_terms_state (folded_through INTEGER NOT NULL)")
    op.execute(
        "CREATE TRIGGER search_terms_changed AFTER UPDATE OF content, reasoning ON messages"
        f" WHEN {CHANGED} BEGIN"
        " INSERT OR IGNORE INTO search_terms_pending (message_id) VALUES (new.id); END"
    )
    # Every word the index holds today (fts5vocab reads them all once), up to the newest message.
    op.execute(
        "CREATE VIRTUAL TABLE temp.messages_fts_words USING fts5vocab(main, messages_fts, row)"
    )
    op.execute("INSERT INTO search_terms (term) SELECT term FROM temp.messages_fts_words")
    op.execute("DROP TABLE temp.messages_fts_words")
    op.execute(
        "INSERT INTO search_terms_state (folded_through)"
        " SELECT coalesce(max(id), 0) FROM messages"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS search_terms_changed")
    for table in ("search_terms_state", "search_terms_pending", "search_terms"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
