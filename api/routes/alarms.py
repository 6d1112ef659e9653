"""Open alarms of a site, as the rules engine holds them now.

The rule state keeps each (rule, asset)'s current episode only, so there is no alarm history here; every
raised alarm is kept on its work order (`GET /sites/{site_id}/work-orders/{code}`, `alarms`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from access.roles import Permission
from api.auth import Caller
from api.deps import DepsDep, PaginationDep, RegistryDep, SessionDep, require
from api.ports import AlarmSource, ApiDependencies, OpenAlarm
from api.schemas import ERROR_RESPONSES, Page, not_found, page_of
from api.schemas_workorders import ONE_LINE
from api.workorder_deps import SiteIdDep
from core.registry import AssetRegistry, UnknownAsset
from rules import handling
from rules.config import Severity
from rules.state_store import SqlRuleStateStore
from workorders.queries import active_orders_by_alarm

router = APIRouter(
    prefix="/sites/{site_id}/alarms",
    tags=["alarms"],
    responses={**ERROR_RESPONSES, **not_found("No such site on this hub")},
)


class AlarmOut(BaseModel):
    alarm_id: str | None
    rule_id: str
    asset_id: str
    severity: str
    started_at: datetime | None  # when the condition began
    raised_at: datetime | None  # when it met the rule
    message_key: str
    evidence: dict[str, Any]
    building: str | None
    unit: str | None
    area: str | None
    work_order: str | None  # code of the order still being worked on for this (asset, rule)
    acknowledged_by: str | None = None  # who acknowledged this episode (console /console/alarms), and when
    acknowledged_at: datetime | None = None
    shelved_until: datetime | None = None  # shelved by staff until then, for `shelved_reason`
    shelved_reason: str | None = None
    in_maintenance: bool = False  # its asset is in a planned maintenance window now


def alarm_source(deps: ApiDependencies) -> AlarmSource:
    """The port given, else the rule state in this API's own database (the hub keeps one database)."""
    if deps.alarms is not None:
        return deps.alarms
    with deps.session_factory() as session:
        bind = session.get_bind()
    return SqlRuleStateStore(bind if isinstance(bind, Engine) else bind.engine, deps.site.id)


@dataclass(frozen=True)
class _Kept:
    """The handling record of the listed alarms (`rules.handling`) and the maintenance windows running now."""

    record: dict[str, handling.Handling]
    windows: list[handling.MaintenanceWindow]
    now: datetime

    @classmethod
    def load(cls, session: Session, site_id: str, alarms: Sequence[OpenAlarm], now: datetime) -> _Kept:
        keys = [_key(alarm) for alarm in alarms]
        windows = handling.maintenance_windows(session, site_id, ending_after=now)
        return cls(handling.handling_of(session, site_id, keys), windows, now)

    def of(self, alarm: OpenAlarm) -> dict[str, Any]:
        record = self.record.get(_key(alarm), handling.Handling())
        ack, shelf = record.acknowledged, record.shelved(self.now)
        return {
            "acknowledged_by": ack.actor if ack else None, "acknowledged_at": ack.at if ack else None,
            "shelved_until": shelf.until if shelf else None, "shelved_reason": shelf.reason if shelf else None,
            "in_maintenance": handling.in_maintenance(self.windows, alarm.asset_id, self.now) is not None,
        }  # fmt: skip


def _key(alarm: OpenAlarm) -> str:
    return handling.episode_key(alarm.alarm_id, alarm.rule_id, alarm.asset_id, alarm.since or alarm.raised_at)


def _out(alarm: OpenAlarm, registry: AssetRegistry, orders: dict[tuple[str, str], str], kept: _Kept) -> AlarmOut:
    try:
        tags = registry.get(alarm.asset_id).tags
    except UnknownAsset:  # an asset removed from the site file while its alarm was open
        tags = {}
    return AlarmOut(
        alarm_id=alarm.alarm_id, rule_id=alarm.rule_id, asset_id=alarm.asset_id, severity=alarm.severity,
        started_at=alarm.since, raised_at=alarm.raised_at, message_key=alarm.message_key,
        evidence=dict(alarm.evidence), building=tags.get("building"), unit=tags.get("unit"), area=tags.get("area"),
        work_order=orders.get((alarm.asset_id, alarm.rule_id)), **kept.of(alarm),
    )  # fmt: skip


@router.get("", summary="Firing alarms of the site, oldest first, with the work order handling each")
def open_alarms(
    _: Annotated[Caller, require(Permission.READ_ALARMS)],
    site_id: SiteIdDep,
    deps: DepsDep,
    registry: RegistryDep,
    session: SessionDep,
    pagination: PaginationDep,
    severity: Annotated[Severity | None, Query(description="Only alarms of this severity.")] = None,
    asset: Annotated[str | None, Query(max_length=64, pattern=ONE_LINE)] = None,
    rule: Annotated[str | None, Query(max_length=64, pattern=ONE_LINE)] = None,
    building: Annotated[str | None, Query(max_length=64, pattern=ONE_LINE)] = None,
) -> Page[AlarmOut]:
    orders = active_orders_by_alarm(session, site_id=site_id)
    found = alarm_source(deps).open_alarms()
    kept = _Kept.load(session, site_id, found, deps.clock.now())
    alarms = [_out(alarm, registry, orders, kept) for alarm in found]
    wanted = {"severity": severity, "asset_id": asset, "rule_id": rule, "building": building}
    selected = [a for a in alarms if all(v is None or getattr(a, name) == v for name, v in wanted.items())]
    return page_of(selected, pagination)
