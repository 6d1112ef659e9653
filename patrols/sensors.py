"""What the sensors already know for a route (巡检前的机器检查): lights left on (長明燈), water running in vacant
units (長流水), other open alarms and devices gone silent, in the buildings, areas and units the route covers.

Read from the rules engine's state (`rule_state`, status firing): the manager confirms each on site or explains
it (`patrols.service.note_sensor`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.site import Site
from patrols.config import PatrolBook
from rules.library import effective_rules
from rules.state_store import RuleStateRow

FIRING = "firing"
KIND_OF_RULE = {"continuous_on": "lights_on", "continuous_flow": "water_running", "silence": "offline"}
ORDER = ("lights_on", "water_running", "alarm", "offline")


@dataclass(frozen=True)
class SensorFinding:
    key: str  # rule_id|asset_id: what a note answers
    kind: str  # lights_on | water_running | alarm | offline
    rule_id: str
    asset_id: str
    place: str
    since: datetime | None


def route_findings(
    session_factory: Callable[[], Session], site: Site, book: PatrolBook, route_id: str
) -> list[SensorFinding]:
    """The open findings of the route's places, lights and water first."""
    rules = effective_rules(site.rules, use_builtin=site.use_builtin_rules)
    kinds = {rule.id: KIND_OF_RULE.get(rule.kind, "alarm") for rule in rules}
    scope = _scope(site, book, route_id)
    with session_factory() as session:
        rows = session.scalars(
            select(RuleStateRow).where(RuleStateRow.site_id == site.id, RuleStateRow.status == FIRING)
        ).all()
    found = [
        SensorFinding(
            f"{row.rule_id}|{row.asset_id}",
            kinds.get(row.rule_id, "alarm"),
            row.rule_id,
            row.asset_id,
            _place_name(site, row.asset_id),
            row.raised_at,
        )
        for row in rows
        if _places(site, row.asset_id) & scope
    ]
    return sorted(found, key=lambda f: (ORDER.index(f.kind), f.place, f.asset_id))


def _scope(site: Site, book: PatrolBook, route_id: str) -> set[str]:
    """The places a route covers: its checkpoints' buildings, areas and units, as `kind:id`."""
    scope: set[str] = set()
    for point in book.stops(route_id):
        if point.unit is not None:
            scope.add(f"unit:{point.unit}")
        elif point.area is not None:
            scope.add(f"area:{point.area}")
        elif point.building is not None:
            scope.add(f"building:{point.building}")
    return scope


def _places(site: Site, asset_id: str) -> set[str]:
    """Every place an asset is in: its unit, its area, its building."""
    asset = site.meters.get(asset_id) or site.circuits.get(asset_id) or site.elevators.get(asset_id)
    if asset is None:
        return set()
    unit, area = getattr(asset, "unit", None), getattr(asset, "area", None)
    building = getattr(asset, "building", None)
    if unit is not None and unit in site.units:
        building = building or site.units[unit].building
    if area is not None and area in site.areas:
        building = building or site.areas[area].building
    places = {f"unit:{unit}"} if unit else set()
    places |= {f"area:{area}"} if area else set()
    return places | ({f"building:{building}"} if building else set())


def _place_name(site: Site, asset_id: str) -> str:
    named = site.circuits.get(asset_id) or site.elevators.get(asset_id)
    if named is not None and named.name:
        return f"{named.name} ({asset_id})"
    meter = site.meters.get(asset_id)
    if meter is not None and meter.unit:
        return f"{meter.unit} ({asset_id})"
    return asset_id
