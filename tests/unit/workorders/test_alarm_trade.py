"""The trade of an alarm's work order comes from the rule, else the sensor kind, else the asset kind."""

from __future__ import annotations

from core.device_kinds import builtin_kinds
from core.measurements import AssetKind
from core.registry import AssetInfo
from rules.config import parse_rules
from workorders.alarm_policy import category_for
from workorders.values import Category

LEAK = AssetInfo("leak-1", AssetKind.SENSOR, {"kind": "water_leak"}, 3600, builtin_kinds()["water_leak"])
SMOKE = AssetInfo("smoke-1", AssetKind.SENSOR, {"kind": "smoke"}, 3600, builtin_kinds()["smoke"])
CIRCUIT = AssetInfo("C1", AssetKind.CIRCUIT, {"area": "lobby"})
WATER = AssetInfo("M1", AssetKind.METER, {"utility": "water"})
POWER = AssetInfo("M2", AssetKind.METER, {"utility": "electricity"})


def rule(**extra: object) -> object:
    table = {"id": "r", "kind": "state", "conditions": [{"field": "leak", "value": True}], **extra}
    return parse_rules([table])[0]


def test_sensor_kind_gives_the_trade_not_the_asset_kind() -> None:
    assert category_for(rule(), LEAK) is Category.PLUMBING  # type: ignore[arg-type]
    assert category_for(rule(), SMOKE) is Category.SECURITY  # type: ignore[arg-type]
    assert category_for(None, LEAK) is Category.PLUMBING


def test_the_rule_trade_wins() -> None:
    assert category_for(rule(trade="electrical"), LEAK) is Category.ELECTRICAL  # type: ignore[arg-type]
    assert category_for(rule(trade="security"), CIRCUIT) is Category.SECURITY  # type: ignore[arg-type]


def test_asset_kind_is_the_last_resort_and_flow_rules_keep_their_trade() -> None:
    assert category_for(rule(), CIRCUIT) is Category.LIGHTING  # type: ignore[arg-type]
    flow = parse_rules([{"id": "f", "kind": "continuous_flow", "rising_for": "6h"}])[0]
    assert category_for(flow, WATER) is Category.PLUMBING
    assert category_for(flow, POWER) is Category.ELECTRICAL
