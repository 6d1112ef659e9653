"""Builds the API over real temporary adapters: the example site, an EmbeddedStore, a Spool, SQLite keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, Gauge

from access.roles import Role
from api.app import create_app
from api.keys_crud import create_key, revoke_key
from api.keys_table import ApiKey
from api.ports import ApiDependencies, HealthCheck, SessionFactory
from core.clock import FakeClock
from core.registry import AssetRegistry
from core.site import Site
from core.site_loader import load_site
from core.validation import ReadingValidator
from storage.database import make_engine, session_factory, upgrade
from storage.embedded import EmbeddedStore
from storage.spool import Spool
from storage.store import ReadingStore
from tests.conftest import EXAMPLE_SITE

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
CREW_TEAM = "water"


@dataclass
class Api:
    app: FastAPI
    client: TestClient
    deps: ApiDependencies
    clock: FakeClock
    spool: Spool
    sessions: SessionFactory
    keys: dict[Role, str]  # one valid key per role
    key_ids: dict[Role, int]

    def as_role(self, role: Role) -> dict[str, str]:
        return {"X-API-Key": self.keys[role]}

    def new_key(self, role: Role, name: str = "extra", team: str | None = None) -> tuple[int, str]:
        with self.sessions() as session:
            row, secret = create_key(session=session, role=role, name=name, team=team, now=self.clock.now())
            return row.id, secret

    def revoked_key(self, role: Role = Role.STAFF) -> str:
        key_id, secret = self.new_key(role, "to be revoked")
        with self.sessions() as session:
            row = session.get_one(ApiKey, key_id)
            revoke_key(session=session, key=row, now=self.clock.now())
        return secret


def spool_depth_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    Gauge("facilities_spool_depth", "Readings waiting in the spool", registry=registry).set(7)
    return registry


@contextmanager
def running_api(
    folder: Path,
    *,
    database_url: str | None = None,
    site: Site | None = None,
    store: ReadingStore | None = None,
    health_checks: Mapping[str, HealthCheck] | None = None,
    exiting: Callable[[], str | None] | None = None,
) -> Iterator[Api]:
    """The API with one key per role; everything it opened is closed afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{folder}/facilities.db"
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    site = site or load_site(EXAMPLE_SITE)
    registry = AssetRegistry.from_site(site)
    clock = FakeClock(NOW)
    embedded = EmbeddedStore(folder / "readings.db")
    spool = Spool(folder / "spool.db", ReadingValidator(registry, clock), clock)
    deps = ApiDependencies(
        site=site,
        registry=registry,
        store=store or embedded,
        dead_letters=spool,
        session_factory=sessions,
        health_checks=health_checks if health_checks is not None else {"database": lambda: (True, "answered")},
        metrics=spool_depth_registry(),
        clock=clock,
        health_timeout_s=1.0,
        exiting=exiting,
    )
    app = create_app(deps)
    keys: dict[Role, str] = {}
    key_ids: dict[Role, int] = {}
    with sessions() as session:
        for role in Role:
            # The crew key works for the water team (a crew key works its own team's orders: access.orders).
            team = CREW_TEAM if role is Role.CREW else None
            row, keys[role] = create_key(session=session, role=role, name=f"{role.value} key", team=team, now=NOW)
            key_ids[role] = row.id
    try:
        with TestClient(app) as client:
            yield Api(app, client, deps, clock, spool, sessions, keys, key_ids)
    finally:
        spool.close()
        embedded.close()
        engine.dispose()
