"""Third-party firmware through the real broker: mapped topics land in the (embedded) store with our tags."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.registry import AssetRegistry
from core.settings import Settings
from core.site_loader import parse_site
from facilities.bootstrap import Ingest, build_ingest
from storage.embedded import EmbeddedStore
from tests.support.mqtt import publish
from tests.support.services import Mosquitto, wait_until
from tests.unit.core.test_config import MINIMAL

SITE_TEXT = (
    MINIMAL
    + """
[[meters]]
id = "LOBBY-E"
utility = "electricity"
area = "lobby"

[[mqtt_mappings]]
topic = "tele/{device}/SENSOR"
asset = "{device}"
timestamp = "Time"
fields = { total = "ENERGY.Total" }

[[mqtt_mappings]]
topic = "meters/{serial}/wh"
asset = "{serial}"
lookup = { "SN-0042" = "LOBBY-E" }
payload = "number"
fields = { total = { scale = 0.001 } }
"""
)


@pytest.fixture
def ingest(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[Ingest]:
    site_file = tmp_path / "site.toml"
    site_file.write_text(SITE_TEXT)
    settings = Settings(mqtt_url=mosquitto.url, mqtt_client_id="third-party", data_dir=tmp_path, site_file=site_file)
    service = build_ingest(settings)  # no FACILITIES_INFLUX_URL: the embedded store
    service.start()
    assert service.collector.subscribed.wait(10)
    yield service
    service.stop()


def test_mapped_payloads_land_with_registry_tags(ingest: Ingest, mosquitto: Mosquitto, tmp_path: Path) -> None:
    iso = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 3600))
    publish(
        mosquitto.port,
        [
            ("tele/B1-0101-W/SENSOR", {"Time": iso, "ENERGY": {"Total": 12.25}}),
            ("meters/SN-0042/wh", b"4567891"),
            ("meters/SN-9999/wh", b"1"),  # not in the lookup table
            ("tele/B1-0102-W/SENSOR", {"Time": iso, "ENERGY": {}}),  # path missing
        ],
    )
    wait_until(lambda: ingest.writer.stats.written == 2 and ingest.spool.dead_letter_count() == 2, "ingest", 15)

    registry = AssetRegistry.from_site(parse_site(SITE_TEXT))
    store = EmbeddedStore(tmp_path / "readings.db")
    tasmota = store.latest(registry.get("B1-0101-W"))
    lobby = store.latest(registry.get("LOBBY-E"))
    store.close()
    assert tasmota is not None and tasmota.fields == {"total": 12.25}
    assert tasmota.ts.isoformat() == iso
    assert lobby is not None and lobby.fields == {"total": 4567.891}
    errors = sorted(letter.error for letter in ingest.spool.dead_letters())
    assert "'SN-9999'" in errors[0] or "'SN-9999'" in errors[1]
    assert any("path 'ENERGY.Total' not found" in e for e in errors)
