"""Alembic environment: the URL comes from storage.database.alembic_config (or alembic.ini for the CLI)."""

from __future__ import annotations

from alembic import context

from storage.database import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no database URL: set FACILITIES_DATABASE_URL")
    engine = make_engine(url)
    with engine.connect() as connection:
        # SQLite cannot ALTER most things in place; batch mode rebuilds tables when a migration needs it.
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=url.startswith("sqlite")
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
