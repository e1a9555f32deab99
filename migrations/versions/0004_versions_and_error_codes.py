"""Versions (messages form a tree, with the selected branch marked) and errors stored as codes.

- ``messages.parent_id``, ``depth`` and ``selected``: every existing chat becomes one branch, each
  message following the one before it (by id), all of them selected. Nothing is lost or moved.
- ``messages.error_code`` / ``error_params``: new answers store why they failed as a text key and
  its parameters, translated when shown. Existing rows keep their English ``error`` text, except
  the ``interrupted`` marker, which was a code all along and becomes ``error.interrupted``.
- ``chats.own_settings``: a chat now either follows the app defaults or has complete settings of
  its own (a field left empty there goes to the server). Chats that had some settings of their
  own get the rest filled from the saved defaults, exactly what their requests carried so far.
- Indexes for the selected branch and for a message's versions.

Parents and depths are computed by the database with window functions (SQLite 3.25+, PostgreSQL),
one statement for the whole table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LINEAR = """
WITH ordered AS (
    SELECT id,
           LAG(id) OVER (PARTITION BY chat_id ORDER BY id) AS parent,
           ROW_NUMBER() OVER (PARTITION BY chat_id ORDER BY id) - 1 AS position
    FROM messages
)
UPDATE messages SET parent_id = ordered.parent, depth = ordered.position
FROM ordered WHERE messages.id = ordered.id
"""


# What the app sent before this revision when nothing said otherwise (core.vocab at the time).
_SYSTEM_PROMPT = "You are a helpful, concise assistant."
_COLUMNS = ("model", "system_prompt", "temperature", "max_tokens")
_OPTIONS = ("top_p", "top_k", "repeat_penalty", "seed", "stop")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _own_settings_complete() -> None:
    """Chats with settings of their own: fill what they left to the defaults from the defaults."""
    bind = op.get_bind()
    defaults = {
        row.key: _json(row.value)
        for row in bind.execute(sa.text("SELECT key, value FROM app_settings"))
    }
    defaults.setdefault("system_prompt", None)
    if defaults["system_prompt"] is None:
        defaults["system_prompt"] = _SYSTEM_PROMPT
    chats = bind.execute(
        sa.text(
            "SELECT id, model, system_prompt, temperature, max_tokens, options FROM chats"
            " WHERE model IS NOT NULL OR system_prompt IS NOT NULL OR temperature IS NOT NULL"
            " OR max_tokens IS NOT NULL OR options IS NOT NULL"
        )
    ).all()
    for chat in chats:
        values = {name: getattr(chat, name) for name in _COLUMNS}
        for name in _COLUMNS:
            if values[name] is None and name != "model":
                values[name] = defaults.get(name)
        options = dict(_json(chat.options) or {})
        for name in _OPTIONS:
            if options.get(name) is None and defaults.get(name) is not None:
                options[name] = defaults[name]
        bind.execute(
            sa.text(
                "UPDATE chats SET own_settings = :own, system_prompt = :system_prompt,"
                " temperature = :temperature, max_tokens = :max_tokens, options = :options"
                " WHERE id = :id"
            ),
            {**values, "own": True, "options": json.dumps(options) if options else None,
             "id": chat.id},
        )


def upgrade() -> None:
    op.add_column(
        "chats",
        sa.Column("own_settings", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _own_settings_complete()
    op.add_column("messages", sa.Column("parent_id", sa.Integer(), nullable=True))
    # SQLite adds a foreign key only by copying the table (batch mode); migrations/env.py turns
    # SQLite's foreign keys off while migrating, or dropping the old table would cascade.
    with op.batch_alter_table("messages") as batch:
        batch.create_foreign_key(
            "fk_messages_parent_id_messages",
            "messages",
            ["parent_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.add_column(
        "messages", sa.Column("depth", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "messages", sa.Column("selected", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column("messages", sa.Column("error_code", sa.String(64), nullable=True))
    op.add_column("messages", sa.Column("error_params", sa.JSON(), nullable=True))
    op.create_index("ix_messages_branch", "messages", ["chat_id", "selected", "id"])
    op.create_index("ix_messages_parent", "messages", ["chat_id", "parent_id", "id"])
    op.execute(_LINEAR)
    op.execute(
        "UPDATE messages SET error_code = 'error.interrupted', error = NULL"
        " WHERE error = 'interrupted'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE messages SET error = 'interrupted' WHERE error_code = 'error.interrupted'"
    )
    op.drop_index("ix_messages_parent", "messages")
    op.drop_index("ix_messages_branch", "messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint("fk_messages_parent_id_messages", type_="foreignkey")
        batch.drop_column("error_params")
        batch.drop_column("error_code")
        batch.drop_column("selected")
        batch.drop_column("depth")
        batch.drop_column("parent_id")
    op.drop_column("chats", "own_settings")
