"""The company-wide view: one line of figures per site, for comparing the company's communities.

Per site, in its own calendar month: the work orders reported and how many met every SLA step, the SLA steps
missed, planned maintenance done by its due date, and each utility's consumption per metered unit (户) against
the month before. Right now: the orders still being worked on and the alarms firing. The month's figures come
from what the monthly report (`reports.gather`) computes; the counts of now from one grouped query each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.clock import Clock
from core.site import Site, Utility
from maintenance.reports import planned_completion
from reports.gather import consumption, orders_of_month, parse_period
from reports.model import UtilityLine
from rules.state_store import firing_counts
from storage.store import ReadingStore, StoreUnavailable
from workorders.queries import open_order_counts

log = logging.getLogger(__name__)
PER_UNIT_PLACES = Decimal("0.01")
UTILITIES = tuple(utility.value for utility in Utility)  # water, electricity, gas


@dataclass(frozen=True)
class UnitConsumption:
    """A utility's use per metered unit (户) this month and the month before (None: no register read)."""

    utility: str
    unit: str  # m3, kWh
    this_month: Decimal | None
    previous_month: Decimal | None
    meters: int  # the units' meters of this utility

    @property
    def change(self) -> float | None:
        """This month against the month before, e.g. 0.12 for 12 % more; None without both."""
        if self.this_month is None or not self.previous_month:
            return None
        return float(self.this_month / self.previous_month) - 1


@dataclass(frozen=True)
class SiteFigures:
    site_id: str
    site_name: str
    timezone: str
    open_orders: int  # still being worked on, now
    open_alarms: int  # firing, now
    orders: int  # reported in the month
    within_sla: int  # of those, orders that missed no SLA step
    breaches: int  # SLA steps missed by the month's orders
    maintenance_due: int  # planned maintenance due in the month (inspections' reminders excluded)
    maintenance_on_time: int
    consumption: tuple[UnitConsumption, ...]
    consumption_unavailable: bool = False  # the reading store did not answer: no consumption, not zero

    @property
    def sla_rate(self) -> float | None:
        return self.within_sla / self.orders if self.orders else None

    @property
    def maintenance_rate(self) -> float | None:
        return self.maintenance_on_time / self.maintenance_due if self.maintenance_due else None

    def per_unit(self, utility: str) -> UnitConsumption | None:
        return next((line for line in self.consumption if line.utility == utility), None)


@dataclass(frozen=True)
class PortfolioSummary:
    company: str
    period: str  # YYYY-MM, each site's own calendar month
    generated_at: datetime
    sites: tuple[SiteFigures, ...]

    @property
    def utilities(self) -> tuple[str, ...]:
        """Every utility some site meters, in a fixed order (water, electricity, gas)."""
        found = {line.utility for site in self.sites for line in site.consumption}
        return tuple(u for u in UTILITIES if u in found)


def portfolio_summary(
    company: str, sites: Mapping[str, Site], sessions: Callable[[], Session],
    stores: Callable[[str], ReadingStore | None], period: str, *, clock: Clock,
) -> PortfolioSummary:  # fmt: skip
    """The figures of `period` (YYYY-MM; ValueError otherwise) for each of `sites`, in their order.

    `stores(site_id)` is the reading store holding that site's meters (one shared InfluxDB: the same for all;
    None: no consumption for that site).
    """
    year, month = parse_period(period)
    with sessions() as session:
        open_orders = open_order_counts(session, site_ids=sites)
        open_alarms = firing_counts(session, site_ids=sites)
        month_orders = {
            site_id: orders_of_month(session, site_id, year, month, ZoneInfo(site.info.timezone))[0]
            for site_id, site in sites.items()
        }
    lines = []
    for site_id, site in sites.items():
        zone = ZoneInfo(site.info.timezone)
        orders = month_orders[site_id]
        planned = planned_completion(sessions, site_id=site_id, year=year, month=month, tz=zone)
        used: tuple[UtilityLine, ...] = ()
        unavailable = False
        try:
            used = consumption(site, stores(site_id), year, month, zone, last_year=False, units_only=True)
        except StoreUnavailable as exc:  # one site's store down leaves the others' figures on the page
            log.warning("company view: no consumption for site %s, its reading store did not answer: %s", site_id, exc)
            unavailable = True
        lines.append(
            SiteFigures(
                site_id=site_id, site_name=site.info.name, timezone=site.info.timezone,
                open_orders=open_orders[site_id], open_alarms=open_alarms[site_id],
                orders=sum(line.count for line in orders), within_sla=sum(line.within_sla for line in orders),
                breaches=sum(line.breaches for line in orders), maintenance_due=planned.due,
                maintenance_on_time=planned.on_time, consumption=tuple(_per_unit(line) for line in used),
                consumption_unavailable=unavailable,
            )
        )  # fmt: skip
    return PortfolioSummary(company, f"{year:04d}-{month:02d}", clock.now(), tuple(lines))


def _per_unit(line: UtilityLine) -> UnitConsumption:
    """The month's rise divided among the meters that had readings at both ends of it."""

    def average(total: Decimal | None, without: int) -> Decimal | None:
        reporting = line.meters - without
        return (total / reporting).quantize(PER_UNIT_PLACES) if total is not None and reporting > 0 else None

    return UnitConsumption(
        line.utility, line.unit, average(line.this_month, line.meters_without_data),
        average(line.previous_month, line.meters_without_data_before), line.meters,
    )  # fmt: skip


def _used_this_month(utility: str) -> Callable[[SiteFigures], Decimal | None]:
    def value(site: SiteFigures) -> Decimal | None:
        line = site.per_unit(utility)
        return line.this_month if line is not None else None

    return value


# The columns a summary can be sorted by, and each site's value in it; a missing figure sorts last either way.
SORT_KEYS: dict[str, Callable[[SiteFigures], Any]] = {
    "site": lambda s: s.site_id,  # ids are mostly pinyin or English: an order people expect, unlike code points
    "open_orders": lambda s: s.open_orders,
    "sla": lambda s: s.sla_rate,
    "breaches": lambda s: s.breaches,
    "alarms": lambda s: s.open_alarms,
    "maintenance": lambda s: s.maintenance_rate,
    **{utility: _used_this_month(utility) for utility in UTILITIES},
}


def sorted_sites(sites: Iterable[SiteFigures], key: str, *, descending: bool = False) -> list[SiteFigures]:
    """The sites ordered by one of SORT_KEYS (KeyError for another), missing figures last, then by site id."""
    value = SORT_KEYS[key]
    sites = list(sites)
    present = [s for s in sites if value(s) is not None]
    missing = sorted((s for s in sites if value(s) is None), key=lambda s: s.site_id)
    ordered = sorted(sorted(present, key=lambda s: s.site_id), key=value, reverse=descending)
    return ordered + missing
