"""SQLite: a prefix searched as the words that start with it (the vocabulary of migration 0014).

FTS5 merges the row lists of every word starting with a prefix before it returns a row (18–22 ms
on 1M messages for a common prefix, whatever the ``LIMIT``), while it walks an ``OR`` of words
lazily, newest first (under 2 ms for 28 words). So before a search whose query has a prefix,
:func:`expansions` turns each prefix into the words of ``search_terms`` that start with it, and
:func:`core.search.query.fts5_match` writes ``("local streams" OR "local streaming")`` instead of
``"local strea" *``. A prefix that starts more than :data:`MAX_WORDS` words (one or two letters
in a large history) keeps FTS5's own prefix query: a long ``OR`` costs more than the merge.

Two things make the expansion exact:

- **The same words.** The prefix is cut into words by FTS5 itself (a temporary FTS5 table with the
  index's tokenizer, read through ``fts5vocab``), not by Python: "Straße" is ``straße`` to FTS5
  and ``strasse`` to :func:`core.search.query.fold`. Writing to a temporary table needs no lock
  on the database (it works while another process writes).
- **A current vocabulary.** :func:`fold_vocabulary` first adds the words of messages newer than
  ``folded_through`` and of those whose text changed since (``search_terms_pending``, kept by a
  trigger), tokenized the same way, in a short write transaction of its own; it does nothing when
  nothing changed (one read). Words of deleted messages stay; a word nobody holds matches nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from core.search.query import Term

TOKENIZER = "unicode61 remove_diacritics 2"  # migration 0008's
MAX_WORDS = 64  # a prefix with more words than this keeps FTS5's own prefix query
HIGHEST = "\U0010ffff"  # sorts after every word that starts with a given prefix (UTF-8 order)

_SCRATCH = (  # for the words of one piece of text, in order (kept by the connection)
    f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.charla_words USING fts5(body, tokenize='{TOKENIZER}')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.charla_words_at"
    " USING fts5vocab(temp, charla_words, instance)",
)
# For the words of many messages: no copy of the text, no positions (only the list of words is
# read), and dropped after use — deleting from an FTS5 table tokenizes the text again.
_FOLD = (
    "DROP TABLE IF EXISTS temp.charla_fold_words",
    "DROP TABLE IF EXISTS temp.charla_fold",
    "CREATE VIRTUAL TABLE temp.charla_fold USING fts5(body, content='', detail=none,"
    f" columnsize=0, tokenize='{TOKENIZER}')",
    "CREATE VIRTUAL TABLE temp.charla_fold_words USING fts5vocab(temp, charla_fold, row)",
)


def _scratch(db: Session | Connection) -> None:
    """This connection's temporary FTS5 table (FTS5's tokenizer, for text outside the index)."""
    for statement in _SCRATCH:
        db.execute(text(statement))


def pending(db: Session) -> bool:
    """Whether the vocabulary lacks some message's words (new messages or changed text)."""
    return bool(
        db.execute(
            text(
                "SELECT coalesce((SELECT max(id) FROM messages), 0) > folded_through"
                " OR EXISTS (SELECT 1 FROM search_terms_pending) FROM search_terms_state"
            )
        ).scalar()
    )


def fold_vocabulary(db: Session) -> int:
    """Add the words of new and changed messages to ``search_terms`` (``db`` must be a write
    session: SQLite's write lock makes the fold atomic); how many messages were read."""
    folded = int(db.execute(text("SELECT folded_through FROM search_terms_state")).scalar_one())
    newest = int(db.execute(text("SELECT coalesce(max(id), 0) FROM messages")).scalar_one())
    for statement in _FOLD:
        db.execute(text(statement))
    read = db.execute(
        text(
            "INSERT INTO temp.charla_fold (rowid, body)"
            " SELECT id, coalesce(content, '') || ' ' || coalesce(reasoning, '') FROM messages"
            " WHERE id > :folded OR id IN (SELECT message_id FROM search_terms_pending)"
        ),
        {"folded": folded},
    ).rowcount  # type: ignore[attr-defined]
    db.execute(text("INSERT OR IGNORE INTO search_terms (term) SELECT term FROM charla_fold_words"))
    db.execute(text("DROP TABLE temp.charla_fold_words"))
    db.execute(text("DROP TABLE temp.charla_fold"))
    db.execute(text("DELETE FROM search_terms_pending"))
    db.execute(text("UPDATE search_terms_state SET folded_through = :n"), {"n": newest})
    return int(read or 0)


def tokens(db: Session, value: str) -> list[str]:
    """``value`` cut into words by FTS5's tokenizer, in order (what the index would store)."""
    _scratch(db)
    db.execute(text("INSERT INTO temp.charla_words (rowid, body) VALUES (1, :v)"), {"v": value})
    words = list(
        db.execute(
            text("SELECT term FROM temp.charla_words_at WHERE doc = 1 ORDER BY offset")
        ).scalars()
    )
    db.execute(text("DELETE FROM temp.charla_words"))
    return words


def words_starting(db: Session, prefix: str) -> list[str]:
    """The vocabulary's words that start with ``prefix`` (at most ``MAX_WORDS + 1``)."""
    return list(
        db.execute(
            text("SELECT term FROM search_terms WHERE term >= :low AND term < :high LIMIT :n"),
            {"low": prefix, "high": prefix + HIGHEST, "n": MAX_WORDS + 1},
        ).scalars()
    )


def expansions(db: Session, terms: Iterable[Term]) -> dict[Term, list[tuple[str, ...]]]:
    """For each prefix term, the phrases (FTS5 words) it stands for: its words with the last one
    replaced by each vocabulary word starting with it. A term left out keeps FTS5's own prefix
    query: too many words, or none (then FTS5 finds nothing either, as cheaply)."""
    found: dict[Term, list[tuple[str, ...]]] = {}
    for term in terms:
        if not term.prefix:
            continue
        words = tokens(db, term.text)
        if not words:
            continue
        complete = words_starting(db, words[-1])
        if 0 < len(complete) <= MAX_WORDS:
            found[term] = [(*words[:-1], word) for word in complete]
    return found
