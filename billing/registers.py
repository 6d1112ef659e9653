"""The meter register at a period boundary: read, interpolated or, when readings are missing, estimated.

A register value is a `RegisterValue` that says how it was obtained (`ValueMethod`), so a statement line can
show whether its consumption was measured or estimated, and how. Meter replacements split a meter's history
into epochs: readings of the old meter never stand in for the new one, and the replacement record itself
(old final, new initial register) is an exact reading at the moment of the swap.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from enum import StrEnum

from billing.money import BILLING_CONTEXT, RoundingRule, round_money
from core.reading import FieldValue
from storage.store import Sample

_MICRO = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Replacement:
    """A meter swapped at `replaced_at`: the old meter's final register and the new meter's initial one."""

    meter_id: str
    replaced_at: datetime
    old_final: Decimal
    new_initial: Decimal
    note: str = ""


class ValueMethod(StrEnum):
    """How a boundary register value was obtained; the last four are estimates."""

    READING = "reading"  # a reading taken as the boundary value
    INTERPOLATED = "interpolated"  # between readings either side of the boundary, both within tolerance
    REPLACEMENT = "replacement"  # a replacement record's register
    LAST_READING = "last_reading"  # interpolation wanted, but only the reading before is near
    FIRST_READING = "first_reading"  # interpolation wanted, but only the reading after is near
    INTERPOLATED_ACROSS_GAP = "interpolated_across_gap"
    EXTRAPOLATED = "extrapolated"
    LAST_READING_HELD = "last_reading_held"
    FIRST_READING_AFTER_GAP = "first_reading_after_gap"


ESTIMATES = frozenset(
    {
        ValueMethod.INTERPOLATED_ACROSS_GAP,
        ValueMethod.EXTRAPOLATED,
        ValueMethod.LAST_READING_HELD,
        ValueMethod.FIRST_READING_AFTER_GAP,
    }
)


@dataclass(frozen=True, slots=True)
class RegisterValue:
    """A register value at a boundary; `ts` is the reading's time, or the boundary for computed values."""

    value: Decimal
    ts: datetime
    method: ValueMethod
    detail: str = ""

    @property
    def estimated(self) -> bool:
        return self.method in ESTIMATES


@dataclass(frozen=True, slots=True)
class Neighbours:
    """The newest reading strictly before a boundary and the oldest at or after it (either may be missing)."""

    before: Sample | None
    after: Sample | None


@dataclass(frozen=True, slots=True)
class _Point:
    ts: datetime
    value: Decimal
    replacement: bool = False


