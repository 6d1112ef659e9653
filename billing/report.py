"""The monthly report for the service centre: use per building and utility, top consumers, and the lines
that need a person (estimated ones, ones to review, vacant units that used something).

Built from a period's regular statements (adjustments are counted, not merged: they correct money, the
report is about use).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from billing.periods import BillingPeriod
from billing.statements import Statement, StatementKind

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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, decimals as strings."""
        data: dict[str, Any] = _jsonable({**asdict(self), "period": str(self.period)})
        return data


def monthly_report(
    site_id: str, period: BillingPeriod, statements: Sequence[Statement], *, top: int = 10
) -> MonthlyReport:
    """Summarise a period's statements (of one site)."""
    regular = [s for s in statements if s.kind is StatementKind.REGULAR]
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    per_utility: dict[str, list[MeterLine]] = defaultdict(list)
    estimated, review, vacant = [], [], []
    for statement in regular:
        for line in statement.lines:
            item = MeterLine(statement.unit_id, line.meter_id, line.utility.value, line.consumption, line.amount)
            groups[(statement.building_id, line.utility.value)].append((line, item))
            if line.consumption is not None and line.review is None:
                per_utility[line.utility.value].append(item)
            if line.estimated:
                estimated.append(_with(item, line.estimate_method or ""))
            if line.review is not None:
                review.append(_with(item, line.review))
            if statement.vacant and (line.consumption or _ZERO) > 0:
                vacant.append(_with(item, "vacant unit used this period"))
    by_building = tuple(
        BuildingUse(
            building_id=building,
            utility=utility,
            uom=items[0][0].uom,
            meters=len(items),
            consumption=sum((line.consumption for line, _ in items if line.consumption is not None), _ZERO),
            amount=sum((line.amount for line, _ in items), _ZERO),
            estimated=sum(line.estimated for line, _ in items),
            to_review=sum(line.review is not None for line, _ in items),
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
        total=sum((s.total for s in regular), _ZERO),
        by_building=by_building,
        top_consumers=top_consumers,
        estimated=tuple(estimated),
        to_review=tuple(review),
        vacant_with_use=tuple(vacant),
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
