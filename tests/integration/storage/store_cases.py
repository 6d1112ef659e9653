"""The site, assets and helpers the ReadingStore contract tests share (test_store_*.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone

from core.reading import FieldValue, Reading
from core.registry import AssetInfo, AssetRegistry
from core.site_loader import parse_site
from storage.embedded import EmbeddedStore
from storage.influx import InfluxV1Store
from storage.points import Point, to_point
from storage.store import Sample

SITE = """
[site]
id = "demo"
name = "Demo"

[[buildings]]
id = "B1"
floors = 6
unit_layout = { last_floor = 6, units_per_floor = 2 }

[[areas]]
id = "lobby"
building = "B1"

[[meter_groups]]
utilities = ["water"]

[[elevators]]
id = "B1-L1"
building = "B1"
highest_floor = 6
"""

REGISTRY = AssetRegistry.from_site(parse_site(SITE))
WATER = REGISTRY.get("B1-0101-W")
NEIGHBOUR = REGISTRY.get("B1-0102-W")
LIFT = REGISTRY.get("B1-L1")

CST = timezone(timedelta(hours=8))  # Asia/Shanghai has no DST: billing boundaries are at +08:00
US = timedelta(microseconds=1)
Store = InfluxV1Store | EmbeddedStore


def at(hour: int, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    """A time on 2026-11-26 UTC."""
    return datetime(2026, 11, 26, hour, minute, second, micro, tzinfo=UTC)


def point(asset: AssetInfo, when: datetime, fields: Mapping[str, FieldValue]) -> Point:
    """A point the way the spool writer makes it: the registry's measurement and tags."""
    return to_point(Reading(asset.asset_id, when, fields), asset)


def typed(fields: Mapping[str, FieldValue]) -> dict[str, tuple[str, FieldValue]]:
    return {name: (type(value).__name__, value) for name, value in fields.items()}


def samples(found: Iterable[Sample]) -> list[tuple[datetime, str, FieldValue]]:
    return [(s.ts, type(s.value).__name__, s.value) for s in found]
