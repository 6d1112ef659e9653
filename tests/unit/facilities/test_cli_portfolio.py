"""`facilities portfolio check`: the example company's three sites valid with every file; a site's own file
refused under its name, and a portfolio file refused before any site is read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from facilities.cli import app

PORTFOLIO = Path(__file__).parents[3] / "examples" / "portfolio"


@pytest.fixture(autouse=True)
def _settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FACILITIES_SITE_FILE", raising=False)
    monkeypatch.delenv("FACILITIES_PORTFOLIO_FILE", raising=False)


@pytest.mark.parametrize("name", ["portfolio.toml", "folder.toml"])
def test_the_example_company_is_valid_with_every_file(name: str) -> None:
    result = CliRunner().invoke(app, ["portfolio", "check", "--file", str(PORTFOLIO / name)])

    assert result.exit_code == 0, result.output
    assert sorted(result.output.splitlines()[:3]) == [
        "harbour: 海港苑 Harbour Court (Asia/Hong_Kong): 1 buildings, 48 units, 97 meters; "
        "files: site, alerts, billing",
        "lakeview: 湖景花園 Lakeview Gardens (Asia/Shanghai): 2 buildings, 120 units, 366 meters; "
        "files: site, alerts, billing, maintenance, patrols",
        "tianshan: 天山雅苑 Tianshan Gardens (Asia/Urumqi): 2 buildings, 24 units, 73 meters; files: site, patrols",
    ]
    assert result.output.splitlines()[3] == (
        f"{PORTFOLIO / name}: 湖景物业 Lakeview Property Services: 3 sites, every file valid"
    )


def test_the_portfolio_file_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACILITIES_PORTFOLIO_FILE", str(PORTFOLIO / "portfolio.toml"))
    assert CliRunner().invoke(app, ["portfolio", "check"]).exit_code == 0
    monkeypatch.delenv("FACILITIES_PORTFOLIO_FILE")
    result = CliRunner().invoke(app, ["portfolio", "check"])
    assert result.exit_code == 2
    assert "no portfolio file: pass --file or set FACILITIES_PORTFOLIO_FILE" in result.output


def test_each_sites_own_files_are_checked_against_that_site(tmp_path: Path) -> None:
    company = tmp_path / "company"
    shutil.copytree(PORTFOLIO, company)
    # Harbour's tariffs lose electricity; Tianshan's patrol names an area Lakeview has, not Tianshan.
    billing = company / "harbour" / "billing.toml"
    billing.write_text(billing.read_text(encoding="utf-8").replace('utility = "electricity"', 'utility = "gas"'))
    patrols = company / "tianshan" / "patrols.toml"
    patrols.write_text(patrols.read_text(encoding="utf-8").replace('area = "boiler-room"', 'area = "pump-room"'))

    result = CliRunner().invoke(app, ["portfolio", "check", "--file", str(company / "portfolio.toml")])

    assert result.exit_code == 2
    assert len([line for line in result.output.splitlines() if line.startswith(("lakeview:", "harbour:"))]) == 2
    unpriced = f"{billing}: tariffs: site harbour has 48 electricity meters in units but no tariff prices them"
    assert unpriced in result.output
    assert f"{patrols}: checkpoints[0].area: no area 'pump-room' in the site" in result.output
    assert "every file valid" not in result.output


def test_a_broken_portfolio_file_is_named_before_any_site(tmp_path: Path) -> None:
    bad = tmp_path / "portfolio.toml"
    bad.write_text('[company]\nname = "x"\n[[sites]]\nsite_file = "../site.toml"\n', encoding="utf-8")

    result = CliRunner().invoke(app, ["portfolio", "check", "--file", str(bad)])

    assert result.exit_code == 2
    assert f"{bad}: sites[0].site_file: '../site.toml' is outside the portfolio's folder" in result.output


def test_a_one_site_command_under_a_portfolio_asks_which_site(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACILITIES_PORTFOLIO_FILE", str(PORTFOLIO / "portfolio.toml"))

    result = CliRunner().invoke(app, ["config", "check"])

    assert result.exit_code == 2
    assert "names a company's sites; this command works on one: pass --site" in result.output
    chosen = CliRunner().invoke(app, ["config", "check", "--site", str(PORTFOLIO / "harbour" / "site.toml")])
    assert chosen.exit_code == 0 and "site harbour (海港苑 Harbour Court)" in chosen.output
