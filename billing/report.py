"""The monthly report for the service centre: use per building and utility, top consumers, and the lines
that need a person (estimated ones, ones to review, vacant units that used something).

Built from all of a period's statements, adjustments included: a meter's figures are its regular line plus
its adjusting lines (the net that was billed), so the report's total is the export's net total. A line held
for review (a negative delta after an unrecorded swap, no readings) is listed, not added into any use.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from billing.periods import BillingPeriod
from billing.shared_config import SHARED_PREFIX
from billing.statements import Statement, StatementKind, StatementLine

_ZERO = Decimal(0)


@dataclass(frozen=True)
class BuildingUse:
    building_id: str
    utility: str
    uom: str
    meters: int
    consumption: Decimal
    amount: Decimal
    estimated: int
    to_review: int


@dataclass(frozen=True)
class SharedUse:
    """A 公摊 pool's allocation to one building's units (netted over adjustments)."""

    pool: str
    building_id: str
    utility: str
    uom: str
    units: int
    consumption: Decimal
    amount: Decimal
    to_review: int


@dataclass(frozen=True)
class MeterLine:
    """A line worth a look: its unit, meter, use and why it is listed."""

    unit_id: str
    meter_id: str
    utility: str
    consumption: Decimal | None
    amount: Decimal
    reason: str = ""


@dataclass(frozen=True)
class MonthlyReport:
    site_id: str
    period: BillingPeriod
    statements: int
    adjustments: int
    total: Decimal
    by_building: tuple[BuildingUse, ...]
    top_consumers: dict[str, tuple[MeterLine, ...]]
    estimated: tuple[MeterLine, ...]
    to_review: tuple[MeterLine, ...]
    vacant_with_use: tuple[MeterLine, ...]
    shared: tuple[SharedUse, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, decimals as strings."""
        data: dict[str, Any] = _jsonable({**asdict(self), "period": str(self.period)})
        return data


@dataclass
class _Net:
    """One meter's net figures over its regular line and adjusting lines."""

    building_id: str
    utility: str
    uom: str
    consumption: Decimal | None = None
    amount: Decimal = _ZERO
    estimated: bool = False
    review: bool = False

    def add(self, line: StatementLine) -> None:
        self.amount += line.amount
        self.estimated = self.estimated or line.estimated
        self.review = self.review or line.review is not None
        if line.consumption is not None and line.review is None:
            self.consumption = line.consumption + (self.consumption or _ZERO)


def monthly_report(
    site_id: str, period: BillingPeriod, statements: Sequence[Statement], *, top: int = 10
) -> MonthlyReport:
    """Summarise a period's statements (of one site), adjustments netted into each meter's figures."""
    regular = [s for s in statements if s.kind is StatementKind.REGULAR]
    ordered = regular + [s for s in statements if s.kind is not StatementKind.REGULAR]
    net: dict[tuple[str, str], _Net] = {}
    estimated, review, vacant = [], [], []
    for statement in ordered:
        for line in statement.lines:
            key = (statement.unit_id, line.meter_id)
            uom, utility = line.uom, line.utility.value
            net.setdefault(key, _Net(statement.building_id, utility, uom)).add(line)
            item = MeterLine(statement.unit_id, line.meter_id, utility, line.consumption, line.amount)
            if line.estimated:
                estimated.append(_with(item, line.estimate_method or ""))
            if line.review is not None:
                review.append(_with(item, line.review))
    groups: dict[tuple[str, str], list[_Net]] = defaultdict(list)
    per_utility: dict[str, list[MeterLine]] = defaultdict(list)
    vacant_units = {s.unit_id for s in statements if s.vacant}
    pools: dict[tuple[str, str], list[_Net]] = defaultdict(list)
    for (unit_id, meter_id), figures in net.items():
        if meter_id.startswith(SHARED_PREFIX):
            pools[(meter_id, figures.building_id)].append(figures)
        groups[(figures.building_id, figures.utility)].append(figures)
        item = MeterLine(unit_id, meter_id, figures.utility, figures.consumption, figures.amount)
        if figures.consumption is not None and not figures.review:
            per_utility[figures.utility].append(item)
        if unit_id in vacant_units and (figures.consumption or _ZERO) > 0:
            vacant.append(_with(item, "vacant unit used this period"))
    by_building = tuple(
        BuildingUse(
            building_id=building,
            utility=utility,
            uom=items[0].uom,
            meters=len(items),
            consumption=sum((n.consumption for n in items if n.consumption is not None), _ZERO),
            amount=sum((n.amount for n in items), _ZERO),
            estimated=sum(n.estimated for n in items),
            to_review=sum(n.review for n in items),
        )
        for (building, utility), items in sorted(groups.items())
    )
    top_consumers = {
        utility: tuple(sorted(items, key=lambda i: (-(i.consumption or _ZERO), i.meter_id))[:top])
        for utility, items in sorted(per_utility.items())
    }
    return MonthlyReport(
        site_id=site_id,
        period=period,
        statements=len(regular),
        adjustments=len(statements) - len(regular),
        total=sum((s.total for s in statements), _ZERO),
        by_building=by_building,
        top_consumers=top_consumers,
        estimated=tuple(estimated),
        to_review=tuple(review),
        vacant_with_use=tuple(sorted(vacant, key=lambda i: (i.unit_id, i.meter_id))),
        shared=tuple(
            SharedUse(
                pool=pool,
                building_id=building,
                utility=items[0].utility,
                uom=items[0].uom,
                units=len(items),
                consumption=sum((n.consumption for n in items if n.consumption is not None), _ZERO),
                amount=sum((n.amount for n in items), _ZERO),
                to_review=sum(n.review for n in items),
            )
            for (pool, building), items in sorted(pools.items())
        ),
    )


def render_text(report: MonthlyReport) -> str:
    """The report as plain text for a terminal or an e-mail."""
    out = [f"Billing report {report.site_id} {report.period}: {report.statements} statements, total {report.total}"]
    out.append("Use per building and utility:")
    out += [
        f"  {b.building_id:<8} {b.utility:<12} {b.consumption:>14} {b.uom:<4} {b.amount:>14}  "
        f"{b.meters} meters, {b.estimated} estimated, {b.to_review} to review"
        for b in report.by_building
    ]
    if report.shared:
        out.append("Shared-area pools (公摊), included above:")
        out += [
            f"  {p.pool:<24} {p.building_id:<8} {p.consumption:>14} {p.uom:<4} {p.amount:>14}  {p.units} units"
            + (f", {p.to_review} to review" if p.to_review else "")
            for p in report.shared
        ]
    for utility, items in report.top_consumers.items():
        out.append(f"Top {utility} consumers:")
        out += [f"  {i.unit_id:<10} {i.meter_id:<14} {i.consumption}" for i in items]
    for title, items in (
        ("Estimated lines", report.estimated),
        ("Meters needing review", report.to_review),
        ("Vacant units with use", report.vacant_with_use),
    ):
        out.append(f"{title}: {len(items)}")
        out += [f"  {i.unit_id:<10} {i.meter_id:<14} {i.reason}" for i in items]
    return "\n".join(out)


def _with(item: MeterLine, reason: str) -> MeterLine:
    return MeterLine(item.unit_id, item.meter_id, item.utility, item.consumption, item.amount, reason)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value
