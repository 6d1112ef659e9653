"""Boundary registers and consumption, as pure functions of the readings around a boundary.

Expected values are worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from billing.consumption import consumption
from billing.money import RoundingRule
from billing.registers import (
    BoundaryRules,
    Epoch,
    Neighbours,
    RegisterValue,
    Replacement,
    ValueMethod,
    boundary_value,
    register_decimal,
    unwrap,
)
from storage.store import Sample
from tests.unit.billing.sample import D, cst

BOUNDARY = cst(2026, 11, 1)
QUANTUM = RoundingRule(quantum=D("0.001"), mode="half_even")


def rules(*, interpolate: bool = True, rollover: Decimal | None = None) -> BoundaryRules:
    return BoundaryRules(interpolate, timedelta(hours=6), timedelta(days=10), QUANTUM, rollover)


def no_rate(_since: datetime) -> Sample | None:
    raise AssertionError("no extrapolation expected")


def value(
    before: Sample | None,
    after: Sample | None,
    *,
    interpolate: bool = True,
    rollover: Decimal | None = None,
    epoch: Epoch | None = None,
) -> RegisterValue | None:
    """The register at BOUNDARY (1 Nov 00:00) from these neighbours; extrapolation must not be needed."""
    chosen = rules(interpolate=interpolate, rollover=rollover)
    return boundary_value(Neighbours(before, after), BOUNDARY, epoch or Epoch([]), chosen, no_rate)


def test_register_values_are_exact_decimals_on_the_quantum() -> None:
    # repr(0.1 + 0.2) is 0.30000000000000004: what the float holds, rounded half-even to 0.300
    assert register_decimal(0.1 + 0.2, QUANTUM) == D("0.300")
    assert register_decimal(1000, QUANTUM) == register_decimal(1000.0, QUANTUM) == D("1000.000")
    with pytest.raises(ValueError, match="not a number"):
        register_decimal("12", QUANTUM)


def test_a_reading_exactly_at_the_boundary_is_the_value_when_interpolating() -> None:
    found = value(Sample(cst(2026, 10, 31, 23), 10.0), Sample(BOUNDARY, 11.5))
    assert found == RegisterValue(D("11.500"), BOUNDARY, ValueMethod.READING)


def test_last_before_ignores_a_reading_exactly_at_the_boundary() -> None:
    # The boundary belongs to the next period: the register read then is the next period's.
    found = value(Sample(cst(2026, 10, 31, 23), 10.0), Sample(BOUNDARY, 11.5), interpolate=False)
    assert found == RegisterValue(D("10.000"), cst(2026, 10, 31, 23), ValueMethod.READING)


def test_interpolation_across_a_rollover() -> None:
    # 9998 at 23:00, 3 at 01:00 on a 9999 register (wraps at 10000): 5 used over 2 h;
    # at midnight 9998 + 2.5 = 10000.5 → 0.5
    found = value(Sample(cst(2026, 10, 31, 23), 9998.0), Sample(cst(2026, 11, 1, 1), 3.0), rollover=D("9999"))
    assert found == RegisterValue(D("0.500"), BOUNDARY, ValueMethod.INTERPOLATED)


def test_extrapolation_uses_the_average_over_the_lookback() -> None:
    def earliest(since: datetime) -> Sample | None:
        # asked for the window of 10 days before the last reading (27 Oct 00:00)
        assert since == cst(2026, 10, 17)
        return Sample(cst(2026, 10, 17, 6), 40.0)

    near = Neighbours(Sample(cst(2026, 10, 27), 100.0), None)
    found = boundary_value(near, BOUNDARY, Epoch([]), rules(), earliest)
    # 60 over 9 d 18 h = 234 h → 60/234 per hour; 5 days = 120 h → 100 + 60 × 120/234 = 130.769230… → 130.769
    assert found is not None and (found.value, found.method) == (D("130.769"), ValueMethod.EXTRAPOLATED)
    assert found.estimated and "6.154/day" in found.detail  # 60 / 9.75 days = 6.1538…


def test_without_any_earlier_use_the_last_reading_is_held_and_said_so() -> None:
    near = Neighbours(Sample(cst(2026, 10, 27), 100.0), None)
    found = boundary_value(near, BOUNDARY, Epoch([]), rules(), lambda _since: Sample(cst(2026, 10, 27), 100.0))
    assert found is not None and (found.value, found.method) == (D("100.000"), ValueMethod.LAST_READING_HELD)
    assert found.estimated


def test_only_a_late_first_reading() -> None:
    found = value(None, Sample(cst(2026, 11, 3), 7.0))
    assert found is not None and found.method is ValueMethod.FIRST_READING_AFTER_GAP and found.estimated
    assert value(None, None) is None


def test_readings_of_the_old_meter_never_stand_in_for_the_new_one() -> None:
    # Swapped at 30 Oct 10:00 (old final 512, new initial 0); the new meter has not reported since.
    swap = Replacement("M", cst(2026, 10, 30, 10), old_final=D("512"), new_initial=D("0"))
    found = value(Sample(cst(2026, 10, 30, 9), 511.0), None, epoch=Epoch([swap]), interpolate=False)
    # the replacement record is the newest register of the new meter: 0 at 10:00, 38 h old → held
    assert found is not None and (found.value, found.method) == (D("0"), ValueMethod.LAST_READING_HELD)


def test_a_swap_after_the_boundary_ends_the_interpolation_at_the_old_final() -> None:
    swap = Replacement("M", cst(2026, 11, 1, 2), old_final=D("104"), new_initial=D("0"))
    # 23:00 → 100, swap at 02:00 with old final 104; the 03:00 reading (1.0) is the new meter's
    found = value(Sample(cst(2026, 10, 31, 23), 100.0), Sample(cst(2026, 11, 1, 3), 1.0), epoch=Epoch([swap]))
    # 1 of 3 h from 100 to 104 = 101.333…
    assert found == RegisterValue(D("101.333"), BOUNDARY, ValueMethod.INTERPOLATED)


def test_unwrap_only_takes_a_plausible_rollover() -> None:
    # 9990 → 10 on a register whose highest value is 9999: 9 to 9999, 1 to 0, 10 after: 20
    assert unwrap(D("-9980"), D("9999")) == (D("20"), True)
    assert unwrap(D("-9999.8"), D("9999.9")) == (D("0.2"), True)
    # a drop of 100 on a 9999 register would be 9899 used: a fault, not a rollover
    assert unwrap(D("-100"), D("9999")) == (D("-100"), False)
    assert unwrap(D("-1"), None) == (D("-1"), False)


def reading(v: str, day: int) -> RegisterValue:
    return RegisterValue(D(v), cst(2026, 10, day), ValueMethod.READING)


def test_consumption_across_two_replacements() -> None:
    swaps = (
        Replacement("M", cst(2026, 10, 5), old_final=D("110"), new_initial=D("0")),
        Replacement("M", cst(2026, 10, 20), old_final=D("30"), new_initial=D("5")),
    )
    used = consumption(reading("100", 1), reading("12", 31), swaps, None)
    # (110 - 100) + (30 - 0) + (12 - 5) = 47
    assert (used.quantity, used.review, used.replacements) == (D("47"), None, swaps)


def test_consumption_drop_is_named_for_review() -> None:
    used = consumption(reading("100", 1), reading("90", 31), (), None)
    assert used.quantity == D("-10")
    assert used.review == (
        "register went down by 10: start register 100 at 2026-10-01T00:00:00+08:00 to end register 90 at "
        "2026-10-31T00:00:00+08:00; record the meter replacement or check the meter, then bill again"
    )
