"""Every SQL query of the billing dashboards runs on a real PostgreSQL and returns the billed figures.

The schema is the one `storage.database.upgrade` migrates to; statements go in through billing's own
repository (drafts, then finalised, then an adjusting statement, as `run_billing` and `finalize_period`
would leave them). Queries are taken from the committed JSON and expanded as Grafana expands them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from billing.periods import BillingPeriod
from billing.repository import StatementRepository
from billing.statements import Charge, Statement, StatementKind, StatementLine
from core.site import Utility
from dashboards.generate import GENERATED_DIR
from dashboards.inspect import Query, all_values, expand, regex_variables, sql_queries
from storage.database import make_engine, session_factory, upgrade
from tests.integration.dashboards.sql_panels import grafana_variables, run_sql
from tests.integration.dashboards.workorder_data import private_database

pytestmark = pytest.mark.integration
psycopg = pytest.importorskip("psycopg")

SITE = "lakeview"
SEPTEMBER, OCTOBER = BillingPeriod.parse("2026-09"), BillingPeriod.parse("2026-10")
START, END = datetime(2026, 8, 15, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC)  # the dashboard's time range
CREATED, FINALISED = datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)

Board = dict[str, Any]
BOARDS: dict[str, Board] = {
    path.relative_to(GENERATED_DIR).as_posix(): json.loads(path.read_text(encoding="utf-8"))
    for path in sorted(GENERATED_DIR.glob("*/billing.json"))
}
CASES = [(name, query) for name, board in BOARDS.items() for query in sql_queries(board)]
PICKED: dict[str, str | list[str]] = {"site": SITE, "building": ["B1"], "period": "2026-10"}
EN, ZH = "en/billing.json", "zh-CN/billing.json"
D = Decimal


def _line(meter: str, utility: Utility, used: str | None, amount: str, review: str | None = None) -> StatementLine:
    uom = "kWh" if utility is Utility.ELECTRICITY else "m3"
    charges = () if used is None else (Charge("tier 1", D(used), D("1.00"), D(amount)),)
    return StatementLine(
        meter_id=meter,
        utility=utility,
        uom=uom,
        start=None,
        end=None,
        consumption=None if used is None else D(used),
        charges=charges,
        amount=D(amount),
        estimated=used is None,
        review=review,
    )


def _statement(unit: str, period: BillingPeriod, *lines: StatementLine, **fields: Any) -> Statement:
    return Statement(
        id=uuid.uuid4(),
        site_id=SITE,
        unit_id=unit,
        building_id=unit.split("-")[0],
        period=period,
        currency="CNY",
        lines=lines,
        created_at=CREATED,
        **fields,
    )


def load(url: str) -> None:
    """Two months of two buildings: finals, a plain draft, a draft held for review, an adjusting statement."""
    upgrade(url)
    water, power, gas = Utility.WATER, Utility.ELECTRICITY, Utility.GAS
    final_oct = _statement(
        "B1-0101", OCTOBER, _line("W1", water, "10.000", "29.00"), _line("E1", power, "100.000", "56.80")
    )
    finals = [
        final_oct,
        _statement("B1-0101", SEPTEMBER, _line("W1", water, "8.000", "23.20")),
        _statement("B2-0201", SEPTEMBER, _line("W3", water, "15.000", "43.50")),
    ]
    drafts = [
        _statement("B1-0102", OCTOBER, _line("W2", water, "5.000", "14.50"),
                   _line("E2", power, None, "0.00", review="negative delta: 812.400 then 790.100")),
        _statement("B2-0201", OCTOBER, _line("W3", water, "20.000", "58.00"), _line("G3", gas, "12.000", "36.00")),
    ]  # fmt: skip
    adjustment = _statement(
        "B1-0101", OCTOBER, _line("W1", water, "-2.000", "-5.80"),
        kind=StatementKind.ADJUSTMENT, sequence=1, adjusts=final_oct.id,
    )  # fmt: skip
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions() as session, session.begin():
        repository = StatementRepository(session)
        for statement in (*finals, *drafts):
            repository.add(statement)
    with sessions() as session, session.begin():
        repository = StatementRepository(session)
        for statement in finals:
            repository.finalize(statement.id, FINALISED)
        repository.add(adjustment)
    engine.dispose()


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A psycopg URL of a private database holding the statements of `load`."""
    with private_database() as url:
        load(url)
        yield url.replace("postgresql+psycopg://", "postgresql://")


def _run(url: str, board: Board, query: Query, variables: Mapping[str, str | list[str]]) -> list[Any]:
    return run_sql(url, board, query, variables, start=START, end=END)


def _variables(url: str, board: Board, scenario: str) -> dict[str, str | list[str]]:
    return grafana_variables(url, board, scenario, PICKED, start=START, end=END)


def _panel(database: str, board: str, title: str, scenario: str = "all") -> list[Any]:
    (panel,) = [p for p in BOARDS[board]["panels"] if p["title"] == title]
    (target,) = panel["targets"]
    query = Query(title, target["rawSql"], panel.get("interval", ""), "sql")
    return _run(database, BOARDS[board], query, _variables(database, BOARDS[board], scenario))


