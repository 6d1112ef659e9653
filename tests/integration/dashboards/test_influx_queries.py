"""Every InfluxQL query in the committed dashboards runs on a real InfluxDB and returns rows.

Queries are taken from `dashboards/generated/*/*.json` (what Grafana loads), expanded the way
Grafana expands them ($timeFilter, $__interval, template variables) and sent to influxd 1.6,
the oldest InfluxQL we support, over twelve hours of a simulated community.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.site import Utility
from core.site_loader import load_site
from dashboards import alert_rules, queries
from dashboards.generate import GENERATED_DIR
from dashboards.inspect import Query, all_values, expand, influx_queries, regex_variables
from storage.influx import InfluxV1Store
from tests.conftest import EXAMPLE_SITE
from tests.integration.dashboards import sample_data
from tests.support.services import Influxd, make_server

pytestmark = pytest.mark.integration

DATABASE = "facilities"
# Grafana's two ways of filling a variable: "All" (its allValue, or every value its query lists),
# and one value picked. Custom variables keep their default.
PICKED = {"site": "lakeview", "building": ["B1"], "elevator": ["B1-L1"], "unit": "B1-0102", "meter": "B1-0102-E"}
SCENARIOS = ("all", "picked")

Board = dict[str, Any]
Loaded = tuple[InfluxV1Store, sample_data.Loaded]


def _boards() -> dict[str, Board]:
    return {
        path.relative_to(GENERATED_DIR).as_posix(): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(GENERATED_DIR.glob("*/*.json"))
    }


BOARDS = _boards()


def _cases() -> list[tuple[str, Query]]:
    """(dashboard file, query), one per distinct query text across the languages."""
    seen: set[str] = set()
    cases = []
    for name, board in BOARDS.items():
        for query in influx_queries(board):
            if query.text not in seen:
                seen.add(query.text)
                cases.append((name, query))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    server = make_server(Influxd, tmp_path_factory.mktemp("dashboards") / "influxd")
    server.start()
    influx = InfluxV1Store(server.url, DATABASE)
    influx.ensure_database()
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    loaded = sample_data.load(influx, load_site(EXAMPLE_SITE), end)
    yield influx, loaded
    influx.close()
    server.stop()


def _run(store: Loaded, query: Query, variables: Mapping[str, str | list[str]], board: Board) -> list[Any]:
    influx, loaded = store
    # The range ends now, not at the last reading: `$silence` is measured back from now().
    text = expand(
        query,
        start=loaded.start,
        end=datetime.now(UTC),
        variables=variables,
        regex_variables=regex_variables(board),
        raw_values=frozenset(all_values(board).values()),
    )
    return influx.query(text)


def _variables(store: Loaded, board: Board, scenario: str) -> dict[str, str | list[str]]:
    """Values for the board's variables in order, each one's query seeing the ones before it."""
    values: dict[str, str | list[str]] = {}
    for variable in board["templating"]["list"]:
        name, kind = variable["name"], variable["type"]
        if kind == "custom":
            values[name] = variable["current"]["value"]
        elif kind == "query" and scenario == "picked":
            values[name] = PICKED[name]
        elif kind == "query" and variable.get("includeAll") and variable.get("allValue"):
            values[name] = variable["allValue"]
        elif kind == "query":
            options = [row["value"] for row in _run(store, Query(name, variable["query"]), values, board)]
            assert options, f"variable {name} has no values"
            values[name] = options if variable.get("includeAll") else options[0]
    return values


def test_the_dashboards_hold_queries() -> None:
    assert len(CASES) >= 20, [case[1].where for case in CASES]


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize(("board", "query"), CASES, ids=[f"{c[0]}:{c[1].where}" for c in CASES])
def test_query_runs_and_returns_rows(store: Loaded, board: str, query: Query, scenario: str) -> None:
    variables = _variables(store, BOARDS[board], scenario)
    rows = _run(store, query, variables, BOARDS[board])
    assert rows, f"{board} {query.where} returned no rows ({scenario}: {variables}):\n{query.text}"


def _direct(store: Loaded, text: str, board: str, scenario: str = "all") -> list[Any]:
    """Run one query builder's statement with the variables of a generated dashboard."""
    variables = _variables(store, BOARDS[board], scenario)
    return _run(store, Query("direct", text, "1h"), variables, BOARDS[board])


UTILITIES, ELEVATORS = "en/utilities.json", "en/elevators.json"


def test_silent_meters_are_exactly_the_ones_that_stopped(store: Loaded) -> None:
    rows = _direct(store, queries.silent_meters(), UTILITIES)
    assert {row["meter_id"] for row in rows} == sample_data.SILENT_METERS
    (count,) = _direct(store, queries.silent_meter_count(), UTILITIES)
    assert count["silent"] == len(sample_data.SILENT_METERS)


def test_top_units_are_the_biggest_of_all_units(store: Loaded) -> None:
    every_unit = _direct(store, queries.use_per_unit(Utility.ELECTRICITY), UTILITIES)
    top = _direct(store, queries.top_units(Utility.ELECTRICITY), UTILITIES)
    expected = sorted((row["use"] for row in every_unit), reverse=True)[: queries.TOP_N]
    assert sorted((row["use"] for row in top), reverse=True) == pytest.approx(expected)
    assert len(every_unit) == 120  # 2 towers x 20 floors x 3 units


def test_building_totals_add_up_to_the_per_unit_use(store: Loaded) -> None:
    per_building = _direct(store, queries.use_per_building(Utility.WATER), UTILITIES, "picked")
    per_unit = _direct(store, queries.use_per_unit(Utility.WATER), UTILITIES, "picked")
    assert {row["unit"][:2] for row in per_unit} == {"B1"}
    assert sum(row["use"] for row in per_building) == pytest.approx(sum(row["use"] for row in per_unit))


def test_faults_and_alarms_reach_the_elevator_panels(store: Loaded) -> None:
    faults = _direct(store, queries.fault_readings(), ELEVATORS)
    assert [(row["elevator_id"], row["fault_code"]) for row in faults] == [(sample_data.FAULTY_CAR, 21)] * 3
    # Newest first; the meter's alarm is left out although "All" elevators are selected.
    alarms = _direct(store, queries.elevator_alarms(), ELEVATORS)
    assert [(row["asset_id"], row["state"]) for row in alarms] == [
        (sample_data.FAULTY_CAR, "cleared"),
        (sample_data.FAULTY_CAR, "raised"),
    ]


def test_the_silent_meter_alert_rule_counts_the_silent_meters(store: Loaded) -> None:
    """The provisioned alert's InfluxQL, over its own window (no dashboard variables in an alert rule)."""
    (group,) = alert_rules.provisioning()["groups"]
    rule = next(r for r in group["rules"] if r["uid"] == "facilities-silent-meters")
    query = rule["data"][0]
    window = timedelta(seconds=query["relativeTimeRange"]["from"])
    influx, _ = store
    now = datetime.now(UTC)
    text = expand(Query("alert", query["model"]["query"]), start=now - window, end=now, variables={})
    (row,) = influx.query(text)
    assert row["silent"] == len(sample_data.SILENT_METERS) > 0  # the threshold is > 0: it fires
