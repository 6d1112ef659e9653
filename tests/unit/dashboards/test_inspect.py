"""Expanding a dashboard query the way Grafana does before it reaches InfluxDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dashboards.inspect import Query, auto_interval, expand, regex_variables

END = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
START = END - timedelta(hours=12)


def _expand(text: str, variables: dict[str, str | list[str]], min_interval: str = "") -> str:
    return expand(
        Query("t", text, min_interval),
        start=START,
        end=END,
        variables=variables,
        regex_variables=frozenset({"building"}),
        raw_values=frozenset({".*"}),
    )


def test_time_filter_becomes_epoch_milliseconds() -> None:
    assert _expand("WHERE $timeFilter", {}) == (
        f"WHERE time >= {int(START.timestamp()) * 1000}ms and time <= {int(END.timestamp()) * 1000}ms"
    )


def test_interval_follows_the_range_and_respects_the_panel_minimum() -> None:
    assert auto_interval(START, END) == "1m"  # 12 h / 1000 points = 43 s, rounded up
    assert auto_interval(START, START + timedelta(days=30)) == "1h"
    assert _expand("time($__interval) $__interval_ms", {}, min_interval="1h") == "time(1h) 3600000"


def test_multi_value_variables_become_escaped_alternatives() -> None:
    assert _expand("/^$building$/", {"building": ["B1", "Tower.2"]}) == r"/^(B1|Tower\.2)$/"
    assert _expand("/^$building$/", {"building": ["B1"]}) == "/^B1$/"
    assert _expand("/^${building}$/", {"building": ".*"}) == "/^.*$/"


def test_single_value_variables_are_inserted_as_they_are() -> None:
    assert _expand("now() - $silence AND [[site]]", {"silence": "1h", "site": "lakeview"}) == "now() - 1h AND lakeview"


def test_a_variable_without_a_value_is_an_error() -> None:
    with pytest.raises(KeyError, match="no value for \\$site"):
        _expand("$site", {})


def test_regex_variables_are_the_multi_value_ones() -> None:
    board = {"templating": {"list": [{"name": "site"}, {"name": "building", "multi": True, "includeAll": True}]}}
    assert regex_variables(board) == {"building"}
