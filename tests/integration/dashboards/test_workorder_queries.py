"""Every SQL query of the work-order dashboards runs on a real PostgreSQL and returns rows.

The schema is the one `storage.database.upgrade` migrates to; queries are taken from the
committed JSON and expanded as Grafana expands them ($__timeFilter, $__timeGroupAlias, variables).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dashboards import sql
from dashboards.generate import GENERATED_DIR
from dashboards.i18n import Lang
from dashboards.inspect import Query, sql_queries
from tests.integration.dashboards import workorder_data
from tests.integration.dashboards.sql_panels import grafana_variables, run_sql

pytestmark = pytest.mark.integration
psycopg = pytest.importorskip("psycopg")

Board = dict[str, Any]
BOARDS: dict[str, Board] = {
    path.relative_to(GENERATED_DIR).as_posix(): json.loads(path.read_text(encoding="utf-8"))
    for path in sorted(GENERATED_DIR.glob("*/workorders.json"))
}
CASES = [(name, query) for name, board in BOARDS.items() for query in sql_queries(board)]
PICKED: dict[str, str | list[str]] = {"site": workorder_data.SITE, "building": ["B1"]}
EN = "en/workorders.json"


@pytest.fixture(scope="module")
def database() -> Iterator[tuple[str, datetime, dict[str, Any]]]:
    """(psycopg URL, the time the data was made, the expected facts)."""
    now = datetime.now(UTC).replace(microsecond=0)
    with workorder_data.private_database() as url:
        facts = workorder_data.load(url, now)
        yield url.replace("postgresql+psycopg://", "postgresql://"), now, facts


Database = tuple[str, datetime, dict[str, Any]]


def _run(database: Database, board: Board, query: Query, variables: Mapping[str, str | list[str]]) -> list[Any]:
    url, now, _ = database
    return run_sql(url, board, query, variables, start=now - timedelta(days=7), end=now + timedelta(minutes=1))


def _variables(database: Database, board: Board, scenario: str) -> dict[str, str | list[str]]:
    url, now, _ = database
    return grafana_variables(
        url, board, scenario, PICKED, start=now - timedelta(days=7), end=now + timedelta(minutes=1)
    )


def test_the_dashboards_hold_sql_queries() -> None:
    assert len(CASES) >= 2 * 12


@pytest.mark.parametrize("scenario", ["all", "picked"])
@pytest.mark.parametrize(("board", "query"), CASES, ids=[f"{c[0]}:{c[1].where}" for c in CASES])
def test_query_runs_and_returns_rows(database: Database, board: str, query: Query, scenario: str) -> None:
    variables = _variables(database, BOARDS[board], scenario)
    rows = _run(database, BOARDS[board], query, variables)
    assert rows, f"{board} {query.where} returned no rows ({scenario}: {variables}):\n{query.text}"


def _direct(database: Database, text: str, scenario: str = "all") -> list[Any]:
    board = BOARDS[EN]
    return _run(database, board, Query("direct", text, "1h", "sql"), _variables(database, board, scenario))


def test_counts_follow_the_building_filter_and_all_includes_site_wide_orders(database: Database) -> None:
    facts = database[2]
    assert _direct(database, sql.open_count()) == [(facts["open"],)]
    assert _direct(database, sql.open_count(), "picked") == [(facts["open_in_b1"],)]
    assert _direct(database, sql.open_count("o.priority = 'emergency'")) == [(facts["emergencies_open"],)]
    assert _direct(database, sql.breach_count()) == [(facts["breaches"],)]
    assert _direct(database, sql.arrived_on_time_percent()) == [(pytest.approx(facts["on_time_percent"]),)]


def test_open_orders_come_most_urgent_first_with_translated_names(database: Database) -> None:
    rows = _direct(database, sql.open_orders(Lang.ZH))
    assert [(row[1], row[3], row[4]) for row in rows] == [
        ("WO-0001", "电梯", "紧急"),
        ("WO-0002", "给排水", "高"),
        ("WO-0003", "照明", "普通"),
    ]


def test_step_durations_are_medians_in_seconds(database: Database) -> None:
    rows = {row[0]: row[1:] for row in _direct(database, sql.step_durations(Lang.EN))}
    # Elevator: acknowledged after 2 min (open order) and 1 min (closed one): median 90 s; arrival 8 min.
    median_ack, _, median_arrive, _, median_resolve, _ = rows["Elevator"]
    assert (median_ack, median_arrive, median_resolve) == (90, 480, 7200)


def test_the_elevator_board_lists_only_open_elevator_orders(database: Database) -> None:
    """The live board's SQL panel, as committed, with the site the board's (InfluxDB) site variable gives."""
    board = json.loads((GENERATED_DIR / "zh-CN" / "elevator-board.json").read_text(encoding="utf-8"))
    (query,) = sql_queries(board)
    rows = _run(database, board, query, {"site": workorder_data.SITE})
    assert [(row[1], row[3], row[4]) for row in rows] == [("WO-0001", "紧急", "已接单")]  # not the closed WO-0004
