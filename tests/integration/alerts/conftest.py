"""Alerts on a migrated SQLite file and on the session's PostgreSQL database, with a local HTTP peer.

The PostgreSQL database is shared by the whole test session, so each test works in a site of its own
(`site_id`) and its rows are deleted afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.channels.base import OutgoingMessage
from alerts.channels.http import WebhookChannel
from alerts.dispatcher import OutboxDispatcher, RetryPolicy
from alerts.facts import PlaceBook
from alerts.handlers import outbox_unit_of_work as OutboxUnitOfWork
from alerts.loading import parse_alerts
from alerts.orm import OutboxRow
from alerts.outbox import AlertOutbox
from alerts.routing import Routing
from core.clock import FakeClock
from storage.database import make_engine, session_factory
from tests.integration.alerts.peers import HttpPeer, http_peer
from tests.unit.workorders.builders import T0, elevator_alarm
from workorders import service

ROUTING = """
locale = "zh-CN"
link = "https://wuye.example.com/workorders/{code}"
state_channels = ["app"]

[channels.app]
type = "mqtt"
topic_prefix = "facilities/test"

[channels.crew-hook]
type = "webhook"
url_env = "CREW_URL"
secret_env = "CREW_SECRET"

[channels.boss-hook]
type = "webhook"
url_env = "BOSS_URL"

[teams.elevator-crew]
name = "电梯运维"
channels = ["crew-hook"]
members = [{ id = "wang", name = "王师傅", phone = "13800000001" }]

[teams.supervisors]
name = "工程主管"
channels = ["boss-hook"]
members = [{ id = "zhou", name = "周主管", phone = "13900000001" }]

[teams.manager]
name = "项目经理"
locale = "en"
channels = ["boss-hook"]
members = [{ id = "wu", name = "Wu", phone = "13900000002" }]

[[rules]]
categories = ["elevator"]
priorities = ["emergency"]
teams = ["elevator-crew"]
escalation = "urgent"
breach_teams = ["supervisors"]

[[rules]]
teams = ["supervisors"]

[escalations.urgent]
steps = [{ after = "3m", teams = ["supervisors"] }, { after = "8m", teams = ["manager"] }]
"""
ROUTING_FILE = parse_alerts(ROUTING)
PLACES = PlaceBook(building_names={"B1": "1"}, default_site_name="湖景花园")


class RecordingChannel:
    """Stands in for the MQTT channel where a test is about the outbox, not the broker."""

    def __init__(self, name: str = "app") -> None:
        self.name = name
        self.sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> None:
        self.sent.append(message)

    def close(self) -> None:
        pass


@dataclass
class Rig:
    """The alerts of one hub on one database, with a fake clock and the HTTP peer behind both webhooks."""

    sessions: sessionmaker[Session]
    clock: FakeClock
    peer: HttpPeer
    site_id: str
    outbox: AlertOutbox = field(init=False)
    app: RecordingChannel = field(default_factory=RecordingChannel)
    dispatchers: list[OutboxDispatcher] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.outbox = AlertOutbox(Routing(ROUTING_FILE), places=PLACES, clock=self.clock)

    def uow(self) -> OutboxUnitOfWork:
        return OutboxUnitOfWork(self.sessions, self.outbox)

    def open_entrapment(self) -> service.OrderRef:
        return service.open_from_alarm(self.uow(), elevator_alarm(site_id=self.site_id), clock=self.clock)

    def dispatcher(self, *, timeout_s: float = 5.0, retry: RetryPolicy | None = None) -> OutboxDispatcher:
        channels = {
            "crew-hook": WebhookChannel("crew-hook", f"{self.peer.url}/crew", clock=self.clock, secret="s3cret",
                                        timeout_s=timeout_s),
            "boss-hook": WebhookChannel("boss-hook", f"{self.peer.url}/boss", clock=self.clock, timeout_s=timeout_s),
            "app": self.app,
        }  # fmt: skip
        dispatcher = OutboxDispatcher(self.sessions, channels, clock=self.clock, retry=retry, sites=[self.site_id])
        self.dispatchers.append(dispatcher)
        return dispatcher

    def rows(self, **where: object) -> list[OutboxRow]:
        with self.sessions() as session:
            query = select(OutboxRow).where(OutboxRow.site_id == self.site_id).order_by(OutboxRow.id)
            return list(session.scalars(query.filter_by(**where)))


@pytest.fixture
def engine(database_url: str, site_id: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    with engine.begin() as conn:
        for table in ("work_orders", "work_order_code_counters", "alert_outbox", "alert_escalations"):
            conn.execute(sa.text(f"DELETE FROM {table} WHERE site_id = :site"), {"site": site_id})  # noqa: S608
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def peer() -> Iterator[HttpPeer]:
    with http_peer() as peer:
        yield peer


@pytest.fixture
def rig(engine: Engine, clock: FakeClock, peer: HttpPeer, site_id: str) -> Iterator[Rig]:
    rig = Rig(session_factory(engine), clock, peer, site_id)
    yield rig
    for dispatcher in rig.dispatchers:
        dispatcher.stop()
