"""What an alert says about a work order, as plain JSON values: stored with each message, rendered per locale."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.site import Site
from workorders.domain import WorkOrder
from workorders.values import SlaKind


@dataclass(frozen=True)
class PlaceBook:
    """Display names for ids: the site, its buildings and assets. Unknown ids are shown as they are."""

    site_names: Mapping[str, str] = field(default_factory=dict)
    building_names: Mapping[str, str] = field(default_factory=dict)
    asset_names: Mapping[str, str] = field(default_factory=dict)
    default_site_name: str = ""  # for orders stored with site "" (the hub's only site)

    @classmethod
    def from_site(cls, site: Site) -> PlaceBook:
        assets = {e.id: e.name for e in site.elevators.values() if e.name}
        assets.update({c.id: c.name for c in site.circuits.values() if c.name})
        buildings = {b.id: b.name for b in site.buildings.values() if b.name}
        return cls({site.id: site.info.name}, buildings, assets, default_site_name=site.info.name)

    def site(self, site_id: str) -> str:
        return self.site_names.get(site_id) or self.default_site_name or site_id

    def building(self, building_id: str | None) -> str:
        return "" if building_id is None else self.building_names.get(building_id, building_id)

    def asset(self, asset_id: str | None) -> str:
        return "" if asset_id is None else self.asset_names.get(asset_id, asset_id)


def order_facts(order: WorkOrder, *, places: PlaceBook, link: str) -> dict[str, Any]:
    """The order as the templates and the peers see it; every value is JSON (times are ISO 8601, UTC)."""
    latest = order.alarms[-1] if order.alarms else None
    return {
        "order_id": str(order.id),
        "code": order.code,
        "site_id": order.site_id,
        "site": places.site(order.site_id),
        "building_id": order.building_id,
        "building": places.building(order.building_id),
        "unit_id": order.unit_id,
        "asset_id": order.asset_id,
        "asset": places.asset(order.asset_id),
        "category": order.category.value,
        "priority": order.priority.value,
        "severity": latest.severity if latest is not None else None,
        "title": order.title,
        "status": order.status.value,
        "assignee": order.assignee,
        "reported_at": _iso(order.reported_at),
        "updated_at": _iso(order.updated_at),
        "evidence": dict(latest.evidence) if latest is not None else {},
        "alarm_count": len(order.alarms),
        "deadline": next_deadline(order),
        "link": link,
    }


def next_deadline(order: WorkOrder) -> dict[str, Any] | None:
    """The first step still to do with a deadline (acknowledge, then on site, then resolved), or None."""
    done = {
        SlaKind.ACKNOWLEDGE: order.acknowledged_at,
        SlaKind.ON_SITE: order.arrived_at,
        SlaKind.RESOLVE: order.resolved_at,
    }
    for kind in SlaKind:
        due = order.deadlines.due(kind)
        if due is not None and done[kind] is None:
            minutes = round((due - order.reported_at).total_seconds() / 60)
            return {"step": kind.value, "due_at": _iso(due), "within_min": minutes}
    return None


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()
