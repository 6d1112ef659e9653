"""Gathering the monthly operations report from what the hub keeps: work orders and follow-up calls, patrols,
alarms (the orders rules opened), the meters' registers in the reading store, and planned maintenance through its
port. Every figure is for the site's calendar month.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import Clock
from core.registry import AssetInfo, AssetRegistry
from core.site import Site
from patrols.config import PatrolBook
from patrols.orm import PatrolRow
from patrols.schedule import slots_between
from reports.model import (
    MonthlyReport,
    OrderLine,
    PatrolLine,
    PlannedMaintenanceSource,
    RecurringProblem,
    UtilityLine,
)
from rules.library import effective_rules
from storage.store import ReadingStore, Sample
from workorders.orm import SlaBreachRow, WorkOrderRow
from workorders.queries import monthly_site_statistics, satisfaction_counts
from workorders.stats import month_bounds

REGISTER = "total"
TOP_RECURRING = 5


def parse_period(text: str) -> tuple[int, int]:
    """`YYYY-MM` as (year, month); ValueError naming the text otherwise."""
    try:
        when = datetime.strptime(text.strip(), "%Y-%m")
    except ValueError:
        raise ValueError(f"period {text[:20]!r} is not a month like 2026-11") from None
    if not 2000 <= when.year <= 2100:
        raise ValueError(f"period {text[:20]!r} is out of range (2000-2100)")
    return when.year, when.month


def build_monthly_report(
    site: Site, sessions: Callable[[], Session], store: ReadingStore | None, period: str, *, book: PatrolBook,
    clock: Clock, planned: PlannedMaintenanceSource | None = None,
) -> MonthlyReport:  # fmt: skip
    """The report of `period` (YYYY-MM) for `site`."""
    year, month = parse_period(period)
    zone = ZoneInfo(site.info.timezone)
    start, end = month_bounds(year, month, zone)
    now = clock.now()
    with sessions() as session:
        orders, rows = orders_of_month(session, site.id, year, month, zone)
        satisfaction = satisfaction_counts(session, site_id=site.id, recorded_from=start, recorded_before=end)
        patrols = _patrols(session, site, book, start, min(end, now), zone)
    return MonthlyReport(
        site_id=site.id, site_name=site.info.name, period=f"{year:04d}-{month:02d}", generated_at=now,
        orders=orders, satisfaction={verdict.value: count for verdict, count in satisfaction.items()},
        patrols=patrols, alarms=_alarms(site, rows), consumption=consumption(site, store, year, month, zone),
        recurring=_recurring(rows), planned=planned(site.id, start, end) if planned is not None else None,
    )  # fmt: skip


def orders_of_month(
    session: Session, site_id: str, year: int, month: int, zone: ZoneInfo
) -> tuple[tuple[OrderLine, ...], Sequence[WorkOrderRow]]:
    """The site's orders reported in the month (site calendar), by category, and the orders themselves."""
    start, end = month_bounds(year, month, zone)
    stats = monthly_site_statistics(session, site_id=site_id, year=year, month=month, tz=zone)
    rows = session.scalars(
        select(WorkOrderRow).where(
            WorkOrderRow.site_id == site_id, WorkOrderRow.reported_at >= start, WorkOrderRow.reported_at < end
        )
    ).all()
    breached = set(
        session.scalars(
            select(SlaBreachRow.work_order_id).where(SlaBreachRow.work_order_id.in_([row.id for row in rows]))
        )
    )
    resolved = Counter(row.category for row in rows if row.resolved_at is not None)
    within = Counter(row.category for row in rows if row.id not in breached)
    lines = tuple(
        OrderLine(
            s.category.value, s.count, s.breaches, resolved[s.category.value],
            round(s.median_to_resolve / timedelta(hours=1), 1) if s.median_to_resolve else None,
            within[s.category.value],
        )
        for s in stats
    )  # fmt: skip
    return lines, rows


