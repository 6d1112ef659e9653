"""Shared-area costs (公摊): a pool's public-meter use, priced, split between units by a key.

The pool's use is the sum of its meters' period consumption (measured like any meter: boundaries, swaps,
rollovers, estimates); its amount is that use × the pool's unit price, rounded once. Both are then split by
the key with the **largest-remainder method**: each unit gets its exact share rounded down to the quantum
(0.001 for use, 0.01 for money), and the quanta left over go one each to the units with the largest
remainders (ties: unit id order). So the shares add up to the pool exactly, and no unit is more than one
quantum away from its exact share. Each unit's statement gets one line per pool ("shared:<pool id>").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal, localcontext

from billing.money import BILLING_CONTEXT, RoundingRule, round_money
from billing.shared_config import AllocationKey, SharedPool, sharing_units
from billing.statements import Charge, StatementLine
from core.site import Site, Utility

_ZERO = Decimal(0)
QUANTITY_QUANTUM = Decimal("0.001")


def largest_remainder(total: Decimal, weights: Sequence[Decimal], quantum: Decimal) -> list[Decimal]:
    """Split `total` (a multiple of `quantum`, ≥ 0) in proportion to `weights` (≥ 0, not all 0), exactly."""
    whole = sum(weights, _ZERO)
    if whole <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative and not all zero")
    with localcontext(BILLING_CONTEXT):
        exact = [total * w / whole for w in weights]
        floors = [e.quantize(quantum, rounding=ROUND_FLOOR) for e in exact]
        left = int((total - sum(floors, _ZERO)) / quantum)
        order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
        for index in order[:left]:
            floors[index] += quantum
    return floors


def pool_lines(
    pool: SharedPool,
    site: Site,
    meters: Sequence[StatementLine],
    unit_use: Mapping[str, Decimal],
    rounding: RoundingRule,
) -> dict[str, StatementLine]:
    """Each sharing unit's line for `pool`, from the pool meters' lines and the units' own use (key
    'consumption'). A meter to review, or nothing to split by, puts the review on every unit's line."""
    units = sharing_units(pool, site)
    uom, utility = meters[0].uom, meters[0].utility
    review = next((f"shared pool {pool.id}: meter {m.meter_id}: {m.review}" for m in meters if m.review), None)
    used = sum((m.consumption or _ZERO for m in meters), _ZERO)
    estimated = [f"{m.meter_id}: {m.estimate_method}" for m in meters if m.estimated]
    weights = _weights(pool, site, units, unit_use)
    if review is None and used < 0:
        review = f"shared pool {pool.id}: its meters' use is negative ({used} {uom})"
    if review is None and sum(weights, _ZERO) <= 0:
        review = f"shared pool {pool.id}: no {pool.key.value} to split by among {len(units)} units"
    described = (
        f"{pool.name}: {used} {uom} of {', '.join(m.meter_id for m in meters)} × {pool.unit_price} "
        f"split by {pool.key.value} over {len(units)} units"
    )
    if review is not None:
        return {u: _line(pool, uom, utility, None, _ZERO, (), review, estimated, described) for u in units}
    with localcontext(BILLING_CONTEXT):
        amount = round_money(used * pool.unit_price, rounding)
    quantities = largest_remainder(used, weights, QUANTITY_QUANTUM)
    amounts = largest_remainder(amount, weights, rounding.quantum)
    lines = {}
    for unit_id, weight, quantity, share in zip(units, weights, quantities, amounts, strict=True):
        charge = Charge(pool.name, quantity, pool.unit_price, share)
        note = f"{described}; this unit's {pool.key.value}: {weight} of {sum(weights, _ZERO)}"
        lines[unit_id] = _line(pool, uom, utility, quantity, share, (charge,), None, estimated, note)
    return lines


def _weights(pool: SharedPool, site: Site, units: Sequence[str], unit_use: Mapping[str, Decimal]) -> list[Decimal]:
    if pool.key is AllocationKey.AREA:
        return [Decimal(repr(site.units[u].unit.area_m2 or 0)) for u in units]
    if pool.key is AllocationKey.EQUAL:
        return [Decimal(1)] * len(units)
    return [max(unit_use.get(u, _ZERO), _ZERO) for u in units]


def _line(
    pool: SharedPool,
    uom: str,
    utility: Utility,
    quantity: Decimal | None,
    amount: Decimal,
    charges: tuple[Charge, ...],
    review: str | None,
    estimated: Sequence[str],
    note: str,
) -> StatementLine:
    return StatementLine(
        meter_id=pool.line_id,
        utility=utility,
        uom=uom,
        start=None,
        end=None,
        consumption=quantity,
        charges=charges,
        amount=amount,
        estimated=bool(estimated),
        estimate_method="; ".join(estimated) or None,
        review=review,
        notes=(note,),
    )
