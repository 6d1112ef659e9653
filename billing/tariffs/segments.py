"""`price_period`: price a billing period under a schedule, across price changes and annual resets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from itertools import pairwise

from billing.money import BILLING_CONTEXT, RoundingRule, round_money
from billing.tariffs.base import (
    _ZERO,
    DEFAULT_ROUNDING,
    DEFAULT_SPLIT_ROUNDING,
    PriceBreakdown,
    PriceLine,
    Usage,
    _breakdown,
    _make_lines,
    _usage,
)
from billing.tariffs.schedule import AnyTariff, TariffSchedule
from billing.tariffs.tiered import TierBasis, TieredTariff
from billing.tariffs.tiered_time_of_use import TieredTimeOfUseTariff
from billing.tariffs.time_of_use import TimeOfUseTariff

_TIERED = (TieredTariff, TieredTimeOfUseTariff)


@dataclass(frozen=True)
class _Segment:
    start: date
    end: date  # exclusive
    tariff: AnyTariff

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def _segments(schedule: TariffSchedule, start: date, end: date) -> list[_Segment]:
    """Cut [start, end) wherever the tariff changes or an annual tariff's count resets."""
    cuts = {start, end}
    cuts.update(e.effective_from for e in schedule.entries if start < e.effective_from < end)
    by_tariff = sorted(cuts)
    for left, right in pairwise(by_tariff):
        tariff = schedule.tariff_on(left)
        if isinstance(tariff, _TIERED) and tariff.basis is TierBasis.ANNUAL:
            month, day = tariff.reset_month_day
            for year in range(left.year, right.year + 1):
                reset = date(year, month, day)
                if left < reset < right:
                    cuts.add(reset)
    ordered = sorted(cuts)
    return [_Segment(left, right, schedule.tariff_on(left)) for left, right in pairwise(ordered)]


def _split_pro_rata(total: Decimal, weights: Sequence[int], rule: RoundingRule) -> list[Decimal]:
    """Split `total` in proportion to `weights`; parts sum to `total` exactly.

    Cumulative shares are rounded and differenced, so rounding never piles up on one part.
    """
    whole = sum(weights)
    parts: list[Decimal] = []
    done = 0
    previous = _ZERO
    with localcontext(BILLING_CONTEXT):
        for weight in weights:
            done += weight
            # Capped at total: a total finer than the quantum must not round a running share past it.
            cumulative = total if done == whole else min(round_money(total * done / whole, rule), total)
            parts.append(cumulative - previous)
            previous = cumulative
    return parts


def _check_usage(value: Usage, what: str) -> Decimal | dict[str, Decimal]:
    if isinstance(value, Mapping):
        return {str(name): _usage(amount, f"{what}[{name!r}]") for name, amount in value.items()}
    return _usage(value, what)


def _list_days(days: Iterable[date]) -> str:
    ordered = sorted(days)
    shown = ", ".join(day.isoformat() for day in ordered[:5])
    return shown if len(ordered) <= 5 else f"{shown} and {len(ordered) - 5} more"


def _daily_by_segment(
    segments: Sequence[_Segment], daily_usage: Mapping[date, Usage]
) -> list[Decimal | dict[str, Decimal]]:
    """Each segment's usage, summed from per-day usage that must cover every day exactly."""
    first, last = segments[0].start, segments[-1].end
    expected = {first + timedelta(days=n) for n in range((last - first).days)}
    given = set(daily_usage)
    if given != expected:
        problems = []
        if expected - given:
            problems.append(f"missing days {_list_days(expected - given)}")
        if given - expected:
            problems.append(f"days outside the period {_list_days(given - expected)}")
        raise ValueError("daily_usage needs one entry per day of the period: " + "; ".join(problems))
    checked = {day: _check_usage(value, f"daily_usage[{day}]") for day, value in daily_usage.items()}
    if len({isinstance(value, dict) for value in checked.values()}) > 1:
        raise ValueError("daily_usage mixes plain quantities and per-period mappings; use one form")
    result: list[Decimal | dict[str, Decimal]] = []
    with localcontext(BILLING_CONTEXT):
        for segment in segments:
            days = [checked[segment.start + timedelta(days=n)] for n in range(segment.days)]
            summed: dict[str, Decimal] = {}
            plain = _ZERO
            for value in days:
                if isinstance(value, dict):
                    for name, amount in value.items():
                        summed[name] = summed.get(name, _ZERO) + amount
                else:
                    plain += value
            result.append(summed if isinstance(days[0], dict) else plain)
    return result


