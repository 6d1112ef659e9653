"""Issue 7 evidence: an entrapment reading → alarm → work order → the crew's WeCom group within 2 s, measured;
nobody acknowledges → the supervisors' DingTalk at the escalation step (injected clock).

Everything the hub wires is real here (rules engine, alarm handling, work orders, outbox, dispatcher thread,
HTTP channels) except MQTT ingest and the spool, which tests/e2e cover for the hub as a whole.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from alerts.channels.build import build_channels
from alerts.dispatcher import OutboxDispatcher
from alerts.escalation import run_escalation_check
from alerts.facts import PlaceBook
from alerts.handlers import outbox_unit_of_work as OutboxUnitOfWork
from alerts.loading import parse_alerts
from alerts.outbox import AlertOutbox
from alerts.routing import Routing
from core.clock import FakeClock
from core.reading import FieldValue, Reading
from core.registry import AssetRegistry
from core.site_loader import parse_site
from rules.engine import RuleEngine
from rules.library import effective_rules
from storage.database import make_engine, session_factory, upgrade
from tests.integration.alerts.peers import HttpPeer, http_peer
from tests.unit.core.test_config import MINIMAL
from tests.unit.workorders.builders import T0
from workorders.alarm_policy import AlarmDispatcher

SITE = parse_site(MINIMAL + '[[elevators]]\nid = "L1"\nbuilding = "B1"\nname = "1号梯"\nhighest_floor = 6\n')
ALERTS = """
[channels.crew]
type = "wecom"
url_env = "CREW_WECOM_URL"
[channels.bosses]
type = "dingtalk"
url_env = "BOSS_DINGTALK_URL"
secret_env = "BOSS_DINGTALK_SECRET"
[teams.elevator-crew]
name = "电梯运维"
channels = ["crew"]
members = [{ id = "wang", name = "王师傅", phone = "13800000001" }]
[teams.supervisors]
name = "工程主管"
channels = ["bosses"]
members = [{ id = "zhou", name = "周主管", phone = "13900000001" }]
[[rules]]
categories = ["elevator"]
teams = ["elevator-crew"]
escalation = "urgent"
breach_teams = ["supervisors"]
[[rules]]
teams = ["supervisors"]
[escalations.urgent]
steps = [{ after = "3m", teams = ["supervisors"] }]
"""


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def stuck_car(ts_offset_s: int) -> Reading:
    fields: dict[str, FieldValue] = {"state": "stopped", "door": "closed", "alarm": True, "floor": 3}
    return Reading("L1", T0 + timedelta(seconds=ts_offset_s), fields)


def test_entrapment_reaches_the_crew_within_2_s_and_the_supervisor_at_the_step(engine: Engine) -> None:
    with http_peer() as peer:
        run_scenario(engine, peer)


def run_scenario(engine: Engine, peer: HttpPeer) -> None:
    clock = FakeClock(T0)
    sessions = session_factory(engine)
    routing = Routing(parse_alerts(ALERTS), timezone=SITE.info.timezone)
    environ = {"CREW_WECOM_URL": f"{peer.url}/wecom?key=k", "BOSS_DINGTALK_URL": f"{peer.url}/ding?access_token=t"}
    channels = build_channels(routing.file, environ={**environ, "BOSS_DINGTALK_SECRET": "SECx"}, clock=clock)
    dispatcher = OutboxDispatcher(sessions, channels, clock=clock, sites=[SITE.id], poll_interval_s=5)
    outbox = AlertOutbox(routing, places=PlaceBook.from_site(SITE), clock=clock)

    def uow_factory() -> OutboxUnitOfWork:
        return OutboxUnitOfWork(sessions, outbox, on_commit=dispatcher.wake)

    rules = effective_rules(SITE.rules, use_builtin=SITE.use_builtin_rules)
    rule_engine = RuleEngine(rules, SITE, clock)
    alarms = AlarmDispatcher(
        rules=rules, registry=AssetRegistry.from_site(SITE), uow_factory=uow_factory, clock=clock,
        zone=ZoneInfo(SITE.info.timezone),
    )  # fmt: skip
    dispatcher.start()
    try:
        assert rule_engine.on_readings([stuck_car(0)]) == []  # alarm pressed, doors shut: 30 s to go
        clock.set(T0 + timedelta(seconds=30))
        started = time.monotonic()
        alarms.work_orders(rule_engine.on_readings([stuck_car(30)]))  # the triggering reading
        assert peer.wait_for(1, timeout=2.0), "the crew's alert did not arrive within 2 s"
        elapsed = time.monotonic() - started
        [crew] = peer.requests
        assert crew.path == "/wecom"
        assert crew.json()["markdown"]["content"].startswith("**【紧急】困人 · L1**\n工单 WO-")
        print(f"entrapment reading → crew's WeCom group in {elapsed * 1000:.0f} ms")
        assert elapsed < 2.0

        clock.set(T0 + timedelta(seconds=30) + timedelta(minutes=3) - timedelta(microseconds=1))
        assert run_escalation_check(uow_factory=uow_factory, clock=clock) == 0
        clock.advance(timedelta(microseconds=1))
        assert run_escalation_check(uow_factory=uow_factory, clock=clock) == 1
        assert peer.wait_for(2, timeout=2.0), "the supervisors' alert did not arrive"
        boss = peer.requests[1]
        assert (boss.path, boss.query["access_token"]) == ("/ding", ["t"])
        assert boss.json()["markdown"]["title"] == "【升级】3 分钟无人接单 · 困人 · L1"
        assert boss.json()["at"]["atMobiles"] == ["13900000001"]
    finally:
        dispatcher.stop()
