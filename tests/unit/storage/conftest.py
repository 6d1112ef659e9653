"""The `make_spool` fixture: the spool contract (test_spool*.py) runs on SQLite and on PostgreSQL.

The PostgreSQL half uses the session's database (tests/conftest.py `postgres_url`), migrated, with a site of
the test's own; it skips when PostgreSQL is unreachable locally and fails under CI.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from core.clock import Clock
from core.validation import ReadingValidator
from storage.database import upgrade
from storage.libpq import libpq_dsn
from storage.pg_spool import PgSpool
from storage.spool import Spool
from storage.spool_base import SpoolBase


class MakeSpool(Protocol):
    def __call__(self, validator: ReadingValidator, clock: Clock, *, place: str = "spool", **kw: Any) -> SpoolBase:
        """A spool at `place` (the same place again: the same spool reopened, as after a restart)."""


@pytest.fixture(scope="session")
def spool_dsn(postgres_url: str) -> str:
    """The session's PostgreSQL database, migrated, as a libpq connection string."""
    upgrade(postgres_url)
    return libpq_dsn(postgres_url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def make_spool(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeSpool]:
    opened: list[SpoolBase] = []
    dsn = request.getfixturevalue("spool_dsn") if request.param == "postgresql" else ""
    site = f"spool-{uuid.uuid4().hex[:10]}"  # rows in the shared database never collide with another test's

    def make(validator: ReadingValidator, clock: Clock, *, place: str = "spool", **kw: Any) -> SpoolBase:
        spool: SpoolBase
        if dsn:
            spool = PgSpool(dsn, validator, clock, site_id=f"{site}-{place}", **kw)
        else:
            kw.pop("statement_timeout_s", None)
            spool = Spool(tmp_path / place / "spool.db", validator, clock, **kw)
        opened.append(spool)
        return spool

    yield make
    for spool in opened:
        spool.close()
