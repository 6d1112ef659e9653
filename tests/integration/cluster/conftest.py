"""Lease tables in a database of this module's own: live_replicas() and owners() read the whole table, so no other
test's rows may be there. PostgreSQL is the target; the LeaseBook tests also run on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from cluster.leases import LeaseBook, engine_options
from core.clock import FakeClock
from storage.database import make_engine, session_factory, upgrade
from tests.support.postgres import sqlalchemy_url, sqlite_or_postgres, throwaway_database
from tests.support.servers import free_port

TTL = timedelta(seconds=10)
START = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def cluster_postgres() -> Iterator[str]:
    with throwaway_database("facilities_cluster") as dsn:
        url = sqlalchemy_url(dsn)
        upgrade(url)
        yield url


@pytest.fixture
def postgres_url(cluster_postgres: str) -> Iterator[str]:
    """The module's PostgreSQL database, its lease tables emptied for this test."""
    engine = make_engine(cluster_postgres)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM site_leases"))
        conn.execute(sa.text("DELETE FROM replicas"))
    engine.dispose()
    return cluster_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def lease_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The lease tests on SQLite and on the module's PostgreSQL database (its lease tables emptied)."""
    return sqlite_or_postgres(request, tmp_path, "postgres_url")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


class Books:
    """LeaseBooks on one database, each replica with an engine of its own (as separate processes would have)."""

    def __init__(self, url: str, clock: FakeClock) -> None:
        self.url = url
        self.clock = clock
        self.engines: list[sa.Engine] = []
        self._sessions: dict[str, sessionmaker[Session]] = {}

    def sessions(self) -> sessionmaker[Session]:
        engine = make_engine(self.url, **engine_options(self.url, TTL))
        self.engines.append(engine)
        return session_factory(engine)

    def book(self, replica_id: str, url: str = "") -> LeaseBook:
        sessions = self._sessions[replica_id] = self.sessions()
        return LeaseBook(sessions, replica_id, self.clock, ttl=TTL, url=url)

    def cut_off(self, book: LeaseBook) -> None:
        """Point the book's sessions at a port where nothing listens: every call now fails to connect."""
        engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere")
        self.engines.append(engine)
        self._sessions[book.replica_id].configure(bind=engine)

    def reconnect(self, book: LeaseBook) -> None:
        """Undo cut_off: the book reaches the database again."""
        engine = make_engine(self.url, **engine_options(self.url, TTL))
        self.engines.append(engine)
        self._sessions[book.replica_id].configure(bind=engine)

    def close(self) -> None:
        for engine in self.engines:
            engine.dispose()


@pytest.fixture
def books(lease_url: str, clock: FakeClock) -> Iterator[Books]:
    made = Books(lease_url, clock)
    yield made
    made.close()


@pytest.fixture
def pg_books(postgres_url: str, clock: FakeClock) -> Iterator[Books]:
    made = Books(postgres_url, clock)
    yield made
    made.close()
