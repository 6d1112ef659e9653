"""Each part's health check, one test per degraded or failing state, on real spools and an injected clock."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from alerts.dispatcher import OutboxDispatcher
from alerts.orm import DeliveryStatus, OutboxRow
from collectors.modbus.collector import ModbusPoller
from collectors.modbus.devices import devices_from_site
from collectors.mqtt.collector import MqttCollector, MqttOptions, OwnTopicDecoder
from core.clock import FakeClock
from core.health import HealthState
from core.ports import SinkUnavailable
from core.reading import Reading
from core.registry import AssetRegistry
from core.site_loader import parse_site
from core.validation import ReadingValidator
from facilities.health import (
    HealthPolicy,
    devices_check,
    mqtt_check,
    outbox_check,
    rules_check,
    spool_check,
    store_check,
    threads_check,
)
from facilities.supervisor import Policy, Supervisor
from rules.engine import RuleEngine
from rules.events import AlarmEvent as Event
from rules.library import effective_rules
from rules.worker import RulesWorker
from storage.points import Point
from storage.spool import Spool
from storage.store import StoreUnavailable
from storage.writer import SpoolWriter
from tests.support.services import wait_until
from tests.unit.core.test_config import MINIMAL

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
SITE = parse_site(
    MINIMAL
    + '[[elevators]]\nid = "L1"\nbuilding = "B1"\nhighest_floor = 6\n'
    + '[[meters]]\nid = "PUMP-E"\nutility = "electricity"\narea = "lobby"\n'
    + 'binding = { protocol = "modbus", host = "127.0.0.1", port = 1, device_id = 1, profile = "eastron_sdm120" }\n'
)
REGISTRY = AssetRegistry.from_site(SITE)
POLICY = HealthPolicy()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


def open_spool(tmp_path: Path, clock: FakeClock, **kw: object) -> Spool:
    return Spool(tmp_path / "spool.db", ReadingValidator(REGISTRY, clock), clock, **kw)  # type: ignore[arg-type]


def meter(n: int) -> Reading:
    return Reading("B1-0101-W", NOW - timedelta(minutes=n), {"total": float(n)})


class FailingSink:
    """A fake of our own ReadingSink port whose file is full."""

    def accept_many(self, messages: Sequence[tuple[Sequence[Reading], str]]) -> int:
        raise SinkUnavailable("spool /data/spool.db: database or disk is full")

    def reject(self, *, source: str, payload: bytes, error: str) -> None:
        raise SinkUnavailable("spool /data/spool.db: database or disk is full")


def collector(sink: object, clock: FakeClock) -> MqttCollector:
    return MqttCollector(MqttOptions(port=1), OwnTopicDecoder("demo"), sink, clock)  # type: ignore[arg-type]


def message(n: int) -> tuple[str, bytes]:
    return "facilities/demo/B1-0101-W/telemetry", f'{{"total": {n}}}'.encode()


# ── mqtt ──────────────────────────────────────────────────────────────────────────────────────────────


def test_mqtt_is_degraded_while_reconnecting_then_failing_after_the_grace(clock: FakeClock) -> None:
    check = mqtt_check(collector(FailingSink(), clock), clock, POLICY)
    clock.advance(timedelta(seconds=10))
    answer = check()
    assert answer.state is HealthState.DEGRADED and "not connected to the broker 127.0.0.1:1 for 10 s" in answer.detail
    clock.advance(timedelta(seconds=21))
    assert check().state is HealthState.FAILING
    assert check().figures["connected"] is False


def test_mqtt_is_failing_while_the_spool_cannot_take_messages(clock: FakeClock) -> None:
    mqtt = collector(FailingSink(), clock)
    mqtt.health.connected = True  # as _on_connect leaves it; no broker is needed for the sink's side
    acks: list[int] = []
    mqtt.offer(*message(1), lambda: acks.append(1))
    assert not mqtt.flush() and acks == []  # nothing acknowledged: the broker keeps the message
    answer = mqtt_check(mqtt, clock, POLICY)()
    assert answer.state is HealthState.FAILING
    assert "database or disk is full" in answer.detail and answer.figures["pending_messages"] == 1


def test_mqtt_is_degraded_when_connected_but_silent(tmp_path: Path, clock: FakeClock) -> None:
    spool = open_spool(tmp_path, clock)
    mqtt = collector(spool, clock)
    mqtt.health.connected = True
    mqtt.offer(*message(1), lambda: None)
    assert mqtt.flush()
    check = mqtt_check(mqtt, clock, POLICY)
    assert check().state is HealthState.OK
    clock.advance(timedelta(minutes=16))
    answer = check()
    assert (answer.state, answer.detail) == (HealthState.DEGRADED, "connected, but no message for 960 s")


def test_mqtt_is_degraded_while_the_spool_is_full(tmp_path: Path, clock: FakeClock) -> None:
    spool = open_spool(tmp_path, clock, max_readings=1)
    spool.accept_many([([meter(9)], "earlier")])
    mqtt = collector(spool, clock)
    mqtt.health.connected = True
    mqtt.offer(*message(1), lambda: None)
    assert not mqtt.flush()
    assert mqtt_check(mqtt, clock, POLICY)().state is HealthState.DEGRADED
    assert spool_check(spool, clock, POLICY)().state is HealthState.FAILING


# ── spool ─────────────────────────────────────────────────────────────────────────────────────────────


def test_spool_is_degraded_when_nearly_full(tmp_path: Path, clock: FakeClock) -> None:
    spool = open_spool(tmp_path, clock, max_readings=10)
    spool.accept_many([([meter(n)], "m") for n in range(8)])
    assert spool_check(spool, clock, POLICY)().state is HealthState.OK
    spool.accept_many([([meter(8)], "m")])
    answer = spool_check(spool, clock, POLICY)()
    assert (answer.state, answer.detail, answer.figures["depth"]) == (HealthState.DEGRADED, "9 of 10 readings", 9)


def test_spool_is_failing_when_its_file_cannot_be_written(tmp_path: Path, clock: FakeClock) -> None:
    spool = open_spool(tmp_path, clock)
    spool._db.execute("PRAGMA query_only = ON")  # what a read-only file system does to every write
    with pytest.raises(SinkUnavailable):
        spool.accept_many([([meter(1)], "m")])
    clock.advance(timedelta(seconds=42))
    answer = spool_check(spool, clock, POLICY)()
    assert answer.state is HealthState.FAILING and answer.detail.startswith("cannot write for 42 s")
    spool._db.execute("PRAGMA query_only = OFF")
    spool.accept_many([([meter(1)], "m")])
    assert spool_check(spool, clock, POLICY)().state is HealthState.OK


# ── store ─────────────────────────────────────────────────────────────────────────────────────────────


class DownStore:
    """A fake of our own ReadingStore port (write side) that is down until told otherwise."""

    def __init__(self) -> None:
        self.up = False
        self.points: list[Point] = []

    def write(self, points: Sequence[Point]) -> None:
        if not self.up:
            raise StoreUnavailable("InfluxDB at http://influx:8086 unreachable: connection refused")
        self.points.extend(points)


def test_store_is_degraded_while_writes_fail_and_ok_once_one_succeeds(tmp_path: Path, clock: FakeClock) -> None:
    spool, store = open_spool(tmp_path, clock), DownStore()
    writer = SpoolWriter(spool, store, REGISTRY, clock=clock)  # type: ignore[arg-type]
    spool.accept_many([([meter(1)], "m")])
    with pytest.raises(StoreUnavailable):
        writer.drain_once()
    writer._failed(StoreUnavailable("InfluxDB at http://influx:8086 unreachable: connection refused"))
    answer = store_check(writer, spool, clock, POLICY)()
    assert answer.state is HealthState.DEGRADED and "connection refused" in answer.detail
    assert answer.figures["error_age_seconds"] == 0.0
    store.up = True
    assert writer.drain_once() == 1
    writer._ok()
    assert store_check(writer, spool, clock, POLICY)().state is HealthState.OK


def test_store_is_degraded_when_the_oldest_unwritten_reading_is_old(tmp_path: Path, clock: FakeClock) -> None:
    spool = open_spool(tmp_path, clock)
    writer = SpoolWriter(spool, DownStore(), REGISTRY, clock=clock)  # type: ignore[arg-type]
    spool.accept_many([([meter(1)], "m")])
    clock.advance(timedelta(minutes=6))
    answer = store_check(writer, spool, clock, POLICY)()
    assert (answer.state, answer.detail) == (HealthState.DEGRADED, "the oldest unwritten reading waits for 360 s")


# ── rules ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass
class FakeAlarmDispatcher:
    """A fake of our own alarm → work order port whose database is down."""

    down: bool = True

    def work_orders(self, events: Sequence[Event]) -> None:
        if self.down:
            raise ConnectionError("database at postgresql://db/facilities unreachable")

    def annotations(self, events: Sequence[Event]) -> list[Point]:
        return []


def rules_worker(spool: Spool, clock: FakeClock, dispatcher: FakeAlarmDispatcher) -> RulesWorker:
    engine = RuleEngine(effective_rules((), use_builtin=True), SITE, clock, autosave=False)
    return RulesWorker(spool, engine, dispatcher, lambda _: None, clock=clock)  # type: ignore[arg-type]


def test_rules_are_failing_while_alarms_cannot_reach_work_orders(tmp_path: Path, clock: FakeClock) -> None:
    spool = open_spool(tmp_path, clock, consumers=("store", "rules"))
    dispatcher = FakeAlarmDispatcher()
    worker = rules_worker(spool, clock, dispatcher)
    spool.accept_many([([Reading("L1", NOW, {"fault_code": 7, "state": "stopped"})], "m")])
    worker.step()
    clock.advance(timedelta(seconds=30))
    assert worker.step() == 0  # nothing new is judged while delivery fails
    answer = rules_check(worker, spool, clock, POLICY)()
    assert answer.state is HealthState.FAILING
    assert answer.detail.startswith("alarms cannot reach work orders for 30 s: ConnectionError")
    dispatcher.down = False
    worker.step()
    assert rules_check(worker, spool, clock, POLICY)().state is HealthState.OK


def test_rules_are_degraded_when_readings_wait_to_be_judged(tmp_path: Path, clock: FakeClock) -> None:
    spool = open_spool(tmp_path, clock, consumers=("store", "rules"))
    worker = rules_worker(spool, clock, FakeAlarmDispatcher(down=False))
    spool.accept_many([([meter(n)], "m") for n in range(3)])
    clock.advance(timedelta(seconds=61))
    answer = rules_check(worker, spool, clock, POLICY)()
    assert (answer.state, answer.figures["lag_readings"]) == (HealthState.DEGRADED, 3)
    worker.step()
    assert rules_check(worker, spool, clock, POLICY)().state is HealthState.OK


# ── outbox ────────────────────────────────────────────────────────────────────────────────────────────


def outbox_row(n: int, status: DeliveryStatus, created_at: datetime) -> OutboxRow:
    return OutboxRow(
        idempotency_key=f"k{n}", site_id="demo", work_order_id=None, work_order_code=f"WO-{n}", kind="alert",
        level=0, team="elevator-crew", personal=False, channel="app", recipients=[], locale="zh-CN",
        title="困人", body="", facts={}, status=status.value, attempts=1, created_at=created_at,
        next_attempt_at=created_at, last_attempt_at=None, delivered_at=None, last_error=None,
    )  # fmt: skip


def test_outbox_is_degraded_when_an_alert_waits_or_failed(
    sqlite_sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    dispatcher = OutboxDispatcher(sqlite_sessions, {}, clock=clock)
    check = outbox_check(sqlite_sessions, dispatcher, "demo", clock, POLICY)
    assert check().state is HealthState.OK
    with sqlite_sessions() as session:
        session.add(outbox_row(1, DeliveryStatus.PENDING, NOW))
        session.commit()
    clock.advance(timedelta(minutes=6))
    answer = check()
    assert (answer.state, answer.figures["pending"]) == (HealthState.DEGRADED, 1)
    assert answer.detail == "1 alerts waiting, the oldest for 360 s"
    with sqlite_sessions() as session:
        session.get(OutboxRow, 1).status = DeliveryStatus.DELIVERED.value  # type: ignore[union-attr]
        session.add(outbox_row(2, DeliveryStatus.FAILED, clock.now()))
        session.commit()
    answer = check()
    assert (answer.state, answer.detail) == (HealthState.DEGRADED, "1 alerts failed for good in 24 h")
    clock.advance(timedelta(hours=25))
    assert check().state is HealthState.OK


def test_outbox_is_failing_while_dispatch_rounds_fail(tmp_path: Path, clock: FakeClock) -> None:
    from storage.database import make_engine, session_factory

    broken = session_factory(make_engine(f"sqlite:///{tmp_path}/no-tables.db"))
    dispatcher = OutboxDispatcher(broken, {}, clock=clock, poll_interval_s=0.01)
    dispatcher.start()
    try:
        wait_until(lambda: dispatcher.error is not None, "a failed dispatch round", 5)
    finally:
        dispatcher.stop()
    answer = outbox_check(broken, dispatcher, "demo", clock, POLICY)
    with pytest.raises(Exception, match="no such table"):
        answer()  # the check itself cannot count either: /health turns this into failing
    assert "no such table" in (dispatcher.error or "")


# ── devices and threads ──────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Outcome:
    device: object
    ts: datetime
    values: dict[str, float]
    problems: tuple[str, ...]


def test_devices_are_degraded_when_one_is_offline(clock: FakeClock) -> None:
    devices = devices_from_site(SITE)
    poller = ModbusPoller(devices, FailingSink(), clock)
    check = devices_check([poller])
    assert check().state is HealthState.OK  # not polled yet is not offline
    poller.report(Outcome(devices[0], NOW, {}, ("timeout after 1.0 s",)))  # type: ignore[arg-type]
    answer = check()
    assert (answer.state, answer.detail) == (HealthState.DEGRADED, "1 of 1 polled devices offline: PUMP-E")


class InjectedFault(BaseException):
    pass


def test_threads_are_degraded_after_a_restart_and_failing_when_the_hub_exits(clock: FakeClock) -> None:
    supervisor = Supervisor(clock, policies={"writer": Policy.RESTART, "rules": Policy.EXIT}, restart_delay_s=0)
    runs: list[int] = []
    release = threading.Event()

    def crashes_once() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise InjectedFault("disk bug")
        release.wait(10)

    supervisor.spawn("writer", crashes_once)
    wait_until(lambda: len(runs) == 2, "the restart", 5)
    answer = threads_check(supervisor)()
    assert answer.state is HealthState.DEGRADED
    assert answer.detail == "restarted after a crash: writer (1×, last: InjectedFault: disk bug)"

    def dies() -> None:
        raise InjectedFault("engine bug")

    supervisor.spawn("rules", dies).join(5)
    answer = threads_check(supervisor)()
    assert (answer.state, answer.detail) == (
        HealthState.FAILING,
        "exiting: thread rules died: InjectedFault: engine bug",
    )
