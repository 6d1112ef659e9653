"""The MQTT sample stays true: it loads as a site fragment and its mapping decodes a real Tasmota payload."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.mqtt.payloads import MappingDecoder, MappingError, NoMappingMatches
from core.config_files import ConfigError
from core.reading import Reading
from core.site_loader import parse_site
from tests.unit.collectors.mqtt.test_payloads import NOW, TASMOTA_PAYLOAD
from tests.unit.core.test_config import MINIMAL

SAMPLE = Path(__file__).resolve().parents[4] / "collectors" / "mqtt" / "sample.toml"


def decoder() -> MappingDecoder:
    site = parse_site(MINIMAL + SAMPLE.read_text(encoding="utf-8"), source=str(SAMPLE))
    return MappingDecoder(site.mqtt_mappings)


def test_sample_mapping_decodes_the_plugs_payload_in_local_time() -> None:
    assert decoder()("tele/PUMP-E/SENSOR", TASMOTA_PAYLOAD, NOW) == [
        Reading("PUMP-E", datetime(2026, 11, 26, 0, 0, tzinfo=UTC), {"total": 123.456, "rate": 0.04})
    ]


def test_sample_mapping_matches_no_other_plug() -> None:
    with pytest.raises(NoMappingMatches):
        decoder()("tele/OTHER-E/SENSOR", TASMOTA_PAYLOAD, NOW)


def test_sample_payload_without_energy_is_refused_naming_the_path() -> None:
    with pytest.raises(MappingError, match=r"field 'total': path 'ENERGY\.Total' not found"):
        decoder()("tele/PUMP-E/SENSOR", b'{"Time":"2026-11-26T08:00:00"}', NOW)


def test_sample_mapping_for_an_unknown_asset_is_refused() -> None:
    broken = SAMPLE.read_text(encoding="utf-8").replace('id = "PUMP-E"', 'id = "PUMP-2-E"')
    with pytest.raises(ConfigError, match=r"mqtt_mappings\[0\]"):
        parse_site(MINIMAL + broken, source="sample.toml")
