"""The hub through faults (issue 16): started while InfluxDB is down it still raises alarms, opens orders and
sends alerts, then stores exactly what was published; an exception injected into each of its threads gives
the documented outcome (restart, or exit with the reason)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import text

from core.health import HealthState
from core.settings import Settings
from core.site_loader import parse_site
from facilities.bootstrap import bootstrap as build_hub
from facilities.hub import Hub, run_until_stopped
from tests.support.mqtt import publish
from tests.support.servers import free_port
from tests.support.services import Influxd, Mosquitto, wait_until
from tests.unit.core.test_config import MINIMAL

pytestmark = pytest.mark.e2e
ALERTS = Path(__file__).resolve().parents[2] / "examples" / "alerts-demo.toml"
SITE = parse_site(
    MINIMAL
    + '[[elevators]]\nid = "L1"\nbuilding = "B1"\nhighest_floor = 6\n'
    + '[[elevators]]\nid = "L2"\nbuilding = "B1"\nhighest_floor = 6\n'
    + '[[meters]]\nid = "PUMP-E"\nutility = "electricity"\narea = "lobby"\n'
    + 'binding = { protocol = "modbus", host = "127.0.0.1", port = 1, device_id = 1, profile = "eastron_sdm120" }\n'
    # The readings are stamped with the wall clock and their totals rise fast: between 02:00 and 05:00 in the
    # site's zone the built-in 長流水 rule (night flow) would rightly open plumbing orders these tests do not
    # count, so the site turns that rule off (a site rule with a built-in's id replaces it).
    + '[[rules]]\nid = "water-running"\nkind = "continuous_flow"\nenabled = false\nrising_for = "6h"\n'
    + 'window = { start = "02:00", end = "05:00", above = 0.02 }\n'
)
METERS = sorted(m for m in SITE.meters if m.endswith("-W"))
NOW = int(time.time())


class InjectedFault(BaseException):
    """Escapes every `except Exception` of our loops, as a bug or worse would."""


class AlertInbox:
    """The elevator crew's phone: every alert message on the demo routing's MQTT channel."""

    def __init__(self, port: int) -> None:
        self.messages: list[dict[str, Any]] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="crew-phone", protocol=mqtt.MQTTv311)
        subscribed = threading.Event()
        self.client.on_message = lambda _c, _u, m: self.messages.append(json.loads(m.payload))
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.subscribe("facilities/lakeview/alerts/#", qos=1)
        self.client.loop_start()
        assert subscribed.wait(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def settings_for(tmp_path: Path, mosquitto: Mosquitto, **kw: Any) -> Settings:
    return Settings(
        mqtt_url=mosquitto.url,
        mqtt_client_id="hub-faults",
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path}/facilities.db",
        alerts_file=ALERTS,
        **kw,
    )


def fault(asset: str, code: int) -> tuple[str, bytes | str | dict[str, object]]:
    return f"facilities/demo/{asset}/telemetry", {"fault_code": code, "state": "stopped", "floor": 3}


def meter_messages(start: int, count: int) -> list[tuple[str, bytes | str | dict[str, object]]]:
    return [
        (f"facilities/demo/{METERS[n % len(METERS)]}/telemetry", {"ts": NOW - 3000 + n, "total": 100.0 + n})
        for n in range(start, start + count)
    ]


def orders(hub: Hub) -> list[tuple[str, str, str]]:
    with hub.sessions() as session:
        rows = session.execute(text("SELECT asset_id, rule_id, category FROM work_orders ORDER BY asset_id"))
        return [tuple(row) for row in rows]  # type: ignore[misc]


def influx_count(influxd: Influxd, measurement: str, field: str) -> int:
    try:
        rows = influxd.query(f'SELECT count("{field}") FROM "{measurement}"', db="hubfaults")  # noqa: S608
    except RuntimeError:  # the database does not exist yet
        return 0
    return int(rows[0]["count"]) if rows else 0  # type: ignore[call-overload]


def test_started_while_influxdb_is_down_alarms_orders_and_alerts_still_work(
    tmp_path: Path, mosquitto: Mosquitto, influxd: Influxd
) -> None:
    influxd.stop()
    hub = build_hub(settings_for(tmp_path, mosquitto, influx_url=influxd.url, influx_db="hubfaults"), site=SITE)
    inbox = AlertInbox(mosquitto.port)
    hub.start()
    try:
        assert hub.ingest.collector.subscribed.wait(10)
        publish(mosquitto.port, [*meter_messages(0, 40), fault("L1", 17), *meter_messages(40, 40)])
        wait_until(
            lambda: any(m["kind"] == "alert" and m["team"] == "elevator-crew" for m in inbox.messages),
            "the crew's alert",
            30,
        )
        assert orders(hub) == [("L1", "elevator-fault-code", "elevator")]
        store = hub.health_checks()["store"]
        wait_until(lambda: store().state is HealthState.DEGRADED, "the store reported degraded", 30)
        assert "unreachable" in store().detail  # degraded, not failing: the spool holds the readings meanwhile
        checks = {name: check() for name, check in hub.health_checks().items()}
        assert checks["rules"].state is HealthState.OK and checks["mqtt"].state is HealthState.OK
        assert hub.ingest.writer.stats.written == 0 and hub.ingest.spool.depth >= 81

        influxd.start()
        wait_until(lambda: influx_count(influxd, "meter", "total") == 80, "the 80 meter readings in InfluxDB", 60)
        wait_until(lambda: hub.ingest.spool.depth == 0, "the spool drained", 30)
        assert influx_count(influxd, "meter", "total") == 80
        assert influx_count(influxd, "elevator", "fault_code") == 1
        wait_until(lambda: hub.health_checks()["store"]().state is HealthState.OK, "the store healthy again", 30)
    finally:
        inbox.close()
        hub.stop()


def once(fault_name: str, original: Callable[..., Any], when: Callable[..., bool] = lambda *_, **__: True) -> Any:
    """`original`, except that the first call for which `when` holds raises InjectedFault."""
    fired = threading.Event()

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not fired.is_set() and when(*args, **kwargs):
            fired.set()
            raise InjectedFault(fault_name)
        return original(*args, **kwargs)

    return wrapper


class FaultyOnce:
    """Wraps one of our own ports; its named method raises InjectedFault once, then delegates."""

    def __init__(self, inner: Any, method: str, when: Callable[..., bool] = lambda *_, **__: True) -> None:
        self._inner = inner
        setattr(self, method, once(method, getattr(inner, method), when))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.fixture
def hub(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Hub]:
    built = build_hub(settings_for(tmp_path, mosquitto), site=SITE)
    built.supervisor.restart_delay_s = 0.2
    yield built
    built.stop()


def restarts(hub: Hub, thread: str) -> int:
    return next(s.restarts for s in hub.supervisor.threads() if s.name == thread)


def stored_totals(hub: Hub) -> int:
    from datetime import UTC, datetime, timedelta

    start = datetime.fromtimestamp(NOW - 4000, UTC)
    end = start + timedelta(hours=2)
    return sum(len(hub.ingest.store.history(hub.ingest.registry.get(m), "total", start, end)) for m in METERS)


def test_each_restart_thread_comes_back_after_an_injected_exception_and_loses_nothing(
    hub: Hub, mosquitto: Mosquitto
) -> None:
    collector, ingest = hub.ingest.collector, hub.ingest
    assert hub.alerts is not None and ingest.poller is not None
    collector.decoder = once("network", collector.decoder, lambda topic, payload, now: b"100.0" in payload)
    collector.sink = FaultyOnce(
        collector.sink, "accept_many", lambda *_: threading.current_thread().name == "mqtt-group-commit"
    )
    ingest.writer.store = FaultyOnce(ingest.writer.store, "write")
    dispatcher = hub.alerts.dispatcher
    dispatcher.deliver_due = once("dispatcher", dispatcher.deliver_due)  # type: ignore[method-assign]
    ingest.poller.line_tasks = once("poller", ingest.poller.line_tasks)  # type: ignore[method-assign]
    inbox = AlertInbox(mosquitto.port)
    hub.start()
    try:
        assert collector.subscribed.wait(10)
        publish(mosquitto.port, meter_messages(0, 30))
        wait_until(lambda: stored_totals(hub) == 30, "all 30 readings stored", 30)
        publish(mosquitto.port, [fault("L2", 5)])
        wait_until(
            lambda: any(m["kind"] == "alert" and m["team"] == "elevator-crew" for m in inbox.messages),
            "the crew's alert",
            30,
        )
        wait_until(lambda: ingest.poller.status("PUMP-E").online is False, "the Modbus meter polled again", 30)
        expected = {"mqtt-network", "mqtt-group-commit", "spool-writer", "alert-dispatcher", "modbus-poller"}
        assert {s.name for s in hub.supervisor.threads() if s.restarts == 1} == expected
        assert all(s.alive for s in hub.supervisor.threads())
        assert {s.name: s.last_error for s in hub.supervisor.threads() if s.last_error} == {
            "mqtt-network": "InjectedFault: network",
            "mqtt-group-commit": "InjectedFault: accept_many",
            "spool-writer": "InjectedFault: write",
            "alert-dispatcher": "InjectedFault: dispatcher",
            "modbus-poller": "InjectedFault: poller",
        }
        assert collector.stats.connects == 2  # the network thread's restart reconnected: the broker resent
        assert hub.supervisor.fatal is None
        assert stored_totals(hub) == 30 and ingest.spool.dead_letter_count() == 0
        threads = hub.health_checks()["threads"]()
        assert threads.state is HealthState.DEGRADED and threads.figures["restarts"] == 5
    finally:
        inbox.close()


def test_an_exception_escaping_the_rules_thread_stops_the_hub_with_the_reason(hub: Hub, mosquitto: Mosquitto) -> None:
    hub.engine.on_readings = once("engine bug", hub.engine.on_readings)  # type: ignore[method-assign]
    port = free_port()
    serving = threading.Thread(target=asyncio.run, args=(run_until_stopped(hub, host="127.0.0.1", port=port),))
    serving.start()
    try:
        wait_until(lambda: hub.server is not None and hub.server.started, "the API", 30)
        assert hub.ingest.collector.subscribed.wait(10)
        publish(mosquitto.port, meter_messages(0, 1))
        serving.join(30)
        assert not serving.is_alive()  # run_until_stopped returned: `facilities run` then exits with status 1
        assert hub.supervisor.fatal == "thread rules died: InjectedFault: engine bug"
        # Stopped in order: the reading was committed and acknowledged before, and is judged at the next start.
        assert hub.ingest.collector.stats.accepted == 1
    finally:
        if serving.is_alive():
            assert hub.server is not None
            hub.server.should_exit = True
            serving.join(30)
