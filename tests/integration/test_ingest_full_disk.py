"""A full disk under the spool: nothing is acknowledged or lost, the MQTT session stays up, and ingestion
resumes by itself when space returns, with exact counts and no restart (issue 16)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from facilities.bootstrap import Ingest, build_ingest
from tests.support.mqtt import publish
from tests.support.services import Mosquitto, wait_until

METERS = [f"B{b}-{floor:02d}0{i}-W" for b in (1, 2) for floor in (1, 2, 3) for i in (1, 2, 3)]
BASE_TS = (int(time.time()) // 86_400 - 2) * 86_400
KEEPALIVE_S = 2


def messages(start: int, count: int) -> list[tuple[str, bytes | str | dict[str, object]]]:
    return [
        (f"facilities/lakeview/{METERS[n % len(METERS)]}/telemetry", {"ts": BASE_TS + n * 60, "total": 10.0 + n})
        for n in range(start, start + count)
    ]


class SmallDisk:
    """A 3 MB tmpfs for the data folder, filled and freed on demand: a real ENOSPC for SQLite."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / "filler"

    def fill(self) -> None:
        with self.filler.open("ab") as out:
            try:
                while True:
                    out.write(b"\0" * 65536)
                    out.flush()
            except OSError:
                pass

    def free(self) -> None:
        self.filler.unlink()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    path = tmp_path / "data"
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs for the full-disk test: {mounted.stderr.decode().strip()}")
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def stored(ingest: Ingest) -> set[tuple[str, float]]:
    from datetime import UTC, datetime, timedelta

    start, end = datetime.fromtimestamp(BASE_TS, UTC), datetime.fromtimestamp(BASE_TS, UTC) + timedelta(days=2)
    out: set[tuple[str, float]] = set()
    for meter in METERS:
        asset = ingest.registry.get(meter)
        out |= {(meter, float(s.value)) for s in ingest.store.history(asset, "total", start, end)}
    return out


def expected(total: int) -> set[tuple[str, float]]:
    return {(METERS[n % len(METERS)], 10.0 + n) for n in range(total)}


def test_a_full_disk_holds_messages_at_the_broker_and_ingestion_resumes_when_space_returns(
    small_disk: SmallDisk, mosquitto: Mosquitto, example_site_path: Path
) -> None:
    settings = Settings(
        mqtt_url=mosquitto.url,
        mqtt_client_id="ingest-full-disk",
        mqtt_keepalive_s=KEEPALIVE_S,
        data_dir=small_disk.path,
        site_file=example_site_path,
    )
    ingest = build_ingest(settings)
    ingest.start()
    try:
        assert ingest.collector.subscribed.wait(10)
        publish(mosquitto.port, messages(0, 50))
        wait_until(lambda: stored(ingest) == expected(50), "the first 50 readings stored", 30)

        small_disk.fill()
        publish(mosquitto.port, messages(50, 200))
        wait_until(lambda: ingest.collector.health.sink == "failing", "the collector to notice the full disk", 30)
        assert "full" in (ingest.collector.health.sink_error or "")
        # The fault lasts three keep-alive intervals: a blocked network thread would have been dropped by now.
        failing_since = time.monotonic()
        wait_until(lambda: time.monotonic() - failing_since > 3 * KEEPALIVE_S, "three keep-alive intervals", 30)
        assert ingest.collector.connected.is_set()
        assert ingest.collector.stats.connects == 1  # never dropped, never reconnected
        assert ingest.collector.stats.sink_failures > 1  # retried with backoff, not given up
        assert ingest.collector.stats.accepted < 250  # nothing was acknowledged that is not committed

        small_disk.free()
        wait_until(lambda: ingest.collector.stats.accepted == 250, "every held message committed", 60)
        wait_until(lambda: stored(ingest) == expected(250), "all 250 readings stored", 60)
        assert ingest.collector.health.sink == "ok" and ingest.spool.health.error is None
        assert ingest.collector.stats.connects == 1
        assert ingest.spool.dead_letter_count() == 0  # a full disk is a fault of the file, not of the data
        publish(mosquitto.port, messages(250, 10))  # and it goes on as before
        wait_until(lambda: stored(ingest) == expected(260), "readings after the recovery", 30)
    finally:
        ingest.stop()
