"""What changed when a period is billed again: line by line against a draft, or against what was billed.

Against a draft every field of every line is compared. Against final statements what matters is what the
unit was charged, so the recomputed consumption and amount of each meter are compared with the sums of
the final statement and its final adjustments; `adjustment` turns the differences into an adjusting
statement.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from billing.periods import BillingPeriod
from billing.statements import Charge, Statement, StatementKind, StatementStatus, line_content

_LINE_FIELDS = ("start", "end", "consumption", "charges", "amount", "estimated", "estimate_method", "review")


@dataclass(frozen=True)
class Change:
    """One field of one meter's line: what is stored and what the new run computed."""

    meter_id: str
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class StatementDiff:
    """The changes a re-run found for one unit, against the stored statement `against`."""

    unit_id: str
    period: BillingPeriod
    against: uuid.UUID
    against_status: StatementStatus
    changes: tuple[Change, ...]
    old_total: Decimal
    new_total: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit_id": self.unit_id,
            "period": str(self.period),
            "against": str(self.against),
            "against_status": self.against_status.value,
            "old_total": str(self.old_total),
            "new_total": str(self.new_total),
            "changes": [c.__dict__ for c in self.changes],
        }


def _show(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def diff_lines(old: Statement, new: Statement) -> tuple[Change, ...]:
    """Every differing field of every meter's line (a line only one side has shows as field 'line')."""
    before = {line.meter_id: line_content(line) for line in old.lines}
    after = {line.meter_id: line_content(line) for line in new.lines}
    changes: list[Change] = []
    for meter in sorted(before.keys() | after.keys()):
        if meter not in before or meter not in after:
            changes.append(
                Change(meter, "line", "present" if meter in before else None, "present" if meter in after else None)
            )
            continue
        changes.extend(
            Change(meter, name, _show(before[meter][name]), _show(after[meter][name]))
            for name in _LINE_FIELDS
            if before[meter][name] != after[meter][name]
        )
    return tuple(changes)


Billed = dict[str, tuple[Decimal | None, Decimal]]


def billed_by_meter(finals: Sequence[Statement]) -> Billed:
    """Per meter, the consumption and amount charged by final statements (regular plus adjustments)."""
    billed: Billed = {}
    for statement in finals:
        for line in statement.lines:
            used, amount = billed.get(line.meter_id, (None, Decimal(0)))
            if line.consumption is not None:
                used = line.consumption if used is None else used + line.consumption
            billed[line.meter_id] = (used, amount + line.amount)
    return billed


def diff_billed(billed: Billed, computed: Statement) -> tuple[Change, ...]:
    """Meters whose recomputed consumption or amount differs from what was billed."""
    changes: list[Change] = []
    for line in computed.lines:
        used, amount = billed.get(line.meter_id, (None, Decimal(0)))
        if used != line.consumption:
            changes.append(Change(line.meter_id, "consumption", _text(used), _text(line.consumption)))
        if amount != line.amount:
            changes.append(Change(line.meter_id, "amount", str(amount), str(line.amount)))
    return tuple(changes)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _charge_key(charge: Charge) -> tuple[str, Decimal, date | None, date | None]:
    return (charge.name, charge.unit_price, charge.start, charge.end)


def charge_difference(billed: Sequence[Charge], recomputed: Sequence[Charge]) -> tuple[Charge, ...]:
    """Recomputed charges minus billed ones, per (tier or band, price, dates); unchanged ones left out.

    The amounts add up to the difference of the line amounts, since each line's amount is its charges' sum.
    """
    net: dict[tuple[str, Decimal, date | None, date | None], tuple[Decimal, Decimal]] = {}
    for sign, charges in ((-1, billed), (1, recomputed)):
        for charge in charges:
            quantity, amount = net.get(_charge_key(charge), (Decimal(0), Decimal(0)))
            net[_charge_key(charge)] = (quantity + sign * charge.quantity, amount + sign * charge.amount)
    return tuple(
        Charge(name, quantity, price, amount, start, end)
        for (name, price, start, end), (quantity, amount) in net.items()
        if quantity != 0 or amount != 0
    )


def billed_charges(finals: Sequence[Statement]) -> dict[str, list[Charge]]:
    """Per meter, every charge final statements (regular plus adjustments) billed."""
    charges: dict[str, list[Charge]] = {}
    for statement in finals:
        for line in statement.lines:
            charges.setdefault(line.meter_id, []).extend(line.charges)
    return charges


def adjustment(
    computed: Statement,
    billed: Billed,
    corrects: Statement,
    sequence: int,
    charges: Mapping[str, Sequence[Charge]] | None = None,
) -> Statement:
    """A draft adjusting statement: for each changed meter, the recomputed line with consumption, amount and
    charges replaced by the difference to what was billed (negative for a refund; `charges` are the billed
    charges per meter, `billed_charges(finals)`). Readings show the recomputed period."""
    lines = []
    for line in computed.lines:
        used, amount = billed.get(line.meter_id, (None, Decimal(0)))
        if used == line.consumption and amount == line.amount:
            continue
        delta = line.consumption - used if line.consumption is not None and used is not None else line.consumption
        note = (
            f"corrects statement {corrects.id}: billed {_text(used)} {line.uom} for {amount}, "
            f"recomputed {_text(line.consumption)} {line.uom} for {line.amount}"
        )
        difference = charge_difference((charges or {}).get(line.meter_id, ()), line.charges)
        lines.append(
            replace(
                line,
                consumption=delta,
                amount=line.amount - amount,
                charges=difference,
                notes=(*line.notes, note),
            )
        )
    return replace(
        computed,
        id=uuid.uuid4(),
        kind=StatementKind.ADJUSTMENT,
        sequence=sequence,
        adjusts=corrects.id,
        lines=tuple(lines),
    )
