"""Statements: one per unit per period, one line per meter, draft until finalised and immutable afterwards.

A correction to a final statement is a new statement of kind `adjustment` whose lines carry the difference
to what was billed; the final one is never touched. `content()` is the statement's canonical form (the JSON
export, and the fingerprint that tells an unchanged re-run from a changed one).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from billing.periods import BillingPeriod
from billing.registers import Replacement
from core.site import Utility

_ZERO = Decimal(0)


class StatementStatus(StrEnum):
    DRAFT = "draft"
    FINAL = "final"


class StatementKind(StrEnum):
    REGULAR = "regular"
    ADJUSTMENT = "adjustment"


class StatementFinal(Exception):
    """The statement is final: it cannot change; issue an adjusting statement instead."""


class StatementNeedsReview(Exception):
    """A line is flagged for review, so the statement cannot be finalised yet."""


@dataclass(frozen=True, slots=True)
class BoundaryReading:
    """A register on a statement line: value, the time it holds for, and how it was obtained."""

    value: Decimal
    ts: datetime
    method: str


@dataclass(frozen=True, slots=True)
class Charge:
    """One priced part of a line: a tier (or time-of-use period) and the sub-period it applies to."""

    name: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One meter's period: registers, consumption, charges and amount, and what about it is uncertain."""

    meter_id: str
    utility: Utility
    uom: str
    start: BoundaryReading | None
    end: BoundaryReading | None
    consumption: Decimal | None
    charges: tuple[Charge, ...]
    amount: Decimal
    estimated: bool = False
    estimate_method: str | None = None
    review: str | None = None
    notes: tuple[str, ...] = ()
    replacements: tuple[Replacement, ...] = ()


@dataclass(frozen=True)
class Statement:
    """A unit's bill for the metered utilities of one period."""

    id: uuid.UUID
    site_id: str
    unit_id: str
    building_id: str
    period: BillingPeriod
    currency: str
    lines: tuple[StatementLine, ...]
    created_at: datetime
    kind: StatementKind = StatementKind.REGULAR
    sequence: int = 0
    status: StatementStatus = StatementStatus.DRAFT
    vacant: bool = False
    adjusts: uuid.UUID | None = None
    finalized_at: datetime | None = None

    @property
    def total(self) -> Decimal:
        """Sum of the line amounts (each already rounded), so the printed lines add up to the printed total."""
        return sum((line.amount for line in self.lines), _ZERO)

    @property
    def is_final(self) -> bool:
        return self.status is StatementStatus.FINAL

    @property
    def review_lines(self) -> tuple[StatementLine, ...]:
        return tuple(line for line in self.lines if line.review is not None)

    @property
    def estimated_lines(self) -> tuple[StatementLine, ...]:
        return tuple(line for line in self.lines if line.estimated)

    @property
    def label(self) -> str:
        """How messages name the statement: unit, period and kind."""
        suffix = f" adjustment {self.sequence}" if self.kind is StatementKind.ADJUSTMENT else ""
        return f"statement {self.id} (unit {self.unit_id}, {self.period}{suffix})"

    def finalize(self, at: datetime) -> Statement:
        """This statement as final at `at`; StatementFinal if it already is, StatementNeedsReview if flagged."""
        if self.is_final:
            raise StatementFinal(f"{self.label} is already final")
        if self.review_lines:
            meters = ", ".join(line.meter_id for line in self.review_lines)
            raise StatementNeedsReview(f"{self.label} has lines to review ({meters}); resolve them and bill again")
        return replace(self, status=StatementStatus.FINAL, finalized_at=at)

    def content(self) -> dict[str, Any]:
        """The statement's billing content, JSON-ready (decimals as strings): everything but id and times."""
        return {
            "site_id": self.site_id,
            "unit_id": self.unit_id,
            "building_id": self.building_id,
            "period": str(self.period),
            "kind": self.kind.value,
            "sequence": self.sequence,
            "adjusts": str(self.adjusts) if self.adjusts else None,
            "currency": self.currency,
            "vacant": self.vacant,
            "total": str(self.total),
            "lines": [line_content(line) for line in self.lines],
        }

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical content: equal for equal bills, whatever the id or creation time."""
        text = json.dumps(self.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """The full statement for JSON exports and the API: content plus identity, status and times."""
        return {
            "id": str(self.id),
            "status": self.status.value,
            "created_at": self.created_at.isoformat(),
            "finalized_at": self.finalized_at.isoformat() if self.finalized_at else None,
            "fingerprint": self.fingerprint,
            **self.content(),
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _reading(reading: BoundaryReading | None) -> dict[str, Any] | None:
    if reading is None:
        return None
    # UTC, so the content (and its fingerprint) does not depend on the zone a datetime came back in.
    return {"value": str(reading.value), "ts": reading.ts.astimezone(UTC).isoformat(), "method": reading.method}


def line_content(line: StatementLine) -> dict[str, Any]:
    """A line as JSON-ready data; times in ISO 8601, UTC."""
    return {
        "meter_id": line.meter_id,
        "utility": line.utility.value,
        "uom": line.uom,
        "start": _reading(line.start),
        "end": _reading(line.end),
        "consumption": _text(line.consumption),
        "charges": [
            {
                "name": c.name,
                "quantity": str(c.quantity),
                "unit_price": str(c.unit_price),
                "amount": str(c.amount),
                "start": c.start.isoformat() if c.start else None,
                "end": c.end.isoformat() if c.end else None,
            }
            for c in line.charges
        ],
        "amount": str(line.amount),
        "estimated": line.estimated,
        "estimate_method": line.estimate_method,
        "review": line.review,
        "notes": list(line.notes),
        "replacements": [
            {
                "replaced_at": r.replaced_at.astimezone(UTC).isoformat(),
                "old_final": str(r.old_final),
                "new_initial": str(r.new_initial),
                "note": r.note,
            }
            for r in line.replacements
        ],
    }
