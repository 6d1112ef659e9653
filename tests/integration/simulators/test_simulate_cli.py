"""`facilities simulate` backfills through the real broker; the ingest path stores exactly what was sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.settings import Settings
from facilities.bootstrap import build_ingest
from tests.support.mqtt import Session
from tests.support.services import Mosquitto, wait_until


def test_backfill_of_two_hours_lands_completely(tmp_path: Path, mosquitto: Mosquitto, example_site_path: Path) -> None:
    settings = Settings(
        mqtt_url=mosquitto.url, mqtt_client_id="ingest-backfill", data_dir=tmp_path, site_file=example_site_path
    )
    service = build_ingest(settings)
    service.start()
    try:
        assert service.collector.subscribed.wait(10)
        start = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
        env = {**os.environ, "FACILITIES_MQTT_URL": mosquitto.url, "FACILITIES_SITE_FILE": str(example_site_path),
               "FACILITIES_DATA_DIR": str(tmp_path)}  # fmt: skip
        result = subprocess.run(
            [sys.executable, "-m", "facilities", "simulate", "--from", start.isoformat(),
             "--to", (start + timedelta(hours=2)).isoformat(), "--fault", "malformed_payloads:GARDEN-W"],
            capture_output=True, text=True, env=env, timeout=300, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
        summary = json.loads(result.stdout)
        # 2 h: 362 meters × 8 (900 s) + 1 meter × 120 (60 s) + 1 × 24 (300 s) … computed from the site file below.
        site = service.site
        intervals = [m.expected_interval_s for m in site.meters.values()]
        intervals += [e.expected_interval_s for e in site.elevators.values()]
        intervals += [c.expected_interval_s for c in site.circuits.values()]
        intervals += [s.expected_interval_s for s in site.sensors.values()]
        expected_messages = sum(min(7200 // i, 120) for i in intervals)  # one-minute steps cap 10 s reporters
        assert summary["messages"] == expected_messages

        garbage = 7200 // site.meters["GARDEN-W"].expected_interval_s
        wait_until(
            lambda: service.writer.stats.written + service.spool.dead_letter_count() >= expected_messages,
            "every message stored or dead-lettered",
            120,
        )
        assert service.spool.dead_letter_count() == garbage
        assert service.writer.stats.written == expected_messages - garbage
    finally:
        service.stop()


def simulate(env: dict[str, str], *args: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "facilities", "simulate", *args],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def test_back_to_back_windows_continue_the_registers(
    tmp_path: Path, mosquitto: Mosquitto, example_site_path: Path
) -> None:
    env = {**os.environ, "FACILITIES_MQTT_URL": mosquitto.url, "FACILITIES_SITE_FILE": str(example_site_path),
           "FACILITIES_DATA_DIR": str(tmp_path)}  # fmt: skip
    watcher = Session(mosquitto.port, None)
    try:
        assert watcher.subscribe("facilities/lakeview/+/telemetry") == 1
        first = simulate(env, "--from", "2026-09-01T06:00+08:00", "--to", "2026-09-01T10:00+08:00")
        second = simulate(env, "--from", "2026-09-01T10:00+08:00", "--to", "2026-09-01T14:00+08:00")
        assert first["registers_from"] == "seed"
        assert second["registers_from"] == "2026-09-01T10:00:00+08:00"  # where the first window ended
        expected = int(first["messages"]) + int(second["messages"])  # type: ignore[call-overload]
        totals: dict[str, list[tuple[str, float]]] = {}
        for _ in range(expected):
            topic, payload = watcher.received.get(timeout=30)
            body = json.loads(payload)
            if "total" in body:
                totals.setdefault(topic.split("/")[2], []).append((body["ts"], body["total"]))
    finally:
        watcher.close()
    assert len(totals) > 300
    for meter_id, readings in totals.items():
        values = [total for _, total in sorted(readings)]
        assert values == sorted(values), f"{meter_id}: a register went back across the windows"
    # A window that starts before the last one ended would make registers go back: refused, unless --fresh.
    result = subprocess.run(
        [sys.executable, "-m", "facilities", "simulate", "--from", "2026-09-01T08:00+08:00",
         "--to", "2026-09-01T09:00+08:00"], capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode != 0 and "--fresh" in result.stderr and "Traceback" not in result.stderr
    fresh = simulate(env, "--fresh", "--from", "2026-09-01T08:00+08:00", "--to", "2026-09-01T09:00+08:00")
    assert fresh["registers_from"] == "seed"


def test_registers_that_cannot_be_saved_are_a_warning_not_a_crash(
    tmp_path: Path, mosquitto: Mosquitto, example_site_path: Path
) -> None:
    # Where the registers would be written (its temporary name) is taken by a folder: the write fails.
    (tmp_path / "simulate" / ".lakeview-seed1.json.tmp").mkdir(parents=True)
    env = {**os.environ, "FACILITIES_MQTT_URL": mosquitto.url, "FACILITIES_SITE_FILE": str(example_site_path),
           "FACILITIES_DATA_DIR": str(tmp_path)}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "facilities", "simulate", "--from", "2026-09-01T00:00Z", "--to", "2026-09-01T00:30Z"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "registers were not saved" in result.stderr and "Traceback" not in result.stderr
    assert json.loads(result.stdout)["messages"] > 0
