"""The committed dashboard JSON is what the generator makes, and is well formed for Grafana."""

from __future__ import annotations

import json
import re
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from dashboards.generate import GENERATED_DIR, differences, generate, main, write_all
from dashboards.i18n import Lang
from dashboards.inspect import influx_queries, sql_queries

BOARDS: dict[str, dict[str, Any]] = {name: json.loads(text) for name, text in generate().items()}
CJK = re.compile(r"[\u4e00-\u9fff]")
GRAFANA_MACROS = {"timeFilter", "__interval", "__interval_ms"}
SQL_MACROS = {"__timeFilter", "__timeGroupAlias"}


def _panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in board["panels"] if p["type"] != "row"]


def test_committed_json_is_what_the_generator_makes() -> None:
    stale = differences()
    assert not stale, f"out of date: {stale}; run: python -m dashboards.generate"


def test_generation_is_deterministic() -> None:
    assert generate() == generate()


def test_check_mode_reports_a_hand_edit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_all(tmp_path, tmp_path / "alerting.json")
    edited = tmp_path / "en" / "utilities.json"
    edited.write_text(edited.read_text().replace("Water", "Wasser"))
    (tmp_path / "en" / "retired.json").write_text("{}")
    assert differences(tmp_path, tmp_path / "alerting.json") == ["en/retired.json", "en/utilities.json"]
    write_all(tmp_path, tmp_path / "alerting.json")
    assert differences(tmp_path, tmp_path / "alerting.json") == []
    assert not (tmp_path / "en" / "retired.json").exists()
    assert main(["--check"]) == 0


def test_every_dashboard_exists_in_both_languages() -> None:
    names = ("billing", "elevator-board", "elevators", "system", "utilities", "workorders")
    expected = [f"{lang.value}/{name}.json" for lang in Lang for name in names]
    assert sorted(BOARDS) == sorted(expected)


def test_uids_are_unique_and_fit_grafana() -> None:
    uids = [board["uid"] for board in BOARDS.values()]
    assert len(set(uids)) == len(uids)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid) for uid in uids)


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_panels_are_numbered_and_do_not_overlap(name: str) -> None:
    panels = BOARDS[name]["panels"]
    assert [p["id"] for p in panels] == list(range(1, len(panels) + 1))
    cells = []
    for panel in panels:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        cells.append({(pos["x"] + dx, pos["y"] + dy) for dx in range(pos["w"]) for dy in range(pos["h"])})
    assert all(not (a & b) for a, b in combinations(cells, 2))


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_every_influxql_query_is_bounded_by_the_time_range_and_uses_known_variables(name: str) -> None:
    board = BOARDS[name]
    defined = {v["name"] for v in board["templating"]["list"]} | GRAFANA_MACROS
    for query in [*influx_queries(board), *sql_queries(board)]:
        if query.dialect == "influxql" and not query.text.startswith("SHOW "):
            assert "$timeFilter" in query.text, query.where
        used = set(re.findall(r"\$(\w+)", query.text))
        assert used <= defined | SQL_MACROS, f"{query.where}: undefined {used - defined}"


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_panels_read_through_a_datasource_variable(name: str) -> None:
    variables = {v["name"]: v["query"] for v in BOARDS[name]["templating"]["list"] if v["type"] == "datasource"}
    for panel in _panels(BOARDS[name]):
        source = panel["datasource"]
        assert source["uid"] in {f"${{{name}}}" for name in variables}, panel["title"]
        assert variables[source["uid"][2:-1]] == source["type"], panel["title"]
        assert panel["targets"] and all(t["datasource"] == source for t in panel["targets"])


@pytest.mark.parametrize("dashboard", ["billing", "elevator-board", "elevators", "system", "utilities", "workorders"])
def test_languages_differ_only_in_text(dashboard: str) -> None:
    zh, en = BOARDS[f"zh-CN/{dashboard}.json"], BOARDS[f"en/{dashboard}.json"]
    assert [q.text for q in influx_queries(zh)] == [q.text for q in influx_queries(en)]
    assert len(list(sql_queries(zh))) == len(list(sql_queries(en)))
    assert [(p["type"], p["gridPos"]) for p in zh["panels"]] == [(p["type"], p["gridPos"]) for p in en["panels"]]
    for zh_panel, en_panel in zip(zh["panels"], en["panels"], strict=True):
        assert CJK.search(zh_panel["title"]), zh_panel["title"]
        assert not CJK.search(en_panel["title"]), en_panel["title"]
    for zh_var, en_var in zip(zh["templating"]["list"], en["templating"]["list"], strict=True):
        assert CJK.search(zh_var["label"]) and not CJK.search(en_var["label"])


def test_elevator_alarms_are_annotations_from_the_alarm_measurement() -> None:
    (alarms,) = [a for a in BOARDS["en/elevators.json"]["annotations"]["list"] if a.get("name") == "Elevator alarms"]
    assert 'FROM "alarm"' in alarms["query"] and alarms["target"]["query"] == alarms["query"]
    assert (alarms["titleColumn"], alarms["textColumn"]) == ("title", "text")
    assert set(alarms["tagsColumn"].split(",")) == {"rule", "severity", "state", "asset_id"}


def test_generated_files_are_the_ones_grafana_is_given() -> None:
    assert sorted(p.relative_to(GENERATED_DIR).as_posix() for p in GENERATED_DIR.glob("*/*.json")) == sorted(BOARDS)
