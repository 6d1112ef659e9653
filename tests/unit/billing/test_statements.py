"""Statements as values: finalising, immutability, fingerprints, diffs and adjustments; billing periods."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import pytest

from billing.diff import Change, adjustment, billed_by_meter, diff_billed, diff_lines
from billing.periods import BillingPeriod
from billing.statements import (
    BoundaryReading,
    Charge,
    Statement,
    StatementFinal,
    StatementKind,
    StatementLine,
    StatementStatus,
)
from core.site import Utility
from tests.unit.billing.sample import OCTOBER, D, cst


def line(meter: str = "W-0101", used: str = "30.000", amount: str = "100.30", end: str = "280.000") -> StatementLine:
    return StatementLine(
        meter_id=meter,
        utility=Utility.WATER,
        uom="m3",
        start=BoundaryReading(D("250.000"), cst(2026, 9, 30, 23, 50), "reading"),
        end=BoundaryReading(D(end), cst(2026, 10, 31, 23, 50), "reading"),
        consumption=D(used),
        charges=(Charge("tier 1", D(used), D("2.90"), D(amount)),),
        amount=D(amount),
    )


def statement(*lines: StatementLine) -> Statement:
    return Statement(
        id=uuid.uuid4(),
        site_id="test-site",
        unit_id="B1-0101",
        building_id="B1",
        period=OCTOBER,
        currency="CNY",
        lines=lines or (line(),),
        created_at=cst(2026, 11, 2),
    )


def test_finalising_once_and_never_again() -> None:
    draft = statement()
    final = draft.finalize(cst(2026, 11, 3))
    assert (final.status, final.finalized_at, draft.status) == (
        StatementStatus.FINAL,
        cst(2026, 11, 3),
        StatementStatus.DRAFT,
    )
    with pytest.raises(StatementFinal, match=r"unit B1-0101, 2026-10\) is already final"):
        final.finalize(cst(2026, 11, 4))
    with pytest.raises(dataclasses.FrozenInstanceError):
        final.lines = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        final.lines[0].amount = D("0")  # type: ignore[misc]


def test_the_fingerprint_depends_on_content_only() -> None:
    one, two = statement(), statement()
    assert one.id != two.id and one.fingerprint == two.fingerprint
    # the same instant written in UTC is the same bill
    start = line().start
    assert start is not None
    in_utc = dataclasses.replace(line(), start=dataclasses.replace(start, ts=start.ts.astimezone(UTC)))
    assert statement(in_utc).fingerprint == one.fingerprint
    assert statement(line(amount="100.31")).fingerprint != one.fingerprint
    assert one.content()["lines"][0]["start"] == {
        "value": "250.000",
        "ts": "2026-09-30T15:50:00+00:00",
        "method": "reading",
    }
    assert one.total == D("100.30")


def test_a_draft_diff_names_each_changed_field() -> None:
    old, new = statement(line()), statement(line(used="31.000", amount="104.15", end="281.000"), line("W-9"))
    changes = diff_lines(old, new)
    assert [(c.meter_id, c.field) for c in changes] == [
        ("W-0101", "end"),
        ("W-0101", "consumption"),
        ("W-0101", "charges"),
        ("W-0101", "amount"),
        ("W-9", "line"),
    ]
    assert changes[1] == Change("W-0101", "consumption", "30.000", "31.000")
    assert changes[4] == Change("W-9", "line", None, "present")


def test_an_adjustment_carries_the_difference_to_what_was_billed() -> None:
    final = dataclasses.replace(statement(), status=StatementStatus.FINAL, finalized_at=cst(2026, 11, 3))
    earlier = dataclasses.replace(
        statement(line(used="1.000", amount="2.90")), kind=StatementKind.ADJUSTMENT, sequence=1
    )
    billed = billed_by_meter([final, earlier])
    # 30.000 + 1.000 = 31.000 m³ for 100.30 + 2.90 = 103.20 billed so far
    assert billed == {"W-0101": (D("31.000"), D("103.20"))}
    recomputed = statement(line(used="33.000", amount="109.02", end="283.000"))
    assert diff_billed(billed, recomputed) == (
        Change("W-0101", "consumption", "31.000", "33.000"),
        Change("W-0101", "amount", "103.20", "109.02"),
    )
    correction = adjustment(recomputed, billed, final, sequence=2)
    # 33.000 - 31.000 = 2.000 m³; 109.02 - 103.20 = 5.82
    assert (correction.kind, correction.sequence, correction.adjusts) == (StatementKind.ADJUSTMENT, 2, final.id)
    assert [(x.consumption, x.amount) for x in correction.lines] == [(D("2.000"), D("5.82"))]
    assert correction.total == D("5.82")
    assert correction.lines[0].notes[-1] == (
        f"corrects statement {final.id}: billed 31.000 m3 for 103.20, recomputed 33.000 m3 for 109.02"
    )
    assert diff_billed(billed, statement(line(used="31.000", amount="103.20"))) == ()


def test_periods() -> None:
    period = BillingPeriod.parse("2026-12")
    assert (str(period), period.next(), period.previous()) == (
        "2026-12",
        BillingPeriod(2027, 1),
        BillingPeriod(2026, 11),
    )
    assert BillingPeriod(2026, 1).previous() == BillingPeriod(2025, 12)
    assert period.start("Asia/Shanghai") == cst(2026, 12, 1)
    assert period.end("Asia/Shanghai") == datetime(2026, 12, 31, 16, tzinfo=UTC)
    assert BillingPeriod(2028, 2).days == 29
    # a job at 02:00 on 1 November Shanghai time (18:00 UTC on 31 October) bills October
    assert BillingPeriod.last_completed(datetime(2026, 10, 31, 18, tzinfo=UTC), "Asia/Shanghai") == OCTOBER
    with pytest.raises(ValueError, match="YYYY-MM"):
        BillingPeriod.parse("2026-1")
    with pytest.raises(ValueError, match="month 13"):
        BillingPeriod(2026, 13)
