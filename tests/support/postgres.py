"""Databases of a test's own on the machine's PostgreSQL: created empty, dropped afterwards (even if in use)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from storage.database import upgrade

POSTGRES_ADMIN_URL = os.environ.get("FACILITIES_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def sqlalchemy_url(dsn: str) -> str:
    """The psycopg DSN as a SQLAlchemy URL (psycopg 3 driver)."""
    return dsn.replace("postgresql://", "postgresql+psycopg://", 1)


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A new database named `prefix_<random>`; yields its psycopg DSN. Unreachable: skip, or fail under CI."""
    psycopg = pytest.importorskip("psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_or_postgres(request: pytest.FixtureRequest, tmp_path: Path, postgres_fixture: str) -> str:
    """For a fixture parametrized ["sqlite", "postgresql"]: a migrated SQLite file of the test's own, or the URL
    the named PostgreSQL fixture gives."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue(postgres_fixture)
        return url
    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    return url
