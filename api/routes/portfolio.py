"""The company-wide view: one line of figures per site the caller may see (`reports.portfolio`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from access.roles import Permission
from api.auth import Caller
from api.deps import DepsDep, require
from api.schemas import ERROR_RESPONSES
from reports.portfolio import SiteFigures, UnitConsumption, portfolio_summary

router = APIRouter(prefix="/portfolio", tags=["portfolio"], responses=ERROR_RESPONSES)
DecimalText = str  # a decimal string, e.g. "3.42", as billing's figures


class UnitConsumptionOut(BaseModel):
    utility: str
    unit: str = Field(description="m3 or kWh")
    this_month: DecimalText | None = Field(description="Per metered unit (户); null: no register read.")
    previous_month: DecimalText | None
    change: float | None = Field(description="This month against the month before: 0.12 is 12 % more.")
    meters: int = Field(description="The units' meters of this utility.")


class SiteFiguresOut(BaseModel):
    site_id: str
    site_name: str
    timezone: str = Field(description="The month is this site's calendar month.")
    open_orders: int = Field(description="Orders still being worked on, now.")
    open_alarms: int = Field(description="Alarms firing, now.")
    orders: int = Field(description="Orders reported in the month.")
    within_sla: int = Field(description="Of those, the orders that missed no SLA step.")
    sla_rate: float | None = Field(description="within_sla / orders; null for a month without orders.")
    breaches: int = Field(description="SLA steps the month's orders missed.")
    maintenance_due: int
    maintenance_on_time: int
    maintenance_rate: float | None
    consumption: list[UnitConsumptionOut]
    consumption_unavailable: bool = Field(description="The site's reading store did not answer: no figures.")


class PortfolioSummaryOut(BaseModel):
    company: str
    period: str
    generated_at: datetime
    sites: list[SiteFiguresOut]


def _consumption_out(line: UnitConsumption) -> UnitConsumptionOut:
    def text(value: object) -> str | None:
        return None if value is None else str(value)

    return UnitConsumptionOut(
        utility=line.utility, unit=line.unit, this_month=text(line.this_month),
        previous_month=text(line.previous_month), change=line.change, meters=line.meters,
    )  # fmt: skip


def _site_out(site: SiteFigures) -> SiteFiguresOut:
    return SiteFiguresOut(
        site_id=site.site_id, site_name=site.site_name, timezone=site.timezone, open_orders=site.open_orders,
        open_alarms=site.open_alarms, orders=site.orders, within_sla=site.within_sla, sla_rate=site.sla_rate,
        breaches=site.breaches, maintenance_due=site.maintenance_due, maintenance_on_time=site.maintenance_on_time,
        maintenance_rate=site.maintenance_rate, consumption=[_consumption_out(line) for line in site.consumption],
        consumption_unavailable=site.consumption_unavailable,
    )  # fmt: skip


@router.get("/summary", summary="Every site's figures of a month, side by side (the sites the key may see)")
def get_summary(
    deps: DepsDep,
    caller: Annotated[Caller, require(Permission.READ_REPORTS)],
    period: Annotated[str, Query(description="The month, YYYY-MM (each site's own calendar).", max_length=7)],
) -> PortfolioSummaryOut:
    company, sites = deps.company_sites(caller.actor)
    # A key of some sites compares those where its role reads reports (`access.grants.LISTED_PER_SITE`).
    sites = {site_id: site for site_id, site in sites.items() if caller.grants.holds(site_id, Permission.READ_REPORTS)}
    try:
        summary = portfolio_summary(company, sites, deps.session_factory, deps.store_of, period, clock=deps.clock)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return PortfolioSummaryOut(
        company=summary.company, period=summary.period, generated_at=summary.generated_at,
        sites=[_site_out(site) for site in summary.sites],
    )  # fmt: skip
