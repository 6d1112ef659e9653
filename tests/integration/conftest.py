"""Database fixtures shared by the integration tests of every capability that keeps tables."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from storage.database import upgrade
from tests.support.postgres import sqlite_or_postgres


@pytest.fixture(scope="session")
def migrated_postgres(postgres_url: str) -> str:
    """The session's PostgreSQL database with every migration applied."""
    upgrade(postgres_url)
    return postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test runs twice: on a migrated SQLite file of its own and on the shared PostgreSQL database."""
    return sqlite_or_postgres(request, tmp_path, "migrated_postgres")


@pytest.fixture
def site_id() -> str:
    """A site of the test's own, so rows in the shared PostgreSQL database never collide."""
    return f"site-{uuid.uuid4().hex[:10]}"
