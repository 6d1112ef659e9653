"""Work orders on a migrated SQLite file and on the session's PostgreSQL database.

The PostgreSQL database is shared by the whole test session, so each test works in a site of its own
(`site_id`) and its rows are deleted afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from storage.database import make_engine, session_factory
from workorders.unit_of_work import SqlAlchemyUnitOfWork


@pytest.fixture
def engine(database_url: str, site_id: str) -> Iterator[Engine]:
    # Room for the 20 concurrent writers of the concurrency tests, each with its own connection.
    options = {"pool_size": 25, "max_overflow": 5} if database_url.startswith("postgresql") else {}
    engine = make_engine(database_url, **options)
    yield engine
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM work_orders WHERE site_id = :site"), {"site": site_id})
        conn.execute(sa.text("DELETE FROM work_order_code_counters WHERE site_id = :site"), {"site": site_id})
    engine.dispose()


@pytest.fixture
def uow(engine: Engine) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(session_factory(engine))


@pytest.fixture
def postgres_engine(migrated_postgres: str, site_id: str) -> Iterator[Engine]:
    engine = make_engine(migrated_postgres, pool_size=25, max_overflow=5)
    yield engine
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM work_orders WHERE site_id = :site"), {"site": site_id})
        conn.execute(sa.text("DELETE FROM work_order_code_counters WHERE site_id = :site"), {"site": site_id})
    engine.dispose()
