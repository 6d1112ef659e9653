"""Shared-area costs (公摊) worked by hand: a corridor meter split by floor area and equally, a garden meter split
by the units' own water use, the remainder carried by the largest-remainder rule so each pool adds up exactly;
the lines on statements, in the report and in the CSV; hostile pool configs refused with the key."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from billing.calculate import StatementCalculator
from billing.config import check_against_site, parse_billing_config
from billing.exports import Names, csv_bytes
from billing.report import monthly_report
from billing.shared import largest_remainder
from billing.sources import StoreRegisterReader
from billing.statements import Charge, Statement
from core.clock import FakeClock
from core.config_files import ConfigError
from core.site import Site
from core.site_loader import parse_site
from storage.embedded import EmbeddedStore
from tests.unit.billing.sample import OCTOBER, D, cst, write

SITE_TOML = """
[site]
id = "shared-site"
name = "翠苑小区"

[[buildings]]
id = "B1"
name = "1号楼"
floors = 2
units = [
    { id = "B1-0101", area_m2 = 89.5 },
    { id = "B1-0102", area_m2 = 120.25 },
    { id = "B1-0103", area_m2 = 60.0, vacant = true },
]

[[buildings]]
id = "B2"
floors = 1
units = [{ id = "B2-0101", area_m2 = 75.0 }]

[[areas]]
id = "B1-CORR"
kind = "corridor"
building = "B1"

[[areas]]
id = "GARDEN"
kind = "garden"

[[meters]]
id = "E-B1-CORR"
utility = "electricity"
area = "B1-CORR"

[[meters]]
id = "W-GARDEN"
utility = "water"
area = "GARDEN"
""" + "".join(
    f'\n[[meters]]\nid = "W-{unit}"\nutility = "water"\nunit = "{unit}"\n'
    for unit in ("B1-0101", "B1-0102", "B1-0103", "B2-0101")
)
SITE: Site = parse_site(SITE_TOML)

BILLING = """
[billing]
boundary = "last_before"

[[tariffs]]
utility = "water"
[[tariffs.entries]]
effective_from = 2026-01-01
[tariffs.entries.tariff]
kind = "flat"
unit_price = 2.90

[[tariffs]]
utility = "electricity"
[[tariffs.entries]]
effective_from = 2026-01-01
[tariffs.entries.tariff]
kind = "flat"
unit_price = 0.538
"""
BY_AREA = """
[[shared]]
id = "B1-corridor"
name = "1号楼走廊照明"
meters = ["E-B1-CORR"]
building = "B1"
key = "area"
unit_price = 0.538
"""
GARDEN = """
[[shared]]
id = "garden"
name = "绿化用水"
meters = ["W-GARDEN"]
key = "consumption"
unit_price = 2.90
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(tmp_path / "readings.db") as embedded:
        month = (cst(2026, 9, 30, 23, 50), cst(2026, 10, 31, 23, 50))
        for meter, (begin, end) in {
            "E-B1-CORR": (1000.0, 1100.0),  # 100 kWh in the corridor
            "W-GARDEN": (50.0, 57.0),  # 7 m³ in the garden
            "W-B1-0101": (100.0, 130.0),  # own use 30
            "W-B1-0102": (200.0, 215.0),  # 15
            "W-B1-0103": (10.0, 10.0),  # vacant, nothing
            "W-B2-0101": (300.0, 306.0),  # 6
        }.items():
            write(embedded, meter, [(month[0], begin), (month[1], end)], SITE)
        yield embedded


def bill(store: EmbeddedStore, extra: str) -> list[Statement]:
    config = parse_billing_config(BILLING + extra)
    check_against_site(config, SITE)
    calculator = StatementCalculator(SITE, config, store, StoreRegisterReader(store), FakeClock(cst(2026, 11, 2)))
    return calculator.calculate(OCTOBER, {})


def shared(statements: list[Statement], pool: str) -> dict[str, tuple[Decimal | None, Decimal]]:
    return {
        s.unit_id: (line.consumption, line.amount)
        for s in statements
        for line in s.lines
        if line.meter_id == f"shared:{pool}"
    }


def test_corridor_split_by_floor_area_with_the_remainder_carried(store: EmbeddedStore) -> None:
    statements = bill(store, BY_AREA)
    # 100.000 kWh × 0.538 = 53.80 over B1's occupied units, 89.5 + 120.25 = 209.75 m² (B1-0103 is vacant):
    # kWh: 42.66984… → 42.669 and 57.33015… → 57.330 leave 0.001 for the larger remainder (B1-0101): 42.670
    # CNY: 22.95637… → 22.95 and 30.84362… → 30.84 leave 0.01 for the larger remainder (B1-0101): 22.96
    assert shared(statements, "B1-corridor") == {
        "B1-0101": (D("42.670"), D("22.96")),
        "B1-0102": (D("57.330"), D("30.84")),
    }
    line = next(x for s in statements for x in s.lines if x.meter_id == "shared:B1-corridor")
    assert line.charges == (Charge("1号楼走廊照明", D("42.670"), D("0.538"), D("22.96")),)
    assert line.notes == (
        "1号楼走廊照明: 100.000 kWh of E-B1-CORR × 0.538 split by area over 2 units; this unit's area: 89.5 of 209.75",
    )


