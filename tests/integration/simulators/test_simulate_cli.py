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
        env = {**os.environ, "FACILITIES_MQTT_URL": mosquitto.url, "FACILITIES_SITE_FILE": str(example_site_path)}
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
