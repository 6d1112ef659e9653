"""Running a dashboard's SQL the way Grafana would: variables expanded, against a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import psycopg

from dashboards.inspect import Query, all_values, expand, regex_variables

Board = dict[str, Any]
Variables = dict[str, str | list[str]]


def run_sql(
    url: str, board: Board, query: Query, variables: Mapping[str, str | list[str]], *, start: datetime, end: datetime
) -> list[Any]:
    """The rows `query` answers over [start, end) with `variables`; `url` is a psycopg URL."""
    text = expand(
        query,
        start=start,
        end=end,
        variables=variables,
        regex_variables=regex_variables(board),
        raw_values=frozenset(all_values(board).values()),
    )
    with psycopg.connect(url) as conn:
        return conn.execute(text).fetchall()


def grafana_variables(
    url: str, board: Board, scenario: str, picked: Mapping[str, str | list[str]], *, start: datetime, end: datetime
) -> Variables:
    """Picked values, or what Grafana defaults to: All where offered, else the query's first value."""
    values: Variables = {}
    for variable in board["templating"]["list"]:
        name = variable["name"]
        if variable["type"] != "query":
            continue
        if scenario == "picked":
            values[name] = picked[name]
        elif variable.get("allValue"):
            values[name] = variable["allValue"]
        else:
            query = Query(name, variable["query"], dialect="sql")
            (first, *_) = run_sql(url, board, query, values, start=start, end=end)
            values[name] = first[0]
    return values