def _prorata_by_segment(
    segments: Sequence[_Segment], usage: Usage, split_rounding: RoundingRule
) -> list[Decimal | dict[str, Decimal]]:
    """Each segment's share of the period's usage, in proportion to its number of days."""
    total = _check_usage(usage, "usage")
    weights = [segment.days for segment in segments]
    if isinstance(total, dict):
        split = {name: _split_pro_rata(amount, weights, split_rounding) for name, amount in total.items()}
        return [{name: parts[index] for name, parts in split.items()} for index in range(len(segments))]
    return list(_split_pro_rata(total, weights, split_rounding))


def _total(value: Decimal | dict[str, Decimal]) -> Decimal:
    with localcontext(BILLING_CONTEXT):
        return sum(value.values(), _ZERO) if isinstance(value, dict) else value


def price_period(
    schedule: TariffSchedule,
    start: date,
    end: date,
    *,
    usage: Usage | None = None,
    daily_usage: Mapping[date, Usage] | None = None,
    prior_usage_in_year: Decimal | int = _ZERO,
    rounding: RoundingRule = DEFAULT_ROUNDING,
    split_rounding: RoundingRule = DEFAULT_SPLIT_ROUNDING,
) -> PriceBreakdown:
    """Price the billing period [start, end) (end exclusive: the next period's start) under `schedule`.

    Give either `usage` for the whole period or `daily_usage` (one entry per day). Each is a quantity, or
    for time-of-use tariffs a mapping of period name to quantity; a per-period mapping priced under a
    flat or tiered tariff is summed.

    Price changes inside the period: the period is cut into sub-periods, one per tariff in force, and
    each sub-period's lines carry its `start`/`end`.

    * With `daily_usage`, each sub-period gets the actual usage of its days.
    * With `usage`, we do not know when the usage happened, so it is split pro rata by the number of
      days in each sub-period (a common convention for mid-cycle price changes, and the only neutral
      one without interval data).
      Split quantities are rounded to `split_rounding` (0.001 half-even) on cumulative shares, so the
      parts always add up to `usage` exactly.

    Tiered tariffs across sub-periods: earlier days fill the lower tiers first and a later sub-period
    continues from the usage already counted, even if its tariff has different bounds.

    * Monthly basis: the tiers apply to this billing period's usage alone (counting from zero at
      `start`); `prior_usage_in_year` does not affect them.
    * Annual basis: counting starts at `prior_usage_in_year`, the usage since the most recent reset day
      on or before `start` (so it must be 0 if `start` is the reset day). If a reset day falls inside
      the period the period is cut there too and the count restarts from zero.

    Lines are rounded one by one with `rounding` and the total is the sum of the rounded lines.
    Raises TypeError for floats, ValueError for bad usage, LookupError if no tariff is in force at `start`.
    """
    if end <= start:
        raise ValueError(f"end {end} must be after start {start}")
    prior = _usage(prior_usage_in_year, "prior_usage_in_year")
    segments = _segments(schedule, start, end)
    first = segments[0].tariff
    if isinstance(first, _TIERED) and first.is_reset_day(start) and prior != 0:
        raise ValueError(
            f"prior_usage_in_year is {prior} but the period starts on the annual reset day "
            f"{start:%m-%d}, so there is no earlier usage in this tariff year"
        )
    per_segment: list[Decimal | dict[str, Decimal]]
    if daily_usage is not None and usage is None:
        per_segment = _daily_by_segment(segments, daily_usage)
    elif usage is not None and daily_usage is None:
        per_segment = _prorata_by_segment(segments, usage, split_rounding)
    else:
        raise ValueError("give exactly one of usage or daily_usage")

    lines: list[PriceLine] = []
    since_reset = prior
    in_period = _ZERO
    for segment, used in zip(segments, per_segment, strict=True):
        tariff = segment.tariff
        if segment.start != start and isinstance(tariff, _TIERED) and tariff.is_reset_day(segment.start):
            since_reset = _ZERO
        items: list[tuple[str, Decimal, Decimal]]
        if isinstance(tariff, TimeOfUseTariff | TieredTimeOfUseTariff):
            if not isinstance(used, dict):
                raise ValueError(
                    f"the tariff in force from {segment.start} is time_of_use; give usage per period "
                    f"({', '.join(tariff.period_names)}) instead of a single quantity"
                )
            if isinstance(tariff, TieredTimeOfUseTariff):
                counted = since_reset if tariff.basis is TierBasis.ANNUAL else in_period
                items = tariff._items(used, counted)
            else:
                items = tariff._items(used)
        elif isinstance(tariff, TieredTariff):
            counted = since_reset if tariff.basis is TierBasis.ANNUAL else in_period
            items = tariff._items(_total(used), counted)
        else:
            items = tariff._items(_total(used))
        lines.extend(_make_lines(items, rounding, segment.start, segment.end))
        with localcontext(BILLING_CONTEXT):
            since_reset += _total(used)
            in_period += _total(used)
    return _breakdown(lines, rounding)
