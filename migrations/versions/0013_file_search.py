"""Full-text search over files: a message is also found by its files' names and extracted text.

The unit indexed is one *link* (a row of ``message_attachments``): the name the file was given in
that message and the text extracted from it (``attachments.text``; an image has none, only its
name). A file matches a query when its name and text together hold it — so ``informe fotosíntesis``
finds "informe.pdf" whose text speaks of photosynthesis — with the tokenizer and folding of 0008
(case and accents folded the same way on both databases). Only the first
:data:`INDEXED_CHARS` characters of a file's text are indexed, on both databases (PostgreSQL's
``tsvector`` is limited to 1 MB, and SQLite keeps a copy, see below): a word further into a huge
document does not find it.

**SQLite: FTS5 ``message_files_fts(name, text)``**, a table with its own content (a copy of the
name and of the text's indexed part). Not external content: its rows are links, and
``message_attachments`` has no stable integer key (its rowid may change on ``VACUUM``) while an
external-content index must be told the exact old text to forget a row. The FTS rowid is
``message_id * 65536 + position`` (:data:`KEY`): derived from the link's primary key, so the
triggers delete exactly the right row, and ``rowid / 65536`` is the message. Triggers on
``message_attachments`` insert and delete keep it (a message's or a chat's delete cascades to its
links and fires them); attachment rows are immutable once stored, and are only deleted when no
link is left (``prune``), so the link triggers are all it needs. ``messages`` and ``chats`` are not
touched (a batch copy of them would drop 0008's triggers).

**PostgreSQL: ``message_attachments.search_vector``**, a ``tsvector`` with a GIN index: the name
(weight A) followed by the text (weight B), ``simple`` over 0008's ``charla_fold``. Not a generated
column: it needs the attachment's text, another table's, which a generated column cannot read; a
``BEFORE INSERT OR UPDATE`` trigger computes it (attachment rows never change). Concatenating the two
vectors shifts the text's positions past the name's, so a phrase never spans name and text.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENIZER = "unicode61 remove_diacritics 2"  # 0008's
INDEXED_CHARS = 100_000  # 0008's PG_INDEXED_CHARS
KEY = 65536  # FTS rowid = message_id * KEY + position (a message carries at most 10 files)

_SQLITE_ROW = (
    f"{{row}}.message_id * {KEY} + {{row}}.position, {{row}}.name,"
    f" substr((SELECT text FROM attachments WHERE id = {{row}}.attachment_id), 1, {INDEXED_CHARS})"
)


def _sqlite_upgrade() -> None:
    op.execute(
        f"CREATE VIRTUAL TABLE message_files_fts USING fts5(name, text, tokenize='{TOKENIZER}')"
    )
    op.execute(
        "CREATE TRIGGER message_files_fts_insert AFTER INSERT ON message_attachments BEGIN"
        " INSERT INTO message_files_fts(rowid, name, text) VALUES"
        f" ({_SQLITE_ROW.format(row='new')}); END"
    )
    op.execute(
        "CREATE TRIGGER message_files_fts_delete AFTER DELETE ON message_attachments BEGIN"
        f" DELETE FROM message_files_fts WHERE rowid = old.message_id * {KEY} + old.position; END"
    )
    op.execute(
        "CREATE TRIGGER message_files_fts_update AFTER UPDATE ON message_attachments BEGIN"
        f" DELETE FROM message_files_fts WHERE rowid = old.message_id * {KEY} + old.position;"
        f" INSERT INTO message_files_fts(rowid, name, text) VALUES"
        f" ({_SQLITE_ROW.format(row='new')}); END"
    )
    op.execute(
        "INSERT INTO message_files_fts(rowid, name, text)"
        f" SELECT {_SQLITE_ROW.format(row='message_attachments')} FROM message_attachments"
    )


def _postgres_upgrade() -> None:
    op.execute("ALTER TABLE message_attachments ADD COLUMN search_vector tsvector")
    op.execute(
        "CREATE FUNCTION charla_file_vector() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " NEW.search_vector :="
        " setweight(to_tsvector('simple'::regconfig, charla_fold(coalesce(NEW.name, ''))), 'A')"
        " || setweight(to_tsvector('simple'::regconfig, charla_fold(left(coalesce("
        "(SELECT text FROM attachments WHERE id = NEW.attachment_id), ''),"
        f" {INDEXED_CHARS}))), 'B');"
        " RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER message_files_search BEFORE INSERT OR UPDATE OF name, attachment_id"
        " ON message_attachments FOR EACH ROW EXECUTE FUNCTION charla_file_vector()"
    )
    op.execute("UPDATE message_attachments SET name = name")  # the trigger fills the vector
    op.execute(
        "CREATE INDEX ix_message_files_search ON message_attachments USING gin (search_vector)"
    )
    op.execute("ANALYZE message_attachments")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgres_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS message_files_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS message_files_fts")
        return
    op.execute("DROP INDEX IF EXISTS ix_message_files_search")
    op.execute("DROP TRIGGER IF EXISTS message_files_search ON message_attachments")
    op.execute("DROP FUNCTION IF EXISTS charla_file_vector()")
    op.execute("ALTER TABLE message_attachments DROP COLUMN IF EXISTS search_vector")
