"""What targeting needs to know about each asset of a site: registry data plus vacancy and area kind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core.measurements import AssetKind, FieldType
from core.registry import AssetRegistry
from core.site import Site


@dataclass(frozen=True, slots=True)
class AssetFacts:
    """What targeting needs to know about one asset: registry data plus vacancy and area kind from the site."""

    asset_id: str
    kind: AssetKind
    tags: Mapping[str, str]
    expected_interval_s: int
    vacant: bool | None = None  # None: not a unit's meter
    area_kind: str | None = None
    # The declared type of every field (the kind's, a sensor kind's, a Modbus/DL/T 645 binding's extras).
    fields: Mapping[str, FieldType] = field(default_factory=dict)
    device_kind: str | None = None  # a sensor's kind
    trade: str | None = None  # a sensor kind's trade (the work-order category)


_last: tuple[Site, list[AssetFacts]] | None = None


def asset_facts(site: Site) -> list[AssetFacts]:
    """Facts for every asset of a resolved site (the last site's are kept: each rule's check asks again)."""
    global _last
    if _last is not None and _last[0] is site:
        return _last[1]
    facts = []
    for info in AssetRegistry.from_site(site).all():
        unit = info.tags.get("unit")
        area = site.areas.get(info.tags.get("area", ""))
        facts.append(
            AssetFacts(
                info.asset_id,
                info.kind,
                info.tags,
                info.expected_interval_s,
                vacant=site.units[unit].unit.vacant if unit in site.units else None,
                area_kind=area.kind.value if area is not None else None,
                fields=info.field_types(),
                device_kind=info.device_kind.id if info.device_kind is not None else None,
                trade=info.device_kind.trade if info.device_kind is not None else None,
            )
        )
    _last = (site, facts)
    return facts


def field_type(asset: AssetFacts, name: str) -> FieldType | None:
    """The declared type of a field of an asset, or None if the asset declares no such field."""
    return asset.fields.get(name)