def _patrols(
    session: Session, site: Site, book: PatrolBook, start: datetime, end: datetime, zone: ZoneInfo
) -> tuple[PatrolLine, ...]:
    """Per route: the rounds due in the month whose window is over by now, and how each went."""
    lines = []
    for route in book.routes.values():
        slots = [slot for slot in slots_between(route, start, end, zone) if slot + route.deadline <= end]
        if not slots:
            lines.append(PatrolLine(route.id, route.name, 0, 0, 0, ()))
            continue
        done: dict[datetime, datetime] = {}
        query = select(PatrolRow.slot_at, PatrolRow.completed_at).where(
            PatrolRow.site_id == site.id, PatrolRow.route_id == route.id, PatrolRow.slot_at >= slots[0],
            PatrolRow.slot_at <= slots[-1], PatrolRow.completed_at.is_not(None),
        )  # fmt: skip
        for slot_at, completed_at in session.execute(query):
            key: datetime = slot_at.astimezone(UTC)
            if completed_at is not None:
                done[key] = min(completed_at, done.get(key, completed_at))
        on_time = sum(1 for slot in slots if slot in done and done[slot] <= slot + route.deadline)
        late = sum(1 for slot in slots if slot in done and done[slot] > slot + route.deadline)
        missed = tuple(slot for slot in slots if slot not in done)
        lines.append(PatrolLine(route.id, route.name, len(slots), on_time, late, missed))
    return tuple(lines)


def _alarms(site: Site, rows: Sequence[WorkOrderRow]) -> dict[str, int]:
    """Work orders opened from alarms, by the kind of the rule that raised them (state, threshold, …)."""
    kinds = {rule.id: rule.kind for rule in effective_rules(site.rules, use_builtin=site.use_builtin_rules)}
    counted = Counter(kinds.get(row.rule_id, "other") for row in rows if row.rule_id)
    return dict(counted.most_common())


def _recurring(rows: Sequence[WorkOrderRow]) -> tuple[RecurringProblem, ...]:
    """Assets (else units) with two or more orders in the month, most first."""
    by_place: dict[str, list[WorkOrderRow]] = defaultdict(list)
    for row in rows:
        place = row.asset_id or row.unit_id
        if place:
            by_place[place].append(row)
    repeated = sorted(((p, r) for p, r in by_place.items() if len(r) > 1), key=lambda item: (-len(item[1]), item[0]))
    return tuple(
        RecurringProblem(
            place, len(group), tuple(sorted({r.category for r in group})), tuple(dict.fromkeys(r.title for r in group))
        )
        for place, group in repeated[:TOP_RECURRING]
    )  # fmt: skip


def consumption(
    site: Site, store: ReadingStore | None, year: int, month: int, zone: ZoneInfo, *, last_year: bool = True,
    units_only: bool = False,
) -> tuple[UtilityLine, ...]:  # fmt: skip
    """Per utility: the registers' rise over the month, the month before and (`last_year`) the same month a year
    earlier; `units_only`: the units' meters alone, not the public areas'.

    From the last reading before each boundary, swaps not netted out: an overview, not the bill
    (billing's statements are the figures to charge).
    """
    if store is None:
        return ()
    registry = AssetRegistry.from_site(site)
    months = {"this": month_bounds(year, month, zone)}
    months["previous"] = month_bounds(year - (month == 1), 12 if month == 1 else month - 1, zone)
    if last_year:
        months["last_year"] = month_bounds(year - 1, month, zone)
    totals: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
    counts: Counter[tuple[str, str]] = Counter()
    missing: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for meter in site.meters.values():
        if units_only and meter.unit is None:
            continue
        key = (meter.utility.value, meter.uom)
        counts[key] += 1
        asset = registry.get(meter.id)
        registers: dict[datetime, Sample | None] = {}  # this month's start is the previous month's end: read once
        for name, (first, after) in months.items():
            rise = _rise(store, asset, first, after, registers)
            if rise is None:
                missing[name][key] += 1
                continue
            totals[key][name] = totals[key].get(name, Decimal(0)) + rise
    return tuple(
        UtilityLine(utility, uom, totals[(utility, uom)].get("this"), totals[(utility, uom)].get("previous"),
                    totals[(utility, uom)].get("last_year"), counts[(utility, uom)], missing["this"][(utility, uom)],
                    missing["previous"][(utility, uom)])
        for utility, uom in sorted(counts)
    )  # fmt: skip


def _rise(
    store: ReadingStore, asset: AssetInfo, first: datetime, after: datetime, registers: dict[datetime, Sample | None]
) -> Decimal | None:
    for boundary in (first, after):
        if boundary not in registers:
            registers[boundary] = store.last_before(asset, REGISTER, boundary)
    begin, finish = registers[first], registers[after]
    if begin is None or finish is None:
        return None
    try:
        rise = Decimal(str(finish.value)) - Decimal(str(begin.value))
    except ArithmeticError:
        return None
    return rise if rise >= 0 else None  # a swap or a reset: left to billing's review, not summed here
