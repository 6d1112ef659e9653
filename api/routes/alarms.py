"""Open alarms of a site, as the rules engine holds them now.

The rule state keeps each (rule, asset)'s current episode only, so there is no alarm history here; every
raised alarm is kept on its work order (`GET /sites/{site_id}/work-orders/{code}`, `alarms`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import Engine

from access.roles import Permission
from api.auth import Caller
from api.deps import DepsDep, PaginationDep, RegistryDep, SessionDep, require
from api.ports import AlarmSource, ApiDependencies, OpenAlarm
from api.schemas import ERROR_RESPONSES, Page, not_found, page_of
from api.schemas_workorders import ONE_LINE
from api.workorder_deps import SiteIdDep
from core.registry import AssetRegistry, UnknownAsset
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


def alarm_source(deps: ApiDependencies) -> AlarmSource:
    """The port given, else the rule state in this API's own database (the hub keeps one database)."""
    if deps.alarms is not None:
        return deps.alarms
    with deps.session_factory() as session:
        bind = session.get_bind()
    return SqlRuleStateStore(bind if isinstance(bind, Engine) else bind.engine, deps.site.id)


def _out(alarm: OpenAlarm, registry: AssetRegistry, orders: dict[tuple[str, str], str]) -> AlarmOut:
    try:
        tags = registry.get(alarm.asset_id).tags
    except UnknownAsset:  # an asset removed from the site file while its alarm was open
        tags = {}
    return AlarmOut(
        alarm_id=alarm.alarm_id, rule_id=alarm.rule_id, asset_id=alarm.asset_id, severity=alarm.severity,
        started_at=alarm.since, raised_at=alarm.raised_at, message_key=alarm.message_key,
        evidence=dict(alarm.evidence), building=tags.get("building"), unit=tags.get("unit"), area=tags.get("area"),
        work_order=orders.get((alarm.asset_id, alarm.rule_id)),
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
    alarms = [_out(alarm, registry, orders) for alarm in alarm_source(deps).open_alarms()]
    wanted = {"severity": severity, "asset_id": asset, "rule_id": rule, "building": building}
    selected = [a for a in alarms if all(v is None or getattr(a, name) == v for name, v in wanted.items())]
    return page_of(selected, pagination)
