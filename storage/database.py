"""The relational database (work orders, alarm state, outbox, billing): SQLAlchemy engine and schema upgrades.

SQLite by default, PostgreSQL in production. The schema is owned by Alembic (`storage/migrations/`);
`upgrade(url)` brings any database to the newest revision and runs at start-up; it refuses a database that a
newer release migrated (storage.schema_version).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from storage.schema_version import refuse_newer

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
UPGRADE_LOCK = 0x66616369  # "faci": the advisory lock key that serialises schema upgrades on PostgreSQL

# Stable constraint names, so Alembic migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the settings each backend needs (SQLite: WAL, foreign keys, a busy timeout)."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Apply every migration up to `revision` (idempotent).

    Each capability (work orders, API keys, billing …) keeps its migrations on a branch of its own
    from `0001_base`, so "heads" brings all of them up to date. A database newer than the code is refused
    (storage.schema_version.SchemaTooNew) before anything is touched.
    """
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        refuse_newer(engine, ScriptDirectory.from_config(config))
        if engine.dialect.name != "postgresql":
            command.upgrade(config, revision)
            return
        # Replicas starting together upgrade one at a time (a session-level advisory lock on another
        # connection): two concurrent upgrades would both try to create the same tables.
        with engine.connect() as lock:
            lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": UPGRADE_LOCK})
            try:
                command.upgrade(config, revision)
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": UPGRADE_LOCK})
    finally:
        engine.dispose()