def register_decimal(value: FieldValue, quantum: RoundingRule) -> Decimal:
    """A stored register value as an exact Decimal on the register quantum.

    `repr` of a float is the shortest text that reads back as the same float: what the meter sent.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"register value {value!r} is not a number")
    return round_money(Decimal(repr(value)) if isinstance(value, float) else Decimal(value), quantum)


def rollover_modulus(maximum: Decimal) -> Decimal:
    """How far the register counts before it shows 0 again: its highest value plus one step of its last digit.

    A register whose highest value is 9999 goes 9999 → 0, so it wraps at 10000; 99999.9 wraps at 100000.0.
    (Adding the maximum itself, as before, billed one step short on every rollover.)
    """
    maximum = maximum.normalize() if maximum == maximum.to_integral_value() else maximum
    step = Decimal(1).scaleb(min(maximum.as_tuple().exponent, 0))  # type: ignore[arg-type]
    with localcontext(BILLING_CONTEXT):
        return maximum.quantize(Decimal(1)) + 1 if step == 1 else maximum + step


def unwrap(delta: Decimal, rollover: Decimal | None) -> tuple[Decimal, bool]:
    """`delta` corrected for one register rollover when that is the plausible reading of a drop.

    `rollover` is the register's highest value; the register wraps at `rollover_modulus(rollover)`. A drop
    counts as a rollover only if the corrected use is at most half the register range; a smaller drop is a
    meter fault, a swap without a record or a bad reading, and stays negative for review.
    """
    if delta >= 0 or rollover is None:
        return delta, False
    modulus = rollover_modulus(rollover)
    with localcontext(BILLING_CONTEXT):
        wrapped = delta + modulus
    return (wrapped, True) if 0 <= wrapped <= modulus / 2 else (delta, False)


class Epoch:
    """The replacements of one meter, for finding which physical meter a time belongs to."""

    def __init__(self, replacements: Sequence[Replacement]) -> None:
        self.replacements = sorted(replacements, key=lambda r: r.replaced_at)
        self._times = [r.replaced_at for r in self.replacements]

    def started_by(self, when: datetime) -> Replacement | None:
        """The latest replacement at or before `when` (the swap that installed the meter in use then)."""
        index = bisect.bisect_right(self._times, when) - 1
        return self.replacements[index] if index >= 0 else None

    def ended_by(self, when: datetime) -> Replacement | None:
        """The first replacement after `when` (the swap that removed the meter in use then)."""
        index = bisect.bisect_right(self._times, when)
        return self.replacements[index] if index < len(self.replacements) else None

    def between(self, start: datetime, end: datetime) -> list[Replacement]:
        """Replacements with start < replaced_at <= end: the swaps consumption over (start, end] crosses."""
        return [r for r in self.replacements if start < r.replaced_at <= end]


# The oldest reading at or after a time, for the usage rate behind an extrapolation.
EarliestSince = Callable[[datetime], Sample | None]


@dataclass(frozen=True)
class BoundaryRules:
    """The parts of the billing settings that decide a boundary value."""

    interpolate: bool
    tolerance: timedelta
    lookback: timedelta
    quantum: RoundingRule
    rollover: Decimal | None = None


def boundary_value(
    near: Neighbours, when: datetime, epoch: Epoch, rules: BoundaryRules, earliest_since: EarliestSince
) -> RegisterValue | None:
    """The register at `when`, or None when the meter has no reading at all to go by."""
    started, ended = epoch.started_by(when), epoch.ended_by(when)
    if started is not None and started.replaced_at == when:
        return RegisterValue(started.new_initial, when, ValueMethod.REPLACEMENT)
    before = _point(near.before, rules)
    if started is not None and (before is None or before.ts < started.replaced_at):
        before = _Point(started.replaced_at, started.new_initial, replacement=True)
    after = _point(near.after, rules)
    if ended is not None and (after is None or after.ts >= ended.replaced_at):
        after = _Point(ended.replaced_at, ended.old_final, replacement=True)
    return _measured(before, after, when, rules) or _estimate(before, after, when, rules, earliest_since, started)


def _measured(
    before: _Point | None, after: _Point | None, when: datetime, rules: BoundaryRules
) -> RegisterValue | None:
    """The value from readings within the tolerance of the boundary, as the boundary mode says; else None."""
    close_before = before if before is not None and when - before.ts <= rules.tolerance else None
    close_after = after if after is not None and after.ts - when <= rules.tolerance else None
    if not rules.interpolate:
        return None if close_before is None else _as_read(close_before, ValueMethod.READING)
    if close_after is not None and close_after.ts == when:
        return _as_read(close_after, ValueMethod.READING)
    if close_before is not None and close_after is not None:
        return RegisterValue(_interpolate(close_before, close_after, when, rules), when, ValueMethod.INTERPOLATED)
    if close_before is not None:
        return _as_read(close_before, ValueMethod.LAST_READING)
    if close_after is not None:
        return _as_read(close_after, ValueMethod.FIRST_READING)
    return None


def _estimate(
    before: _Point | None,
    after: _Point | None,
    when: datetime,
    rules: BoundaryRules,
    earliest_since: EarliestSince,
    started: Replacement | None,
) -> RegisterValue | None:
    if before is not None and after is not None:
        gap = _hours(after.ts - before.ts)
        detail = f"linear between {before.ts.isoformat()} and {after.ts.isoformat()} ({gap} h apart)"
        return RegisterValue(
            _interpolate(before, after, when, rules), when, ValueMethod.INTERPOLATED_ACROSS_GAP, detail
        )
    if before is not None:
        return _extrapolate(before, when, rules, earliest_since, started)
    if after is not None:
        detail = f"no reading before; first reading {_hours(after.ts - when)} h after the boundary"
        return RegisterValue(after.value, after.ts, ValueMethod.FIRST_READING_AFTER_GAP, detail)
    return None


def _extrapolate(
    last: _Point, when: datetime, rules: BoundaryRules, earliest_since: EarliestSince, started: Replacement | None
) -> RegisterValue:
    """Last reading + average daily use over the lookback window before it × the days since."""
    sample = None if last.replacement else earliest_since(last.ts - rules.lookback)
    first = _point(sample, rules)
    if started is not None and first is not None and first.ts < started.replaced_at:
        first = _Point(started.replaced_at, started.new_initial, replacement=True)
    if first is None or first.ts >= last.ts:
        detail = f"no reading since {last.ts.isoformat()} and no earlier use to go by"
        return RegisterValue(last.value, when, ValueMethod.LAST_READING_HELD, detail)
    used, _ = unwrap(last.value - first.value, rules.rollover)
    if used < 0:
        detail = f"no reading since {last.ts.isoformat()}; the register went down before it, so no rate"
        return RegisterValue(last.value, when, ValueMethod.LAST_READING_HELD, detail)
    with localcontext(BILLING_CONTEXT):
        per_day = used * 86_400_000_000 / ((last.ts - first.ts) // _MICRO)
        value = last.value + used * ((when - last.ts) // _MICRO) / ((last.ts - first.ts) // _MICRO)
    detail = (
        f"last reading {last.ts.isoformat()} + {round_money(per_day, rules.quantum)}/day, the average from "
        f"{first.ts.isoformat()}"
    )
    return RegisterValue(_wrap(value, rules), when, ValueMethod.EXTRAPOLATED, detail)


def _interpolate(before: _Point, after: _Point, when: datetime, rules: BoundaryRules) -> Decimal:
    delta, _ = unwrap(after.value - before.value, rules.rollover)
    with localcontext(BILLING_CONTEXT):
        value = before.value + delta * ((when - before.ts) // _MICRO) / ((after.ts - before.ts) // _MICRO)
    return _wrap(value, rules)


def _wrap(value: Decimal, rules: BoundaryRules) -> Decimal:
    """Round to the register quantum and bring a value past the rollover maximum back into range."""
    if rules.rollover is not None and value >= rollover_modulus(rules.rollover):
        value -= rollover_modulus(rules.rollover)
    return round_money(value, rules.quantum)


def _point(sample: Sample | None, rules: BoundaryRules) -> _Point | None:
    return None if sample is None else _Point(sample.ts, register_decimal(sample.value, rules.quantum))


def _as_read(point: _Point, method: ValueMethod) -> RegisterValue:
    return RegisterValue(point.value, point.ts, ValueMethod.REPLACEMENT if point.replacement else method)


def _hours(delta: timedelta) -> Decimal:
    return round_money(Decimal(delta // _MICRO) / Decimal(3_600_000_000), RoundingRule(quantum=Decimal("0.1")))
