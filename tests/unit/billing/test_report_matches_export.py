"""Property: whatever the statements (regular, adjusting, held for review, vacant, 公摊 lines), `billing report`
totals are the export's net totals: the report's total and its per-building amounts add up to the CSV's 金额 column."""

from __future__ import annotations

import csv
import dataclasses
import io
import uuid
from collections import defaultdict
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.exports import csv_bytes
from billing.report import monthly_report
from billing.statements import Statement, StatementKind, StatementLine
from tests.unit.billing.sample import OCTOBER
from tests.unit.billing.test_exports import STATEMENT, WATER

_AMOUNT = st.decimals(min_value=-500, max_value=5000, places=2, allow_nan=False, allow_infinity=False)
_USE = st.decimals(min_value=-999, max_value=999, places=3, allow_nan=False, allow_infinity=False)


@st.composite
def lines(draw: st.DrawFn, unit: int) -> StatementLine:
    held = draw(st.booleans())
    return dataclasses.replace(
        WATER,
        meter_id=draw(st.sampled_from([f"W-{unit:04d}", "shared:garden"])),
        consumption=draw(st.none() | _USE),
        amount=Decimal("0.00") if held else draw(_AMOUNT),
        review="register went down" if held else None,
        estimated=draw(st.booleans()),
    )


@st.composite
def statements(draw: st.DrawFn) -> list[Statement]:
    found: list[Statement] = []
    for unit in range(draw(st.integers(min_value=0, max_value=6))):
        building = draw(st.sampled_from(["B1", "B2", "B3"]))
        base = dataclasses.replace(
            STATEMENT, id=uuid.uuid4(), unit_id=f"U{unit}", building_id=building, vacant=draw(st.booleans())
        )
        found.append(dataclasses.replace(base, lines=(draw(lines(unit)),)))
        for sequence in range(1, draw(st.integers(min_value=0, max_value=2)) + 1):
            adjusting = (draw(lines(unit)),)
            found.append(
                dataclasses.replace(
                    base, id=uuid.uuid4(), kind=StatementKind.ADJUSTMENT, sequence=sequence, lines=adjusting
                )
            )
    return found


@settings(max_examples=150, deadline=None)
@given(statements())
def test_report_totals_are_the_export_net_totals(chosen: list[Statement]) -> None:
    rows = list(csv.DictReader(io.StringIO(csv_bytes(chosen).decode("utf-8-sig"))))
    net_total = sum((Decimal(row["金额"]) for row in rows), Decimal(0))
    by_building: dict[str, Decimal] = defaultdict(Decimal)
    for row, building in zip(rows, [s.building_id for s in chosen for _ in s.lines], strict=True):
        by_building[building] += Decimal(row["金额"])
    report = monthly_report("test-site", OCTOBER, chosen)
    assert report.total == net_total
    reported: dict[str, Decimal] = defaultdict(Decimal)
    for use in report.by_building:
        reported[use.building_id] += use.amount
    assert {b: a for b, a in reported.items() if a} == {b: a for b, a in by_building.items() if a}
    assert sum((use.consumption for use in report.by_building), Decimal(0)) == sum(
        (line.consumption for s in chosen for line in s.lines if line.consumption is not None and line.review is None),
        Decimal(0),
    )