def test_both_languages_hold_the_billing_queries() -> None:
    assert sorted(BOARDS) == [EN, ZH]
    assert len(CASES) == 2 * (6 + 3)  # six panels and three query variables per language


@pytest.mark.parametrize("scenario", ["all", "picked"])
@pytest.mark.parametrize(("board", "query"), CASES, ids=[f"{c[0]}:{c[1].where}" for c in CASES])
def test_query_runs_and_returns_rows(database: str, board: str, query: Query, scenario: str) -> None:
    variables = _variables(database, BOARDS[board], scenario)
    rows = _run(database, BOARDS[board], query, variables)
    assert rows, f"{board} {query.where} returned no rows ({scenario}: {variables}):\n{query.text}"


def test_variables_offer_the_site_its_buildings_and_the_newest_period_first(database: str) -> None:
    assert _variables(database, BOARDS[EN], "all") == {"site": SITE, "building": "'__all'", "period": "2026-10"}
    board = BOARDS[EN]
    queries = {q.where: q for q in sql_queries(board)}
    picked = {"site": SITE}
    assert _run(database, board, queries["variable 'building'"], picked) == [("B1",), ("B2",)]
    assert _run(database, board, queries["variable 'period'"], picked) == [("2026-10",), ("2026-09",)]


def test_totals_of_the_period_include_adjustments_and_follow_the_building(database: str) -> None:
    # October: 85.80 (final) + 14.50 (held) + 94.00 (draft, B2) - 5.80 (adjusting draft) = 188.50
    assert _panel(database, EN, "Total billed this period") == [(D("188.50"),)]
    assert _panel(database, EN, "Of which final") == [(D("85.80"),)]
    assert _panel(database, EN, "Total billed this period", "picked") == [(D("94.50"),)]
    assert _panel(database, ZH, "其中已定稿", "picked") == [(D("85.80"),)]


def test_statements_by_status_count_every_state(database: str) -> None:
    assert _panel(database, EN, "Statements by status") == [("Draft", 2), ("Held for review", 1), ("Final", 1)]
    assert _panel(database, ZH, "账单状态", "picked") == [("草稿", 1), ("待复核", 1), ("已定稿", 1)]


def test_top_units_sum_a_units_statements_highest_first(database: str) -> None:
    assert _panel(database, EN, "Top units by amount") == [
        ("B2-0201", "B2", D("94.00")),
        ("B1-0101", "B1", D("80.00")),
        ("B1-0102", "B1", D("14.50")),
    ]
    assert _panel(database, EN, "Top units by amount", "picked") == [
        ("B1-0101", "B1", D("80.00")),
        ("B1-0102", "B1", D("14.50")),
    ]


def test_monthly_amount_is_one_series_per_building_at_the_first_of_the_month(database: str) -> None:
    rows = _panel(database, EN, "Monthly amount per building")
    assert [(when.strftime("%Y-%m-%d %H:%M"), building, amount) for when, building, amount in rows] == [
        ("2026-09-01 00:00", "B1", D("23.20")),
        ("2026-09-01 00:00", "B2", D("43.50")),
        ("2026-10-01 00:00", "B1", D("94.50")),
        ("2026-10-01 00:00", "B2", D("94.00")),
    ]
    assert [row[1:] for row in _panel(database, EN, "Monthly amount per building", "picked")] == [
        ("B1", D("23.20")),
        ("B1", D("94.50")),
    ]


def test_consumption_per_utility_building_and_month(database: str) -> None:
    assert _panel(database, EN, "Consumption per utility per building per month") == [
        # B1 October electricity: the line held for review has no consumption and no amount.
        ("2026-10", "B1", "Electricity", "kWh", D("100.000"), D("56.80")),
        ("2026-10", "B1", "Water", "m3", D("13.000"), D("37.70")),  # 10 + 5 - 2 (adjustment)
        ("2026-10", "B2", "Gas", "m3", D("12.000"), D("36.00")),
        ("2026-10", "B2", "Water", "m3", D("20.000"), D("58.00")),
        ("2026-09", "B1", "Water", "m3", D("8.000"), D("23.20")),
        ("2026-09", "B2", "Water", "m3", D("15.000"), D("43.50")),
    ]
    rows = _panel(database, ZH, "各楼栋每月分类用量", "picked")
    assert [row[:3] for row in rows] == [("2026-10", "B1", "电"), ("2026-10", "B1", "水"), ("2026-09", "B1", "水")]


def test_months_outside_the_time_range_are_left_out(database: str) -> None:
    board = BOARDS[EN]
    (panel,) = [p for p in board["panels"] if p["title"] == "Monthly amount per building"]
    query = Query("october only", panel["targets"][0]["rawSql"], dialect="sql")
    text = expand(
        query,
        start=datetime(2026, 9, 20, tzinfo=UTC),
        end=END,
        variables=_variables(database, board, "all"),
        regex_variables=regex_variables(board),
        raw_values=frozenset(all_values(board).values()),
    )
    with psycopg.connect(database) as conn:
        assert [row[1:] for row in conn.execute(text).fetchall()] == [("B1", D("94.50")), ("B2", D("94.00"))]
