"""A site of the test's own (unique id in the shared PostgreSQL), its maintenance file, and a planner rig."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from alerts.config import Calendar
from alerts.facts import PlaceBook
from alerts.handlers import outbox_unit_of_work
from alerts.loading import load_alerts
from alerts.outbox import AlertOutbox
from alerts.routing import Routing
from core.clock import FakeClock
from core.registry import AssetRegistry
from core.site import Site
from core.site_loader import parse_site
from maintenance.loading import Maintenance, parse_maintenance
from maintenance.planner import Planner
from storage.database import make_engine, session_factory
from storage.embedded import EmbeddedStore
from workorders.events import WorkOrderEvent
from workorders.unit_of_work import UnitOfWork

ROOT = Path(__file__).resolve().parents[3]
# Start: Monday 2026-01-05 08:00 in Shanghai.
T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
HOLIDAYS = (date(2026, 1, 1), *(date(2026, 2, 15) + timedelta(days=i) for i in range(9)),
            *(date(2026, 10, 1) + timedelta(days=i) for i in range(7)))  # fmt: skip
CALENDAR = Calendar(holidays=HOLIDAYS, workdays=(date(2026, 2, 14), date(2026, 2, 28), date(2026, 10, 10)))


def own_site() -> Site:
    text = (ROOT / "examples/site.toml").read_text(encoding="utf-8")
    return parse_site(text.replace('id = "lakeview"', f'id = "mt-{uuid.uuid4().hex[:10]}"', 1))


@dataclass
class Rig:
    site: Site
    maintenance: Maintenance
    sessions: sessionmaker[Session]
    clock: FakeClock
    store: EmbeddedStore
    events: list[WorkOrderEvent] = field(default_factory=list)

    def uow(self) -> UnitOfWork:
        routing = Routing(load_alerts(ROOT / "examples/alerts.toml"), timezone=self.site.info.timezone)
        outbox = AlertOutbox(routing, places=PlaceBook.from_site(self.site), clock=self.clock)
        return outbox_unit_of_work(self.sessions, outbox)

    def planner(self) -> Planner:
        return Planner(self.maintenance, self.uow, self.clock, calendar=CALENDAR, store=self.store,
                       registry=AssetRegistry.from_site(self.site), publish=self.events.append)  # fmt: skip

    def outbox(self, team: str) -> list[tuple[str, str, str]]:
        with self.sessions() as s:
            query = sa.text("SELECT work_order_code, kind, title FROM alert_outbox WHERE site_id = :s AND team = :t "
                            "ORDER BY id")  # fmt: skip
            return [(r[0], r[1], r[2]) for r in s.execute(query, {"s": self.site.id, "t": team})]


def make_rig(database_url: str, tmp_path: Path, maintenance_text: str | None = None) -> Iterator[Rig]:
    site = own_site()
    text = maintenance_text or (ROOT / "examples/maintenance.toml").read_text(encoding="utf-8")
    maintenance = parse_maintenance(text, site, source="maintenance.toml")
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    with EmbeddedStore(tmp_path / "readings.db") as store:
        yield Rig(site, maintenance, sessions, FakeClock(T0), store)
    # The PostgreSQL database is shared: leave no order of ours open, or another test's SLA check would breach it.
    with sessions() as session:
        session.execute(
            sa.text("UPDATE work_orders SET status = 'cancelled', cancelled_at = opened_at, cancel_reason = 'test' "
                    "WHERE site_id = :site AND status IN ('open', 'acknowledged', 'on_site')"),
            {"site": site.id},
        )  # fmt: skip
        session.commit()
    engine.dispose()


@pytest.fixture
def rig(database_url: str, tmp_path: Path) -> Iterator[Rig]:
    yield from make_rig(database_url, tmp_path)
