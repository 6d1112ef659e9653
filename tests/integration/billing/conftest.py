"""A migrated database per test (SQLite file, or the session's PostgreSQL) and a site id of the test's own.

Final statements cannot be deleted (that is the point), so tests on the shared PostgreSQL database never
clean up; each bills a site of its own instead, and the database is dropped with the session.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from core.site import Site
from storage.database import make_engine, session_factory
from tests.unit.billing.sample import make_site


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Any]]:
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def site() -> Site:
    return make_site(f"site-{uuid.uuid4().hex[:10]}")
