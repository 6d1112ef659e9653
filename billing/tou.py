"""Time-of-use (峰谷) split of a period's consumption, from the meter's interval readings.

The period's consumption comes from its boundary registers like any other line; the interval readings
only decide how it divides between peak, flat and valley. Each interval's use is spread evenly over its
duration and credited to the periods its minutes fall in (local time), then the measured total is shared
out in those proportions, so the parts add up to the total exactly.

Only intervals no longer than the reading tolerance measure the split: an interval longer than that (two
readings a month apart, a week-long gap) says nothing about when in the day its use happened, so spreading
it is an estimate and the line is flagged as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from billing.money import BILLING_CONTEXT
from billing.registers import BoundaryRules, Epoch, RegisterValue, register_decimal, unwrap
from billing.tariffs import DEFAULT_SPLIT_ROUNDING, TimeOfUseTariff
from billing.tariffs.segments import _split_pro_rata
from storage.store import Sample

_MICRO = timedelta(microseconds=1)
_DAY_MINUTES = 24 * 60
# Shares are turned into integer weights at this resolution for the exact pro-rata split.
_WEIGHT_SCALE = Decimal(1_000_000)


@lru_cache(maxsize=32)
def _runs(tariff: TimeOfUseTariff) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Per minute of the day: its period's name and the minute its run of that period ends."""
    owner = _owners(tariff)
    run_end = [_DAY_MINUTES] * _DAY_MINUTES
    for minute in range(_DAY_MINUTES - 2, -1, -1):
        same = owner[minute] == owner[minute + 1]
        run_end[minute] = run_end[minute + 1] if same else minute + 1
    return tuple(owner), tuple(run_end)


def _owners(tariff: TimeOfUseTariff) -> list[str]:
    owner = [""] * _DAY_MINUTES
    for period in tariff.periods:
        for window in period.windows:
            for minute in window.minutes():
                owner[minute] = period.name
    return owner


def interval_shares(
    points: Sequence[tuple[datetime, Decimal]],
    tariff: TimeOfUseTariff,
    timezone: str,
    rules: BoundaryRules,
    epoch: Epoch,
) -> dict[str, Decimal]:
    """Use measured between consecutive (time, register) points, per time-of-use period (empty if none).

    Intervals that cross a meter replacement, or whose register went down (not a rollover), are left out.
    """
    return _shares(_intervals(points, rules, epoch), tariff, timezone)


Interval = tuple[datetime, datetime, Decimal]


def _intervals(points: Sequence[tuple[datetime, Decimal]], rules: BoundaryRules, epoch: Epoch) -> list[Interval]:
    """(start, end, use) of consecutive points; swaps and drops that are not a rollover are left out."""
    found: list[Interval] = []
    with localcontext(BILLING_CONTEXT):
        for (t0, v0), (t1, v1) in pairwise(points):
            used, _ = unwrap(v1 - v0, rules.rollover)
            if used > 0 and t1 > t0 and not epoch.between(t0, t1):
                found.append((t0, t1, used))
    return found


def _shares(intervals: Sequence[Interval], tariff: TimeOfUseTariff, timezone: str) -> dict[str, Decimal]:
    owner, run_end = _runs(tariff)
    zone = ZoneInfo(timezone)
    shares: dict[str, Decimal] = {}
    with localcontext(BILLING_CONTEXT):
        for t0, t1, used in intervals:
            span = (t1 - t0) // _MICRO
            for name, micros in _spread(t0, t1, zone, owner, run_end):
                shares[name] = shares.get(name, Decimal(0)) + used * micros / span
    return shares


def _spread(
    start: datetime, end: datetime, zone: ZoneInfo, owner: Sequence[str], run_end: Sequence[int]
) -> list[tuple[str, int]]:
    """(period name, microseconds) of [start, end), jumping from one run of a period to the next."""
    parts: list[tuple[str, int]] = []
    cursor = start
    while cursor < end:
        local = cursor.astimezone(zone)
        minute = local.hour * 60 + local.minute
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        step_end = min(end, midnight + timedelta(minutes=run_end[minute]))
        parts.append((owner[minute], (step_end - cursor) // _MICRO))
        cursor = step_end
    return parts


def _local(when: datetime, timezone: str) -> str:
    return when.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def hour_shares(tariff: TimeOfUseTariff) -> dict[str, Decimal]:
    """Minutes per day of each period: the split used when there are no interval readings."""
    owner, _ = _runs(tariff)
    return {name: Decimal(owner.count(name)) for name in tariff.period_names}


def split_total(total: Decimal, shares: dict[str, Decimal], names: Sequence[str]) -> dict[str, Decimal]:
    """`total` divided in proportion to `shares`, on the 0.001 split quantum, parts adding up to `total`."""
    weights = [int(shares.get(name, Decimal(0)) * _WEIGHT_SCALE) for name in names]
    if sum(weights) == 0:
        raise ValueError("no shares to split by")
    return dict(zip(names, _split_pro_rata(total, weights, DEFAULT_SPLIT_ROUNDING), strict=True))


def time_of_use_usage(
    quantity: Decimal,
    tariff: TimeOfUseTariff,
    samples: Sequence[Sample],
    boundaries: tuple[RegisterValue | None, RegisterValue | None],
    period: tuple[datetime, datetime],
    timezone: str,
    rules: BoundaryRules,
    epoch: Epoch,
) -> tuple[dict[str, Decimal], str | None]:
    """A period's `quantity` split by time-of-use period, and a note when the split is an estimate.

    `samples` are the raw readings in the period; boundary registers taken at the boundary itself close the
    first and last interval.
    """
    points = {s.ts: register_decimal(s.value, rules.quantum) for s in samples}
    for value in boundaries:
        if value is not None and value.ts in period and not value.estimated:
            points[value.ts] = value.value
    intervals = _intervals(sorted(points.items()), rules, epoch)
    shares = _shares(intervals, tariff, timezone)
    if sum(shares.values(), Decimal(0)) > 0:
        long = [(t0, t1) for t0, t1, _ in intervals if t1 - t0 > rules.tolerance]
        if not long:
            return split_total(quantity, shares, tariff.period_names), None
        t0, t1 = max(long, key=lambda pair: pair[1] - pair[0])
        hours = round((t1 - t0) / timedelta(hours=1), 1)
        note = (
            f"time-of-use split estimated: {len(long)} interval(s) between readings longer than "
            f"{rules.tolerance / timedelta(hours=1):g} h were spread evenly over the day "
            f"(the longest {hours:g} h, {_local(t0, timezone)} to {_local(t1, timezone)})"
        )
        return split_total(quantity, shares, tariff.period_names), note
    note = "time-of-use split by the hours of each period: no interval readings in the period"
    return split_total(quantity, hour_shares(tariff), tariff.period_names), note
