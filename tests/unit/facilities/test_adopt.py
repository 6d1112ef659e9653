"""Adopting a device writes the site file keeping its comments, and a refused file is written back (issue 19)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from collectors.mqtt.discovery import parse_config
from core.config_files import ConfigError
from core.inventory import Adoption
from core.site_loader import load_site, parse_site
from facilities.adopt import SiteEditor, adopted_text
from facilities.cli import app
from tests.support.discovery_messages import TASMOTA_ENERGY, Z2M_LEAK
from tests.unit.core.test_config import MINIMAL

SITE = (
    "# 湖景苑: keep this comment\n"
    + MINIMAL
    + '\n[[mqtt_mappings]]\ntopic = "shelly/{device}/power"\nasset = "{device}"\nfields = { power = "apower" }\n'
)
runner = CliRunner()


def test_a_tasmota_plug_becomes_a_meter_and_a_mapping_first_in_the_file() -> None:
    plug = parse_config(TASMOTA_ENERGY[0], TASMOTA_ENERGY[1].encode())
    text = adopted_text(SITE, Adoption("PUMP-E", "electricity", area="lobby"), plug, source="site.toml")
    assert text.startswith("# 湖景苑: keep this comment\n")
    site = parse_site(text)
    assert site.meters["PUMP-E"].area == "lobby"
    first = site.mqtt_mappings[0]
    assert (first.topic, first.asset, first.fields["total"].path) == ("tele/pump_plug/SENSOR", "PUMP-E", "ENERGY.Total")


def test_a_leak_sensor_is_written_in_the_agreed_sensors_shape() -> None:
    leak = parse_config(Z2M_LEAK[0], Z2M_LEAK[1].encode())
    text = adopted_text(
        SITE, Adoption("leak-b1-pump", "water_leak", area="lobby", name="B1 泵房漏水"), leak, source="s"
    )
    assert '[[sensors]]\nid = "leak-b1-pump"\nkind = "water_leak"\narea = "lobby"\nname = "B1 泵房漏水"' in text
    assert 'binding = {protocol = "mqtt", topic = "zigbee2mqtt/leak_b1_pump"}' in text
    assert 'moisture = "water_leak"' in text  # the field named after its class, read from the entity's path


@pytest.mark.parametrize(
    ("adoption", "error"),
    [
        (Adoption("bad id!", "electricity", area="lobby"), "asset_id"),
        (Adoption("X", "electricity"), "exactly one of unit or area"),
        (Adoption("X", "electricity", unit="B1-0101", area="lobby"), "exactly one of unit or area"),
        (Adoption("X", "electricity", area="lobby", field="Bad-Field"), "field"),
    ],
)
def test_bad_adoptions_name_what_to_change(adoption: Adoption, error: str) -> None:
    plug = parse_config(TASMOTA_ENERGY[0], TASMOTA_ENERGY[1].encode())
    with pytest.raises(ConfigError, match=error):
        adopted_text(SITE, adoption, plug, source="site.toml")


def test_a_file_the_reload_refuses_is_written_back(tmp_path: Path) -> None:
    site_file = tmp_path / "site.toml"
    site_file.write_text(SITE, encoding="utf-8")
    editor = SiteEditor(site_file, lambda: load_site(site_file))
    with pytest.raises(ConfigError, match="roof"):
        editor.adopt(Adoption("PUMP-E", "electricity", area="roof"), None)
    assert site_file.read_text(encoding="utf-8") == SITE
    editor.adopt(Adoption("PUMP-E", "electricity", area="lobby"), None)
    assert "PUMP-E" in load_site(site_file).meters


def test_the_cli_adopts_a_third_party_meter_and_refuses_a_bad_one(tmp_path: Path) -> None:
    site_file = tmp_path / "site.toml"
    site_file.write_text(SITE, encoding="utf-8")
    args = ["devices", "adopt", "PUMP-E", "--kind", "electricity", "--site", str(site_file)]
    refused = runner.invoke(app, [*args, "--area", "roof"])
    assert refused.exit_code == 2 and "unchanged" in refused.output and site_file.read_text(encoding="utf-8") == SITE
    mapping = ["--topic", "tele/pump_plug/SENSOR", "--path", "ENERGY.Total"]
    done = runner.invoke(app, [*args, "--area", "lobby", *mapping, "--no-reload"])
    assert done.exit_code == 0, done.output
    assert "Not reloaded" in done.output
    site = load_site(site_file)
    assert site.mqtt_mappings[0].fields["total"].path == "ENERGY.Total" and "PUMP-E" in site.meters
