"""`facilities patrols`: the routes file checked with its mistakes named, the label sheet written, a month exported."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from facilities.cli import app

EXAMPLES = Path(__file__).parents[3] / "examples"


@pytest.fixture(autouse=True)
def _settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FACILITIES_SITE_FILE", str(EXAMPLES / "site.toml"))
    monkeypatch.setenv("FACILITIES_PATROLS_FILE", str(EXAMPLES / "patrols.toml"))
    monkeypatch.setenv("FACILITIES_DATABASE_URL", f"sqlite:///{tmp_path}/facilities.db")


def test_check_lists_the_routes() -> None:
    result = CliRunner().invoke(app, ["patrols", "check"])
    assert result.exit_code == 0, result.output
    assert "manager-daily: 经理每日巡查 Manager's daily round (manager, every 24 h): B1-COR → B2-COR" in result.output


def test_a_mistake_in_the_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "patrols.toml"
    bad.write_text(
        (EXAMPLES / "patrols.toml").read_text(encoding="utf-8").replace('area = "pump-room"', 'area = "boiler"')
    )
    result = CliRunner().invoke(app, ["patrols", "check", "--file", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: checkpoints[0].area: no area 'boiler' in the site" in result.output


def test_labels_and_export_write_their_files(tmp_path: Path) -> None:
    pdf, csv = tmp_path / "labels.pdf", tmp_path / "patrols.csv"
    result = CliRunner().invoke(app, ["patrols", "labels", "--out", str(pdf), "--route", "repair-plant"])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF") and "3 labels" in result.output
    result = CliRunner().invoke(app, ["patrols", "export", "--month", "2026-11", "--out", str(csv)])
    assert result.exit_code == 0, result.output
    assert csv.read_text(encoding="utf-8").startswith("\ufeffpatrol_id,route,")
    result = CliRunner().invoke(app, ["patrols", "export", "--month", "11/2026", "--out", str(csv)])
    assert result.exit_code == 2 and "is not a month like 2026-11" in result.output


def test_without_a_patrols_file_the_command_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FACILITIES_PATROLS_FILE")
    result = CliRunner().invoke(app, ["patrols", "check"])
    assert result.exit_code == 2 and "pass --file or set FACILITIES_PATROLS_FILE" in result.output
