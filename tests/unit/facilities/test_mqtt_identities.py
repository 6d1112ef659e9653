"""Identities from the site file and the ACL they become: one account per device or gateway, writes only."""

from __future__ import annotations

import pytest

from core.config_files import ConfigError
from core.site_loader import parse_site
from facilities.mqtt_identities import (
    HUB_USER,
    IdentityError,
    IdentityKind,
    render_acl,
    site_identities,
    telemetry_topic,
)

HEAD = """
[site]
id = "lakeview"
name = "Lakeview"
timezone = "Asia/Shanghai"

[[buildings]]
id = "B1"
floors = 2
units = [{ id = "B1-0101" }]

[[meters]]
id = "B1-0101-W"
utility = "water"
unit = "B1-0101"

[[meters]]
id = "B1-0101-E"
utility = "electricity"
unit = "B1-0101"
binding = { protocol = "modbus", host = "192.0.2.10", port = 502, device_id = 1, profile = "eastron_sdm630" }

[[areas]]
id = "B1-corridor"
kind = "corridor"
building = "B1"

[[circuits]]
id = "B1-CORRIDOR-LIGHT"
area = "B1-corridor"

[[elevators]]
id = "B1-L1"
building = "B1"
highest_floor = 2
"""


def _mapping(topic: str, gateway: str | None = None, asset: str = "{device}") -> str:
    line = f'gateway = "{gateway}"\n' if gateway is not None else ""
    return f'\n[[mqtt_mappings]]\ntopic = "{topic}"\nasset = "{asset}"\nfields = {{ total = "v" }}\n{line}'


def test_every_mqtt_asset_is_a_device_that_may_publish_its_own_topic_only() -> None:
    planned = site_identities(parse_site(HEAD, source="site.toml"))
    devices = {i.name: i for i in planned.identities}
    assert set(devices) == {"B1-0101-W", "B1-CORRIDOR-LIGHT", "B1-L1"}  # the Modbus meter is polled, not a client
    water = devices["B1-0101-W"]
    assert (water.username, water.kind, water.site) == ("lakeview.B1-0101-W", IdentityKind.DEVICE, "lakeview")
    assert water.topics == ("facilities/lakeview/B1-0101-W/telemetry",)
    assert planned.unassigned == ()


def test_a_gateway_may_publish_the_filters_of_all_its_mappings_once_each() -> None:
    text = HEAD + _mapping("zigbee2mqtt/{building}/{device}", "zb") + _mapping("zigbee2mqtt/x/{device}", "zb")
    text += _mapping("zigbee2mqtt/{a}/{device}", "zb", asset="{a}-{device}")  # the same filter as the first
    text += '\n[[mqtt_mappings]]\ntopic = "zigbee2mqtt/bridge/+"\nignore = true\ngateway = "zb"\n'
    text += _mapping("tele/{device}/SENSOR", "plug-7")
    (zigbee,) = [i for i in site_identities(parse_site(text)).identities if i.name == "zb"]
    assert zigbee.kind is IdentityKind.GATEWAY and zigbee.username == "lakeview.zb"
    assert zigbee.topics == ("zigbee2mqtt/+/+", "zigbee2mqtt/x/+", "zigbee2mqtt/bridge/+")


def test_mappings_without_a_gateway_are_listed_so_nobody_is_surprised() -> None:
    text = HEAD + _mapping("tele/{device}/SENSOR") + _mapping("esphome/{device}/state", "esp")
    planned = site_identities(parse_site(text, source="site.toml"))
    assert planned.unassigned == ("site.toml: mqtt_mappings[0] 'tele/{device}/SENSOR'",)
    assert "tele/+/SENSOR" not in render_acl(list(planned.identities), HUB_USER)


@pytest.mark.parametrize(
    "topic",
    [
        "{a}/{b}/{device}/{d}",
        "facilities/{site}/{device}/telemetry",
        "+/lakeview/{device}/+",
        "facilities/x/{device}/+",
    ],
)
def test_a_gateway_that_could_forge_any_devices_telemetry_is_refused(topic: str) -> None:
    with pytest.raises(IdentityError, match=r"mqtt_mappings\[0\].*could publish readings for any asset"):
        site_identities(parse_site(HEAD + _mapping(topic, "bridge"), source="site.toml"))


def test_a_gateway_named_like_an_asset_is_refused() -> None:
    with pytest.raises(IdentityError, match="gateway 'B1-L1' is also an asset id"):
        site_identities(parse_site(HEAD + _mapping("lift/{device}", "B1-L1")))


def test_a_topic_with_a_line_break_cannot_smuggle_an_acl_line() -> None:
    text = HEAD + _mapping("tele/x\\nuser lakeview.B1-L1/{device}", "plug")
    with pytest.raises(IdentityError, match="control character or line break"):
        site_identities(parse_site(text))


@pytest.mark.parametrize("name", ["has space", "", "x" * 65, "bad/slash", "new\\nline"])
def test_a_gateway_name_must_be_a_plain_identifier(name: str) -> None:
    with pytest.raises(ConfigError, match=r"mqtt_mappings\[0\].gateway"):
        parse_site(HEAD + _mapping("tele/{device}/SENSOR", name))


def test_the_acl_lets_the_hub_read_and_every_other_account_only_write() -> None:
    site = parse_site(HEAD + _mapping("zigbee2mqtt/{building}/{device}", "zb", asset="{building}-{device}"))
    acl = render_acl(list(site_identities(site).identities), "hub-account")
    blocks = [block.splitlines() for block in acl.split("\nuser ")[1:]]
    by_user = {lines[0]: [line for line in lines[1:] if line and not line.startswith("#")] for lines in blocks}
    assert by_user.pop("hub-account") == ["topic readwrite #", "topic read $SYS/#"]
    assert by_user == {
        "lakeview.B1-0101-W": ["topic write facilities/lakeview/B1-0101-W/telemetry"],
        "lakeview.B1-CORRIDOR-LIGHT": ["topic write facilities/lakeview/B1-CORRIDOR-LIGHT/telemetry"],
        "lakeview.B1-L1": ["topic write facilities/lakeview/B1-L1/telemetry"],
        "lakeview.zb": ["topic write zigbee2mqtt/+/+"],
    }
    # Mosquitto reads a trailing comment as part of a topic: every comment is a line of its own.
    assert all(line.startswith("#") or "#" not in line or line.startswith("topic") for line in acl.splitlines())
    assert not [line for line in acl.splitlines() if line.startswith(("topic", "pattern")) and " # " in line]


def test_two_sites_sharing_a_broker_never_share_an_account() -> None:
    other = parse_site(HEAD.replace('id = "lakeview"', 'id = "riverside"'))
    names = {i.username for site in (parse_site(HEAD), other) for i in site_identities(site).identities}
    assert len(names) == 6
    assert telemetry_topic("riverside", "B1-L1") in render_acl(list(site_identities(other).identities), HUB_USER)