def test_equal_shares_including_vacant_units(store: EmbeddedStore) -> None:
    statements = bill(store, BY_AREA.replace('key = "area"', 'key = "equal"\ninclude_vacant = true'))
    # 100.000 / 3 = 33.333… each, 0.001 left → B1-0101; 53.80 / 3 = 17.933… → 17.93 each, 0.01 left → B1-0101
    assert shared(statements, "B1-corridor") == {
        "B1-0101": (D("33.334"), D("17.94")),
        "B1-0102": (D("33.333"), D("17.93")),
        "B1-0103": (D("33.333"), D("17.93")),
    }
    # the vacant unit carries its share on its own statement
    assert "B1-0103" in {s.unit_id for s in statements}


def test_garden_split_by_own_consumption_site_wide(store: EmbeddedStore) -> None:
    statements = bill(store, GARDEN)
    # 7.000 m³ × 2.90 = 20.30 by own water use 30 / 15 / 6 (of 51; the vacant unit takes no part):
    # m³: 4.11764… → 4.117, 2.05882… → 2.058, 0.82352… → 0.823; 0.002 left → B1-0102 (.000823), B1-0101 (.000647)
    # CNY: 11.94117… → 11.94, 5.97058… → 5.97, 2.38823… → 2.38; 0.01 left → B2-0101 (.008235)
    assert shared(statements, "garden") == {
        "B1-0101": (D("4.118"), D("11.94")),
        "B1-0102": (D("2.059"), D("5.97")),
        "B2-0101": (D("0.823"), D("2.39")),
    }


def test_pool_lines_in_the_report_and_the_csv(store: EmbeddedStore) -> None:
    statements = bill(store, BY_AREA + GARDEN)
    report = monthly_report("shared-site", OCTOBER, statements)
    pools = {(p.pool, p.building_id): (p.consumption, p.amount, p.units) for p in report.shared}
    assert pools == {
        ("shared:B1-corridor", "B1"): (D("100.000"), D("53.80"), 2),
        ("shared:garden", "B1"): (D("6.177"), D("17.91"), 2),
        ("shared:garden", "B2"): (D("0.823"), D("2.39"), 1),
    }
    rows = list(csv.DictReader(io.StringIO(csv_bytes(statements, names=Names.of(SITE)).decode("utf-8-sig"))))
    corridor = [r for r in rows if r["表号"] == "shared:B1-corridor"]
    assert [(r["房号"], r["楼栋"], r["用量"], r["金额"]) for r in corridor] == [
        ("B1-0101", "1号楼", "42.670", "22.96"),
        ("B1-0102", "1号楼", "57.330", "30.84"),
    ]
    assert sum(Decimal(r["金额"]) for r in rows) == report.total


def test_a_pool_meter_to_review_holds_every_share(store: EmbeddedStore) -> None:
    write(store, "E-B1-CORR", [(cst(2026, 10, 31, 23, 55), 900.0)], SITE)  # the register went down
    statements = bill(store, BY_AREA)
    lines = [x for s in statements for x in s.lines if x.meter_id == "shared:B1-corridor"]
    assert len(lines) == 2 and all(x.amount == 0 and x.consumption is None for x in lines)
    assert all(x.review is not None and x.review.startswith("shared pool B1-corridor: meter E-B1-CORR:") for x in lines)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (BY_AREA.replace('meters = ["E-B1-CORR"]', 'meters = ["W-B1-0101"]'), "W-B1-0101 is unit B1-0101's meter"),
        (BY_AREA.replace('meters = ["E-B1-CORR"]', 'meters = ["NOPE"]'), "no meter 'NOPE'"),
        (BY_AREA.replace('meters = ["E-B1-CORR"]', 'meters = ["E-B1-CORR", "W-GARDEN"]'), "meters of one utility"),
        (BY_AREA.replace('building = "B1"', 'building = "B9"'), "no building 'B9'; known: B1, B2"),
        (BY_AREA + BY_AREA, "shared[1].id: pool id 'B1-corridor' is used by an earlier pool"),
        (BY_AREA.replace('key = "area"', 'key = "volume"'), "shared[0].key"),
        (BY_AREA.replace("unit_price = 0.538", "unit_price = -1"), "shared[0].unit_price"),
    ],
)
def test_hostile_pools_are_refused(extra: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_against_site(parse_billing_config(BILLING + extra), SITE)
    assert message in str(caught.value)


def test_area_key_needs_every_area() -> None:
    site = parse_site(SITE_TOML.replace('{ id = "B1-0102", area_m2 = 120.25 }', '{ id = "B1-0102" }'))
    with pytest.raises(
        ConfigError, match=r"shared\[0\].key: key 'area' needs area_m2 on every unit; missing on B1-0102"
    ):
        check_against_site(parse_billing_config(BILLING + BY_AREA), site)


def test_largest_remainder_adds_up_exactly() -> None:
    assert largest_remainder(D("0.05"), [D(1)] * 3, D("0.01")) == [D("0.02"), D("0.02"), D("0.01")]
    assert sum(largest_remainder(D("1000.00"), [D("1"), D("2"), D("3.3"), D("7")], D("0.01"))) == D("1000.00")
    with pytest.raises(ValueError, match="not all zero"):
        largest_remainder(D("1"), [D(0), D(0)], D("0.01"))
