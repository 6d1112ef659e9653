"""Faults survived with nothing lost: exact counts in InfluxDB after outages, restarts and SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from facilities.bootstrap import Ingest, build_ingest
from tests.support.mqtt import publish
from tests.support.services import Influxd, Mosquitto, wait_until

DB = "faults"
METERS = [f"B{b}-{floor:02d}0{i}-E" for b in (1, 2) for floor in (1, 2, 3) for i in (1, 2, 3)]
# Midnight UTC three days ago: recent enough to be valid, and 2,000 minutes later is still in the past.
BASE_TS = (int(time.time()) // 86_400 - 3) * 86_400


def messages(start: int, count: int) -> list[tuple[str, bytes | str | dict[str, object]]]:
    """`count` readings with distinct (meter, time), numbered from `start`."""
    out: list[tuple[str, bytes | str | dict[str, object]]] = []
    for n in range(start, start + count):
        meter = METERS[n % len(METERS)]
        out.append((f"facilities/lakeview/{meter}/telemetry", {"ts": BASE_TS + n * 60, "total": 1000.0 + n}))
    return out


def expected_keys(total: int) -> set[tuple[str, int]]:
    return {(METERS[n % len(METERS)], (BASE_TS + n * 60) * 10**9) for n in range(total)}


def stored_keys(influxd: Influxd) -> list[tuple[str, int]]:
    """Every stored point as (meter_id, time): a list, so a duplicate would show."""
    try:
        rows = influxd.query('SELECT "total" FROM "meter" GROUP BY "meter_id"', db=DB)
    except RuntimeError:  # database not created yet
        return []
    return [(str(r["meter_id"]), int(r["time"])) for r in rows]  # type: ignore[call-overload]


def assert_exactly(influxd: Influxd, total: int) -> None:
    keys = stored_keys(influxd)
    assert len(keys) == total
    assert set(keys) == expected_keys(total)


def settings_for(
    tmp_path: Path, mosquitto: Mosquitto, influxd: Influxd, example_site_path: Path, **kw: object
) -> Settings:
    return Settings(
        mqtt_url=mosquitto.url,
        mqtt_client_id="ingest-faults",
        influx_url=influxd.url,
        influx_db=DB,
        data_dir=tmp_path / "data",
        site_file=example_site_path,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def ingest(tmp_path: Path, mosquitto: Mosquitto, influxd: Influxd, example_site_path: Path) -> Iterator[Ingest]:
    service = build_ingest(settings_for(tmp_path, mosquitto, influxd, example_site_path))
    service.start()
    assert service.collector.subscribed.wait(10)
    yield service
    service.stop()


def test_influxd_outage_mid_ingest(ingest: Ingest, mosquitto: Mosquitto, influxd: Influxd) -> None:
    publish(mosquitto.port, messages(0, 150))
    wait_until(lambda: ingest.writer.stats.written > 0, "the first writes", 15)

    influxd.stop()
    publish(mosquitto.port, messages(150, 150))
    wait_until(lambda: ingest.writer.stats.retries > 0, "a failed write to the stopped influxd", 15)
    wait_until(lambda: ingest.collector.stats.accepted == 300, "all messages spooled during the outage", 15)
    assert ingest.spool.depth > 0

    influxd.start()
    wait_until(lambda: ingest.spool.depth == 0, "the spool to drain after influxd is back", 60)
    assert_exactly(influxd, 300)


def test_mosquitto_restart_mid_ingest(ingest: Ingest, mosquitto: Mosquitto, influxd: Influxd) -> None:
    publish(mosquitto.port, messages(0, 400))
    mosquitto.restart()  # while the collector is still working through the first batch
    publish(mosquitto.port, messages(400, 200))
    wait_until(lambda: len(stored_keys(influxd)) >= 600, "all 600 readings in InfluxDB", 60)
    assert_exactly(influxd, 600)
    assert ingest.collector.stats.connects >= 2


def test_back_pressure_when_the_spool_is_full(
    tmp_path: Path, mosquitto: Mosquitto, influxd: Influxd, example_site_path: Path
) -> None:
    service = build_ingest(settings_for(tmp_path, mosquitto, influxd, example_site_path, spool_max_readings=20))
    service.start()
    try:
        assert service.collector.subscribed.wait(10)
        influxd.stop()
        publish(mosquitto.port, messages(0, 100))
        wait_until(lambda: service.collector.stats.backpressure_waits > 0, "the collector to hold back", 15)
        assert service.spool.depth == 20
        assert service.spool.stats.refused_full > 0
        assert service.collector.stats.accepted == 20  # the rest wait un-acked at the broker

        influxd.start()
        wait_until(lambda: len(stored_keys(influxd)) >= 100, "all readings once the store is back", 60)
        assert_exactly(influxd, 100)
    finally:
        service.stop()


def test_sigkill_mid_ingest_then_restart(
    tmp_path: Path, mosquitto: Mosquitto, influxd: Influxd, example_site_path: Path
) -> None:
    env = {
        **os.environ,
        "FACILITIES_MQTT_URL": mosquitto.url,
        "FACILITIES_MQTT_CLIENT_ID": "ingest-killed",
        "FACILITIES_INFLUX_URL": influxd.url,
        "FACILITIES_INFLUX_DB": DB,
        "FACILITIES_DATA_DIR": str(tmp_path / "data"),
        "FACILITIES_SITE_FILE": str(example_site_path),
    }
    log = (tmp_path / "ingest.log").open("ab")

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "facilities", "ingest", "--log-level", "INFO"], env=env, stdout=log, stderr=log
        )

    process = start()
    try:
        # The first start creates the persistent session; publish only once the broker confirmed it.
        log_path = tmp_path / "ingest.log"
        wait_until(lambda: b"subscribed to facilities/lakeview/+/telemetry" in log_path.read_bytes(), "subscribe", 30)
        publish(mosquitto.port, messages(0, 1500))
        wait_until(lambda: len(stored_keys(influxd)) > 0, "the first readings stored", 30)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        assert len(stored_keys(influxd)) < 2000

        publish(mosquitto.port, messages(1500, 500))  # arrives while ingest is dead: queued in its session
        process = start()
        wait_until(lambda: len(stored_keys(influxd)) >= 2000, "all 2000 readings after the restart", 90)
        assert_exactly(influxd, 2000)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(15)
        log.close()
