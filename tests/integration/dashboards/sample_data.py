"""Twelve hours of a simulated community in InfluxDB, with the events the dashboards look for.

Readings come from `simulators.community` and are written with the hub's own store (tags from the
asset registry), so the dashboards query exactly the schema ingest produces. On top: a few meters
that fell silent, elevator faults and alarm events (measurement `alarm`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.reading import Reading
from core.registry import AssetRegistry
from core.site import Site
from simulators.community import CommunitySimulator
from storage.influx import InfluxV1Store
from storage.points import Point, to_point

HOURS = 12
STEP = timedelta(minutes=5)
SILENT_METERS = frozenset({"B1-0101-W", "B1-0502-E", "B2-1003-G"})
SILENT_FOR = timedelta(hours=2)
FAULTY_CAR = "B1-L1"
FAULT_CODE = 21


@dataclass(frozen=True)
class Loaded:
    start: datetime
    end: datetime
    points: int
    faults: int
    alarms: int


def load(store: InfluxV1Store, site: Site, end: datetime) -> Loaded:
    """Write `HOURS` of readings every `STEP` up to `end`, then the faults and alarms."""
    registry = AssetRegistry.from_site(site)
    start = end - timedelta(hours=HOURS)
    simulator = CommunitySimulator(site, seed=7, start=start)
    points: list[Point] = []
    when = start
    while when <= end:
        for asset_id, body in simulator.step(when):
            if asset_id in SILENT_METERS and when > end - SILENT_FOR:
                continue
            info = registry.get(asset_id)
            fields = {name: info.coerce_field(name, value) for name, value in body.items() if name != "ts"}
            points.append(to_point(Reading(asset_id, when, fields), info))
        when += STEP
    faults = _faults(registry, end)
    alarms = _alarms(site.id, end)
    points += faults + alarms
    for offset in range(0, len(points), 5000):
        store.write(points[offset : offset + 5000])
    return Loaded(start, end, len(points), len(faults), len(alarms))


def _faults(registry: AssetRegistry, end: datetime) -> list[Point]:
    """The faulty car stops with a fault code three times in the last hours (between regular readings)."""
    info = registry.get(FAULTY_CAR)
    fields = {"state": "stopped", "fault_code": FAULT_CODE, "alarm": True, "floor": 7, "door": "closed"}
    times = [end - timedelta(hours=hours, seconds=30) for hours in (1, 3, 5)]
    return [to_point(Reading(FAULTY_CAR, when, fields), info) for when in times]


def _alarms(site_id: str, end: datetime) -> list[Point]:
    """An alarm raised and cleared on the faulty car, and one still open on a meter."""
    events = [
        (end - timedelta(hours=3), FAULTY_CAR, "elevator_fault", "critical", "raised"),
        (end - timedelta(hours=2, minutes=40), FAULTY_CAR, "elevator_fault", "critical", "cleared"),
        (end - timedelta(hours=1), "B1-0101-W", "meter_silent", "warning", "raised"),
    ]
    return [
        Point(
            "alarm",
            {"site": site_id, "building": "B1", "asset_id": asset, "rule": rule, "severity": severity},
            {"title": f"{rule} {asset}", "text": f"{rule} on {asset}: {state}", "state": state},
            int(when.timestamp()) * 1_000_000_000,
        )
        for when, asset, rule, severity, state in events
    ]
