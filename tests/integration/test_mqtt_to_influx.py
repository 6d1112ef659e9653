"""The thin slice for real: a plain MQTT client publishes, InfluxDB holds the value with its tags."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from facilities.bootstrap import Ingest, build_ingest
from facilities.metrics import serve_metrics
from tests.support.mqtt import publish
from tests.support.services import Influxd, Mosquitto, free_port, wait_until


@pytest.fixture
def settings(tmp_path: Path, mosquitto: Mosquitto, influxd: Influxd, example_site_path: Path) -> Settings:
    return Settings(
        mqtt_url=mosquitto.url,
        mqtt_client_id=f"ingest-{tmp_path.name}",
        influx_url=influxd.url,
        influx_db="slice",
        data_dir=tmp_path / "data",
        site_file=example_site_path,
    )


@pytest.fixture
def ingest(settings: Settings) -> Iterator[Ingest]:
    service = build_ingest(settings)
    service.start()
    assert service.collector.subscribed.wait(10), "collector never subscribed at the broker"
    yield service
    service.stop()


# Yesterday 00:00 UTC: the validator refuses readings from the future or more than 400 days old.
MIDNIGHT = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
MIDNIGHT_S = int(MIDNIGHT.timestamp())


def test_published_reading_lands_in_influxdb_with_registry_tags(
    ingest: Ingest, mosquitto: Mosquitto, influxd: Influxd
) -> None:
    publish(
        mosquitto.port,
        [
            (
                "facilities/lakeview/B1-0101-W/telemetry",
                {"ts": MIDNIGHT.astimezone(timezone(timedelta(hours=8))).isoformat(), "total": 123.4},
            )
        ],
    )

    wait_until(lambda: bool(influxd.query('SELECT * FROM "meter"', db="slice")), "the reading in InfluxDB", 15)
    rows = influxd.query('SELECT "total" FROM "meter" GROUP BY *', db="slice")

    assert len(rows) == 1
    row = rows[0]
    assert row["total"] == 123.4
    assert row["time"] == MIDNIGHT_S * 1_000_000_000
    assert {k: row[k] for k in ("site", "building", "unit", "utility", "meter_id")} == {
        "site": "lakeview",
        "building": "B1",
        "unit": "B1-0101",
        "utility": "water",
        "meter_id": "B1-0101-W",
    }


def test_cli_prints_the_value_read_back_with_influxql(
    ingest: Ingest, mosquitto: Mosquitto, influxd: Influxd, settings: Settings
) -> None:
    publish(mosquitto.port, [("facilities/lakeview/B2-0503-E/telemetry", {"ts": MIDNIGHT_S, "total": 4521.25})])
    wait_until(lambda: ingest.writer.stats.written >= 1, "the writer to store the reading", 15)

    env = {
        **os.environ,
        "FACILITIES_INFLUX_URL": influxd.url,
        "FACILITIES_INFLUX_DB": "slice",
        "FACILITIES_SITE_FILE": str(settings.site_file),
    }
    result = subprocess.run(
        [sys.executable, "-m", "facilities", "readings", "latest", "--asset", "B2-0503-E", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["total"] == 4521.25
    assert printed["ts"] == MIDNIGHT.isoformat()
    assert printed["tags"]["building"] == "B2"


def test_bad_message_is_dead_lettered_and_good_ones_still_land(
    ingest: Ingest, mosquitto: Mosquitto, influxd: Influxd
) -> None:
    publish(
        mosquitto.port,
        [
            ("facilities/lakeview/B1-0101-E/telemetry", b"{not json"),
            ("facilities/lakeview/NO-SUCH-METER/telemetry", {"total": 1.0}),
            ("facilities/lakeview/B1-0101-E/telemetry", {"ts": MIDNIGHT_S, "total": "lots"}),
            ("facilities/lakeview/B1-0102-E/telemetry", {"ts": MIDNIGHT_S, "total": 88.5}),
        ],
    )
    wait_until(lambda: ingest.writer.stats.written >= 1 and ingest.spool.dead_letter_count() >= 3, "ingest", 15)

    rows = influxd.query('SELECT "total" FROM "meter" GROUP BY "meter_id"', db="slice")
    assert [(r["meter_id"], r["total"]) for r in rows] == [("B1-0102-E", 88.5)]
    errors = sorted(letter.error for letter in ingest.spool.dead_letters())
    assert len(errors) == 3
    assert any("not JSON" in e for e in errors)
    assert any("unknown asset id 'NO-SUCH-METER'" in e for e in errors)
    assert any("field 'total': 'lots' is not a valid float" in e for e in errors)


def test_prometheus_metrics_count_the_path(ingest: Ingest, mosquitto: Mosquitto, influxd: Influxd) -> None:
    port = free_port()
    serve_metrics(ingest, port)
    publish(
        mosquitto.port,
        [
            ("facilities/lakeview/B1-0201-W/telemetry", {"ts": MIDNIGHT_S, "total": 5.0}),
            ("facilities/lakeview/B1-0201-W/telemetry", b"garbage"),
        ],
    )
    wait_until(lambda: ingest.writer.stats.written == 1 and ingest.spool.dead_letter_count() == 1, "ingest", 15)

    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert "facilities_mqtt_received_total 2.0" in text
    assert "facilities_mqtt_undecodable_total 1.0" in text
    assert "facilities_store_readings_written_total 1.0" in text
    assert "facilities_dead_letters_total 1.0" in text
    assert "facilities_spool_depth 0.0" in text
    assert "facilities_store_write_seconds_count 1.0" in text
