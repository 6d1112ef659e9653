"""`facilities devices credentials|show`: the files it writes, what a second run keeps, rotation, and its errors."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from facilities.cli import app

runner = CliRunner()

SITE = """
[site]
id = "lakeview"
name = "Lakeview"
timezone = "Asia/Shanghai"

[[buildings]]
id = "B1"
floors = 1
units = [{ id = "B1-0101" }, { id = "B1-0102" }]

[[meter_groups]]
utilities = ["water"]

[[mqtt_mappings]]
topic = "zigbee2mqtt/{building}/{device}"
asset = "{building}-{device}-W"
fields = { total = "water_consumed" }
gateway = "zigbee-b1"

[[mqtt_mappings]]
topic = "tele/{device}/SENSOR"
asset = "{device}"
fields = { total = "ENERGY.Total" }
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("FACILITIES_ENV", "FACILITIES_MQTT_USERNAME", "FACILITIES_MQTT_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FACILITIES_DATA_DIR", str(tmp_path / "var"))
    path = tmp_path / "site.toml"
    path.write_text(SITE, encoding="utf-8")
    return path


def _store(tmp_path: Path) -> dict[str, str]:
    accounts = json.loads((tmp_path / "var" / "mqtt-credentials.json").read_text())["accounts"]
    return {account["username"]: account["password"] for account in accounts}


def test_it_writes_the_store_the_password_file_and_the_acl(site: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["devices", "credentials", "--site", str(site)])
    assert result.exit_code == 0, result.output
    assert "site lakeview: 2 devices, 1 gateways; 3 new, 0 rotated, 0 removed, 0 kept" in result.output
    assert "mqtt_mappings[1] 'tele/{device}/SENSOR' has no gateway" in result.output
    passwords = _store(tmp_path)
    assert sorted(passwords) == ["lakeview.B1-0101-W", "lakeview.B1-0102-W", "lakeview.zigbee-b1"]
    folder = tmp_path / "var" / "mosquitto"
    for path in (tmp_path / "var" / "mqtt-credentials.json", folder / "passwords", folder / "acl"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    hashed = (folder / "passwords").read_text()
    assert [line.split(":")[0] for line in hashed.splitlines()] == sorted(passwords)
    assert not any(password in hashed or password in result.output for password in passwords.values())
    acl = (folder / "acl").read_text()
    assert "user facilities-hub\ntopic readwrite #" in acl
    assert "user lakeview.zigbee-b1\ntopic write zigbee2mqtt/+/+" in acl


def test_a_second_run_keeps_the_passwords_and_rotate_changes_one(site: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["devices", "credentials", "--site", str(site)])
    first = _store(tmp_path)
    again = runner.invoke(app, ["devices", "credentials", "--site", str(site)])
    assert "0 new, 0 rotated, 0 removed, 3 kept" in again.output
    assert _store(tmp_path) == first
    rotated = runner.invoke(app, ["devices", "credentials", "--site", str(site), "--rotate", "zigbee-b1"])
    assert "0 new, 1 rotated, 0 removed, 2 kept" in rotated.output
    after = _store(tmp_path)
    assert after["lakeview.zigbee-b1"] != first["lakeview.zigbee-b1"]
    assert after["lakeview.B1-0101-W"] == first["lakeview.B1-0101-W"]


def test_show_prints_what_the_installer_types_into_the_device(site: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["devices", "credentials", "--site", str(site)])
    shown = runner.invoke(app, ["devices", "show", "B1-0102-W"])
    assert shown.exit_code == 0, shown.output
    password = _store(tmp_path)["lakeview.B1-0102-W"]
    assert shown.output.splitlines() == [
        "username: lakeview.B1-0102-W",
        f"password: {password}",
        "publish:  facilities/lakeview/B1-0102-W/telemetry",
    ]
    missing = runner.invoke(app, ["devices", "show", "B9-0101-W"])
    assert missing.exit_code == 2 and "no account 'B9-0101-W'" in missing.output


def test_the_hub_password_goes_in_only_when_asked_and_set(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = runner.invoke(app, ["devices", "credentials", "--site", str(site), "--with-hub-password"])
    assert refused.exit_code == 2 and "needs FACILITIES_MQTT_PASSWORD" in refused.output
    monkeypatch.setenv("FACILITIES_MQTT_USERNAME", "hub-lakeview")
    monkeypatch.setenv("FACILITIES_MQTT_PASSWORD", "c0ffee" * 8)
    done = runner.invoke(app, ["devices", "credentials", "--site", str(site), "--with-hub-password"])
    assert done.exit_code == 0, done.output
    folder = tmp_path / "var" / "mosquitto"
    assert "hub-lakeview:$7$101$" in (folder / "passwords").read_text()
    assert "user hub-lakeview\ntopic readwrite #" in (folder / "acl").read_text()


def test_errors_name_the_problem_and_write_nothing(site: Path, tmp_path: Path) -> None:
    unknown = runner.invoke(app, ["devices", "credentials", "--site", str(site), "--rotate", "B9-0101-W"])
    assert unknown.exit_code == 2 and "no such device or gateway in site 'lakeview': B9-0101-W" in unknown.output
    assert not (tmp_path / "var").exists()
    site.write_text(SITE.replace('topic = "zigbee2mqtt/{building}/{device}"', 'topic = "+/{building}/{device}/+"'))
    forging = runner.invoke(app, ["devices", "credentials", "--site", str(site)])
    assert forging.exit_code == 2 and "could publish readings for any asset" in forging.output
    unreadable = runner.invoke(app, ["devices", "credentials", "--site", str(site.with_name("nope.toml"))])
    assert unreadable.exit_code == 2 and "cannot read the site file" in unreadable.output
