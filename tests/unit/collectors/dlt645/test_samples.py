"""The DL/T 645 sample stays true: it loads as a site fragment, its meters share the lines its README says."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.dlt645.config import Identifier
from collectors.dlt645.devices import Dlt645ConfigError, devices_from_site, group_lines
from core.config_files import ConfigError
from core.site_loader import parse_site
from tests.unit.core.test_config import MINIMAL

SAMPLE = Path(__file__).resolve().parents[4] / "collectors" / "dlt645" / "sample.toml"


def test_sample_meters_load_on_two_lines() -> None:
    meters = devices_from_site(parse_site(MINIMAL + SAMPLE.read_text(), source=str(SAMPLE)))
    assert [m.source for m in meters] == [
        "dlt645+rtu:///dev/ttyUSB0/000012345678",
        "dlt645+rtu:///dev/ttyUSB0/000012345679",
        "dlt645+tcp://10.0.0.7:8899/000087654321",
    ]
    assert [len(members) for members in group_lines(meters).values()] == [2, 1]
    assert meters[0].binding.identifiers == tuple(Identifier)
    assert meters[1].binding.identifiers == (Identifier.TOTAL_ENERGY,)
    assert meters[0].binding.serial_settings() == (2400, "E", 1, 8)


def test_sample_with_a_short_address_is_refused_with_the_fix() -> None:
    broken = SAMPLE.read_text().replace('address = "000087654321"', 'address = "87654321"')
    with pytest.raises(ConfigError, match="pad with leading zeros"):
        parse_site(MINIMAL + broken, source="sample.toml")


def test_sample_meters_on_one_bus_with_different_framing_are_refused() -> None:
    broken = SAMPLE.read_text().replace('address = "000012345679" }', 'address = "000012345679", baudrate = 9600 }')
    with pytest.raises(Dlt645ConfigError, match="share serial port /dev/ttyUSB0 with different baudrate"):
        devices_from_site(parse_site(MINIMAL + broken))
