"""The API with the web console, as the hub wires it: real database, embedded store, alerts outbox, fake clock.

Shared by the console's integration tests (TestClient) and its browser tests (a live uvicorn server):
accounts for the service centre, an elevator crew member and a plumber; an elevator vibration alarm
whose readings are in the store; alerts routed by the example routing file and signed per recipient.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.facts import PlaceBook
from alerts.handlers import outbox_unit_of_work as OutboxUnitOfWork
from alerts.loading import parse_alerts
from alerts.orm import OutboxRow
from alerts.outbox import AlertOutbox
from alerts.routing import Routing
from api.app import create_app
from api.ports import ApiDependencies
from api.workorder_deps import WORK_ORDER_CONFLICTS
from console.access import ConsoleConfig
from console.pages import mount_console
from console.users import create_user
from core.clock import FakeClock
from core.reading import Reading
from core.registry import AssetRegistry
from core.site import Site
from core.site_loader import load_site
from core.validation import ReadingValidator
from maintenance.loading import parse_maintenance
from maintenance.runtime import MaintenanceRuntime
from patrols.config import load_patrols
from storage.database import make_engine, session_factory, upgrade
from storage.embedded import EmbeddedStore
from storage.photos import PhotoStore
from storage.points import to_point
from storage.spool import Spool
from tests.conftest import EXAMPLE_SITE
from workorders import service
from workorders.alarms import AlarmFacts
from workorders.events import WorkOrderEvent as Event
from workorders.values import Category

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
MAINTENANCE_FILE = Path(EXAMPLE_SITE).parent / "maintenance.toml"
SECRET = "console-test-secret-0123456789abcdef"
PASSWORD = "correct horse battery"
# Accounts: (username, display name, role, alerts team).
STAFF = ("lina", "李娜", "staff", None)
CREW = ("wang", "王师傅", "crew", "elevator-crew")
PLUMBER = ("zhao", "赵师傅", "crew", "plumbing-crew")
ACCOUNTS = (STAFF, CREW, PLUMBER)

ROUTING = """
locale = "zh-CN"
link = "{{base}}/console/orders/{{code}}"

[channels.crew-sms]
type = "webhook"
url = "{peer}/sms"

[teams.elevator-crew]
name = "电梯运维"
channels = ["crew-sms"]
members = [{{ id = "wang", name = "王师傅", phone = "13800000001" }}]

[teams.plumbing-crew]
name = "水电班"
channels = ["crew-sms"]
members = [{{ id = "zhao", name = "赵师傅", phone = "13800000002" }}]

[teams.service-centre]
name = "客服中心"
channels = ["crew-sms"]
members = [{{ id = "lina", name = "李娜", phone = "13800000003" }}]

[[rules]]
categories = ["elevator"]
teams = ["elevator-crew"]

[[rules]]
categories = ["plumbing"]
teams = ["plumbing-crew"]

[[rules]]
teams = ["service-centre"]
"""


def login_data(client: TestClient, **fields: str) -> dict[str, str]:
    """The sign-in form's fields as a browser sends them: its CSRF token (and cookie) from the page first."""
    page = client.get("/console/login")
    found = re.search(r'name="csrf" value="([^"]*)"', page.text)
    assert page.status_code == 200 and found is not None, page.text
    return {"csrf": html.unescape(found.group(1)), **fields}


