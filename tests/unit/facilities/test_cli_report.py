"""`facilities report monthly`: both files written for a month, a bad month named."""

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
    monkeypatch.setenv("FACILITIES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FACILITIES_DATABASE_URL", f"sqlite:///{tmp_path}/facilities.db")
    monkeypatch.delenv("FACILITIES_INFLUX_URL", raising=False)


def test_the_month_is_written_as_pdf_and_excel(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "monthly", "--period", "2026-11"])
    assert result.exit_code == 0, result.output
    pdf, xlsx = (tmp_path / "data" / "reports" / f"lakeview-2026-11{suffix}" for suffix in (".pdf", ".xlsx"))
    assert pdf.read_bytes().startswith(b"%PDF") and xlsx.read_bytes().startswith(b"PK")
    assert result.output.split() == [str(pdf), str(xlsx)]
    assert not list((tmp_path / "data" / "reports").glob("*.part"))


def test_a_bad_period_is_named() -> None:
    result = CliRunner().invoke(app, ["report", "monthly", "--period", "2026-13"])
    assert result.exit_code == 2 and "period '2026-13' is not a month like 2026-11" in result.output
