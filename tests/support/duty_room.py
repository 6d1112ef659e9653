"""Alarms and cars for the duty-room tests: firing rule state as the engine writes it, and an entrapment
order with the car's state and door readings around it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from core.reading import Reading
from core.registry import AssetRegistry
from rules.state_store import SqlRuleStateStore, StoredState
from storage.points import to_point
from tests.support.console_rig import ConsoleRig
from workorders import service
from workorders.alarms import AlarmFacts
from workorders.values import Category


def engine_of(rig: ConsoleRig) -> Engine:
    with rig.sessions() as session:
        bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def fire(rig: ConsoleRig, rule_id: str, asset_id: str, severity: str, *, minutes_ago: int = 5, **evidence: Any) -> str:
    """A firing alarm in the rule state, as the engine keeps it; its alarm id."""
    raised = rig.clock.now() - timedelta(minutes=minutes_ago)
    alarm_id = f"{rule_id}:{asset_id}:{raised.isoformat()}"
    state = StoredState(
        rule_id=rule_id, asset_id=asset_id, status="firing", severity=severity, updated_at=raised,
        since=raised - timedelta(minutes=1), raised_at=raised, alarm_id=alarm_id, message_key=rule_id,
        evidence=dict(evidence),
    )  # fmt: skip
    SqlRuleStateStore(engine_of(rig), rig.site.id).save([state])
    return alarm_id


def car_readings(rig: ConsoleRig, asset_id: str, rows: list[tuple[int, dict[str, Any]]]) -> None:
    """Readings `seconds` from now (negative: before) for a car."""
    info = AssetRegistry.from_site(rig.site).get(asset_id)
    now = rig.clock.now()
    rig.store.write([to_point(Reading(asset_id, now + timedelta(seconds=s), values), info) for s, values in rows])


def entrapment_order(rig: ConsoleRig, asset_id: str = "B1-L1") -> service.OrderRef:
    """A car stopped between floors with the door shut: first 非平层停梯, then 困人, which supersedes it."""
    now = rig.clock.now()
    readings = [
        (s, {"state": "moving", "door": "closed", "floor": 3 + (s + 600) // 120}) for s in range(-600, -240, 30)
    ]
    readings += [
        (s, {"state": "stopped", "door": "closed", "floor": 6, "in_door_zone": False}) for s in range(-240, 1, 30)
    ]
    car_readings(rig, asset_id, readings)
    building = AssetRegistry.from_site(rig.site).get(asset_id).tags.get("building")
    first = AlarmFacts(
        rule_id="elevator-stopped-outside-door-zone", asset_id=asset_id, severity="major",
        raised_at=now - timedelta(minutes=3), message="非平层停梯",
        evidence={"conditions": "state ≠ moving and in_door_zone = False", "state": "stopped", "in_door_zone": False},
        site_id=rig.site.id, building_id=building, category=Category.ELEVATOR, title="非平层停梯",
    )  # fmt: skip
    service.open_from_alarm(rig.uow(), first, clock=rig.clock)
    trapped = AlarmFacts(
        rule_id="elevator-entrapment", asset_id=asset_id, severity="critical", raised_at=now - timedelta(minutes=1),
        message="电梯困人：轿厢停在 6 层与 7 层之间，门关闭",
        evidence={"state": "stopped", "door": "closed", "floor": 6},
        site_id=rig.site.id, building_id=building, category=Category.ELEVATOR, title="困人",
    )  # fmt: skip
    return service.open_from_alarm(rig.uow(), trapped, clock=rig.clock)