@dataclass
class ConsoleRig:
    app: FastAPI
    deps: ApiDependencies
    clock: FakeClock
    sessions: sessionmaker[Session]
    store: EmbeddedStore
    site: Site
    config: ConsoleConfig
    outbox: AlertOutbox
    events: list[Event] = field(default_factory=list)

    def uow(self) -> OutboxUnitOfWork:
        return OutboxUnitOfWork(self.sessions, self.outbox)

    def point_links_at(self, base_url: str, peer_url: str = "http://127.0.0.1:9") -> None:
        """Alerts link to `base_url` (the live server); messages would go to `peer_url`."""
        file = parse_alerts(ROUTING.format(peer=peer_url))
        self.outbox.routing = Routing(file, timezone="Asia/Shanghai", base_url=base_url)

    def vibration_order(self, *, asset_id: str = "B1-L1", peak: float = 0.42) -> service.OrderRef:
        """An elevator running rough: 30 min of readings around 0.12 m/s², then a climb past the 0.30 limit."""
        info = AssetRegistry.from_site(self.site).get(asset_id)
        raised = self.clock.now() - timedelta(minutes=2)
        readings = []
        for second in range(-30 * 60, 60, 10):
            ts = raised + timedelta(seconds=second)
            value = 0.12 + (0.0 if second < -60 else (peak - 0.12) * (second + 60) / 60)
            readings.append(Reading(asset_id, ts, {"vibration": round(min(value, peak), 3), "state": "moving"}))
        self.store.write([to_point(r, info) for r in readings])
        alarm = AlarmFacts(
            rule_id="elevator-vibration-limit",
            asset_id=asset_id,
            severity="major",
            raised_at=raised,
            message="电梯振动超标：0.42 m/s² 高于 0.30",
            evidence={"field": "vibration", "value": peak, "limit": 0.30, "clear": 0.25, "at": raised.isoformat()},
            site_id=self.site.id,
            building_id=info.tags.get("building"),
            category=Category.ELEVATOR,
            title="电梯振动超标",
        )
        return service.open_from_alarm(self.uow(), alarm, clock=self.clock)

    def alerts(self, **where: Any) -> list[OutboxRow]:
        with self.sessions() as session:
            query = select(OutboxRow).where(OutboxRow.kind == "alert").filter_by(**where).order_by(OutboxRow.id)
            return list(session.scalars(query))

    def link_for(self, code: str, member_id: str) -> str:
        """The link the alert about `code` carries for `member_id` (as the SMS gateway would receive it)."""
        for row in self.alerts(work_order_code=code):
            for recipient in row.recipients:
                if recipient["id"] == member_id and recipient.get("link"):
                    return str(recipient["link"])
        raise AssertionError(f"no alert about {code} carries a link for {member_id}")


@contextmanager
def console_rig(
    folder: Path, *, database_url: str | None = None, base_url: str = "http://hub.test"
) -> Iterator[ConsoleRig]:
    folder.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{folder}/facilities.db"
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    site = load_site(EXAMPLE_SITE)
    registry = AssetRegistry.from_site(site)
    clock = FakeClock(NOW)
    store = EmbeddedStore(folder / "readings.db")
    spool = Spool(folder / "spool.db", ReadingValidator(registry, clock), clock)
    config = ConsoleConfig.from_secret(SECRET, link_ttl=timedelta(hours=72))
    file = parse_alerts(ROUTING.format(peer="http://127.0.0.1:9"))
    routing = Routing(file, timezone="Asia/Shanghai", base_url=base_url)
    outbox = AlertOutbox(routing, places=PlaceBook.from_site(site), clock=clock, links=config.links)
    patrols = load_patrols(EXAMPLE_SITE.parent / "patrols.toml", site)
    photos = PhotoStore.in_folder(folder, max_bytes=2 * 1024 * 1024)  # one store: checklists and patrols
    maintenance = MaintenanceRuntime(
        parse_maintenance(MAINTENANCE_FILE.read_text(encoding="utf-8"), site, source=str(MAINTENANCE_FILE)), photos
    )
    config = ConsoleConfig(
        links=config.links,
        sessions=config.sessions,
        routing=routing,
        maintenance=maintenance,
        patrols=patrols,
        photos=photos,
    )
    events: list[Event] = []
    holder: dict[str, ConsoleRig] = {}
    deps = ApiDependencies(
        site=site,
        registry=registry,
        store=store,
        dead_letters=spool,
        session_factory=sessions,
        health_checks={},
        metrics=CollectorRegistry(),
        clock=clock,
        work_order_events=events.append,
        order_teams=routing.teams_for,
        uow_factory=lambda: holder["rig"].uow(),
        device_adopter=lambda adoption, unique_id: None,  # the matrix checks access; tests/e2e adopt for real
    )
    app = mount_console(create_app(deps, conflicts=WORK_ORDER_CONFLICTS), config)
    with sessions() as session:
        for username, name, role, team in ACCOUNTS:
            create_user(session, username=username, display_name=name, role=role, password=PASSWORD, team=team, now=NOW)
        session.commit()
    rig = holder["rig"] = ConsoleRig(app, deps, clock, sessions, store, site, config, outbox, events)
    try:
        yield rig
    finally:
        spool.close()
        store.close()
        engine.dispose()
