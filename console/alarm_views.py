"""The alarms page's rows: each firing alarm with its place, evidence, linked order and how it is handled.

Read from the rule state the engine keeps in the hub's database (`rules.state_store`), the handling record
(`rules.handling`) and the active orders; sorted by severity, then building, then when it was raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from console.order_facts import rule_title
from core.registry import AssetRegistry, UnknownAsset
from core.site import Site
from rules import handling
from rules.handling import Handling, HandlingStep, MaintenanceWindow
from rules.state_store import SqlRuleStateStore, StoredState
from workorders.queries import active_orders_by_alarm

SEVERITY_ORDER = ("critical", "major", "minor", "warning", "info")
STATES = ("firing", "alarm_acknowledged", "shelved", "in_maintenance")


@dataclass(frozen=True)
class AlarmView:
    key: str  # the episode's alarm id
    rule_id: str
    title: str
    asset_id: str
    asset: str
    building_id: str
    building: str
    severity: str
    since: datetime | None
    raised_at: datetime | None
    evidence: tuple[tuple[str, str], ...]
    order: str | None
    acknowledged: HandlingStep | None
    shelved: HandlingStep | None
    maintenance: MaintenanceWindow | None
    steps: tuple[HandlingStep, ...]

    @property
    def state(self) -> str:
        if self.maintenance is not None:
            return "in_maintenance"
        if self.shelved is not None:
            return "shelved"
        return "alarm_acknowledged" if self.acknowledged is not None else "firing"


def episode_key(alarm: StoredState) -> str:
    return handling.episode_key(alarm.alarm_id, alarm.rule_id, alarm.asset_id, alarm.since or alarm.raised_at)


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _place(site: Site, registry: AssetRegistry, asset_id: str) -> tuple[str, str, str]:
    """(asset label, building id, building name)."""
    try:
        tags = registry.get(asset_id).tags
    except UnknownAsset:  # removed from the site file while its alarm was open
        tags = {}
    named = site.elevators.get(asset_id) or site.circuits.get(asset_id)
    label = f"{named.name} ({asset_id})" if named is not None and named.name else asset_id
    building_id = tags.get("building") or ""
    building = site.buildings.get(building_id)
    return label, building_id, (building.name or building_id) if building is not None else building_id


def _evidence(values: dict[str, object]) -> tuple[tuple[str, str], ...]:
    shown = [(k, str(v)) for k, v in values.items() if k not in {"at", "since"} and v is not None]
    return tuple((k, v if len(v) <= 120 else v[:117] + "…") for k, v in shown[:8])


def firing_alarms(
    session: Session, site: Site, registry: AssetRegistry, *, now: datetime, lang: str
) -> tuple[list[AlarmView], list[MaintenanceWindow]]:
    """Every firing alarm of the site, worst first, and the maintenance windows not yet over."""
    alarms = SqlRuleStateStore(_engine(session), site.id).open_alarms()
    orders = active_orders_by_alarm(session, site_id=site.id)
    keys = {episode_key(a): a for a in alarms}
    record = handling.handling_of(session, site.id, keys)
    windows = handling.maintenance_windows(session, site.id, ending_after=now)
    views = []
    for key, alarm in keys.items():
        label, building_id, building = _place(site, registry, alarm.asset_id)
        kept = record.get(key, Handling())
        view = AlarmView(
                key=key, rule_id=alarm.rule_id, title=rule_title(alarm.rule_id, lang), asset_id=alarm.asset_id,
                asset=label, building_id=building_id, building=building, severity=alarm.severity,
                since=alarm.since, raised_at=alarm.raised_at, evidence=_evidence(dict(alarm.evidence)),
                order=orders.get((alarm.asset_id, alarm.rule_id)), acknowledged=kept.acknowledged,
                shelved=kept.shelved(now), maintenance=handling.in_maintenance(windows, alarm.asset_id, now),
                steps=kept.steps,
            )  # fmt: skip
        views.append(view)
    return sort_alarms(views), windows


def sort_alarms(views: Sequence[AlarmView]) -> list[AlarmView]:
    def rank(view: AlarmView) -> tuple[int, str, str]:
        severity = SEVERITY_ORDER.index(view.severity) if view.severity in SEVERITY_ORDER else len(SEVERITY_ORDER)
        return severity, view.building, view.raised_at.isoformat() if view.raised_at else ""

    return sorted(views, key=rank)


def select_alarms(views: Sequence[AlarmView], *, severity: str, building: str, state: str) -> list[AlarmView]:
    return [
        v
        for v in views
        if (not severity or v.severity == severity)
        and (not building or v.building_id == building)
        and (not state or v.state == state)
    ]
