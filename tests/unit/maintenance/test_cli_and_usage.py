"""`facilities maintenance validate|due|completion` and the usage counting rules (run hours, trips, doors)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from facilities.cli import app
from maintenance.config import UsageMeasure
from maintenance.usage import MAX_GAP, increments
from storage.store import Sample

ROOT = Path(__file__).resolve().parents[3]
runner = CliRunner()
T = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FACILITIES_SITE_FILE", str(ROOT / "examples/site.toml"))
    monkeypatch.setenv("FACILITIES_MAINTENANCE_FILE", str(ROOT / "examples/maintenance.toml"))
    monkeypatch.setenv("FACILITIES_ALERTS_FILE", str(ROOT / "examples/alerts.toml"))
    monkeypatch.setenv("FACILITIES_DATABASE_URL", f"sqlite:///{tmp_path}/f.db")


def test_validate_summarises_the_example_and_names_what_to_verify() -> None:
    result = runner.invoke(app, ["maintenance", "validate"])
    assert result.exit_code == 0, result.output
    assert "6 plans, 51 asset tasks" in result.output and "quoted from memory" in result.output
    assert "PUMP-1 has no run_circuit" in result.output


def test_validate_fails_with_the_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "m.toml"
    bad.write_text('[[use]]\nname = "elevator"\ncontractor = "ghost"\n', encoding="utf-8")
    result = runner.invoke(app, ["maintenance", "validate", "--file", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: use[0].tasks[0].contractor: unknown contractor ghost" in result.output


def test_due_lists_the_next_visits_and_the_inspections_on_working_days() -> None:
    result = runner.invoke(app, ["maintenance", "due", "--from", "2026-12-01", "--days", "31"])
    assert result.exit_code == 0, result.output
    assert "statutory inspection due · B2-L1 · certificate TSX-2025-1221" in result.output
    assert "半月维护保养 · 2号楼1号梯 (B2-L1) · 迅达电梯维保（示例）" in result.output
    bad = runner.invoke(app, ["maintenance", "due", "--from", "tomorrow"])
    assert bad.exit_code == 2 and "is not a date" in bad.output


def test_completion_of_an_empty_month_and_a_bad_period() -> None:
    result = runner.invoke(app, ["maintenance", "completion", "--period", "2026-10"])
    assert result.exit_code == 0, result.output
    assert "2026-10: 0 due, 0 on time (-)" in result.output
    assert runner.invoke(app, ["maintenance", "completion", "--period", "2026-13"]).exit_code == 2


def test_run_hours_count_only_while_on_and_cap_silences() -> None:
    samples = [Sample(T, True), Sample(T + timedelta(minutes=30), True), Sample(T + timedelta(hours=1), False),
               Sample(T + timedelta(hours=2), True), Sample(T + timedelta(hours=12), False)]  # fmt: skip
    hours = increments(UsageMeasure.RUN_HOURS, None, samples)
    assert hours == pytest.approx(0.5 + 0.5 + MAX_GAP.total_seconds() / 3600)


def test_trips_and_doors_count_transitions_only() -> None:
    states = [Sample(T + timedelta(seconds=i), v) for i, v in enumerate(["moving", "moving", "idle", "moving"])]
    assert increments(UsageMeasure.TRIPS, Sample(T, "idle"), states) == 2
    assert increments(UsageMeasure.TRIPS, Sample(T, "moving"), states) == 1
    doors = [Sample(T + timedelta(seconds=i), v) for i, v in enumerate(["open", "closed", "closed", "open", "stuck"])]
    assert increments(UsageMeasure.DOOR_CYCLES, None, doors) == 1
