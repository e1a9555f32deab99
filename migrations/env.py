"""Alembic environment: migrates the database named by ``sqlalchemy.url`` (set by
``core.conf.db.init_db``) or, from the command line, by ``DATABASE_URL`` / ``.env``."""

from __future__ import annotations

from alembic import context

from core.conf.db import create_db_engine
from core.conf.settings import get_settings
from core.models import Base, exists_on
from core.rollups import ANSWER_BUCKETS  # noqa: F401  (the rollups join the metadata)

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or get_settings().database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_db_engine(
        config.get_main_option("sqlalchemy.url") or get_settings().database_url
    )
    try:
        with engine.connect() as connection:
            # render_as_batch: SQLite can only ALTER tables by copying them; batch mode does that.
            dialect = connection.dialect.name
            if dialect == "sqlite":
                # Copying a table drops the old one, and with foreign keys on SQLite first deletes
                # its rows, cascading into every table that refers to it: the copy included. So
                # keys are off while migrating (SQLite ignores this pragma inside a transaction:
                # it goes to the driver before SQLAlchemy begins one), and checked at the end.
                connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=True,
                include_object=lambda obj, *_: exists_on(obj, dialect),
            )
            with context.begin_transaction():
                context.run_migrations()
                if dialect == "sqlite":
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
