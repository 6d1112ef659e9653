"""`facilities billing meters replace|read|list`: a swap and manual readings (抄表) entered from the shell and
billed; hostile input refused with one line naming the option."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from billing.service import list_statements
from facilities.cli import app
from storage.database import make_engine, session_factory
from tests.unit.billing.sample import BILLING_TOML, OCTOBER, SITE_TOML, D

runner = CliRunner()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    (tmp_path / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    (tmp_path / "billing.toml").write_text(BILLING_TOML, encoding="utf-8")
    monkeypatch.setenv("FACILITIES_DATABASE_URL", f"sqlite:///{tmp_path}/f.db")
    monkeypatch.setenv("FACILITIES_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FACILITIES_BILLING_FILE", str(tmp_path / "billing.toml"))
    return ["--site", str(tmp_path / "site.toml")]


def meters(*args: str) -> list[str]:
    return ["billing", "meters", *args]


def test_manual_readings_and_a_swap_are_billed(site: list[str], tmp_path: Path) -> None:
    # W-0101 cannot report: the service centre reads it by hand at each boundary (and on 1 January).
    for at, value in (("2025-12-31T23:50:00+08:00", "50"), ("2026-09-30T23:50:00+08:00", "250")):
        done = runner.invoke(app, meters("read", "--meter", "W-0101", "--at", at, "--value", value, *site))
        assert done.exit_code == 0, done.output
    end = ["--at", "2026-10-31T23:50:00+08:00"]
    # The gas meter was swapped on 20 October; it cannot report either.
    for at, value in (("2026-09-30T23:50:00+08:00", "500"), ("2026-10-31T23:50:00+08:00", "25")):
        assert (
            runner.invoke(app, meters("read", "--meter", "G-0101", "--at", at, "--value", value, *site)).exit_code == 0
        )
    swap = runner.invoke(
        app,
        meters(
            "replace", "--meter", "G-0101", "--at", "2026-10-20T10:00:00+08:00", "--old-final", "540",
            "--new-initial", "0", "--note", "WO-20261020-0001", "--by", "clerk 王", *site,
        ),
    )  # fmt: skip
    assert swap.exit_code == 0, swap.output
    assert "G-0101 swapped at 2026-10-20T10:00:00+08:00: old final 540, new initial 0" in swap.output
    done = runner.invoke(app, meters("read", "--meter", "W-0101", *end, "--value", "280", "--note", "月底抄表", *site))
    assert done.output.strip() == "W-0101 read 280 at 2026-10-31T23:50:00+08:00"
    listed = runner.invoke(app, meters("list", *site)).output
    assert "swap    G-0101" in listed and "WO-20261020-0001" in listed
    assert "reading W-0101         2026-10-31T15:50:00+00:00  280" in listed and "月底抄表" in listed

    assert runner.invoke(app, ["billing", "run", "--period", "2026-10", *site]).exit_code == 0
    sessions = session_factory(make_engine(f"sqlite:///{tmp_path}/f.db"))
    lines = {line.meter_id: line for s in list_statements(sessions, "test-site", OCTOBER) for line in s.lines}
    # water 280 - 250 = 30 m³ after 200 this year: 16 × 2.90 + 14 × 3.85 = 100.30
    assert (lines["W-0101"].consumption, lines["W-0101"].amount) == (D("30.000"), D("100.30"))
    # gas (540 - 500) + (25 - 0) = 65 m³: 15/31 → 31.452 × 3.00 = 94.36; 33.548 × 3.30 = 110.71; 205.07
    assert (lines["G-0101"].consumption, lines["G-0101"].amount) == (D("65.000"), D("205.07"))
    assert [r.note for r in lines["G-0101"].replacements] == ["WO-20261020-0001"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["read", "--meter", "NOPE", "--at", "2026-10-01T00:00:00+08:00", "--value", "1"], "no meter 'NOPE'"),
        (
            ["read", "--meter", "W-0101", "--at", "2026-10-01T00:00:00", "--value", "1"],
            "--at '2026-10-01T00:00:00': give the zone",
        ),
        (["read", "--meter", "W-0101", "--at", "yesterday", "--value", "1"], "--at 'yesterday': not a time"),
        (["read", "--meter", "W-0101", "--at", "2999-01-01T00:00:00+08:00", "--value", "1"], "is in the future"),
        (
            ["read", "--meter", "W-0101", "--at", "2026-10-01T00:00:00+08:00", "--value", "-3"],
            "value must be a register value ≥ 0",
        ),
        (
            ["read", "--meter", "W-0101", "--at", "2026-10-01T00:00:00+08:00", "--value", "NaN"],
            "value must be a register value ≥ 0",
        ),
        (
            ["read", "--meter", "W-0101", "--at", "2026-10-01T00:00:00+08:00", "--value", "12a"],
            "--value '12a': not a number",
        ),
        (
            ["read", "--meter", "G-0101", "--at", "2026-10-01T00:00:00+08:00", "--value", "10000"],
            "above meter G-0101's register maximum 9999",
        ),
        (
            [
                "replace",
                "--meter",
                "G-0101",
                "--at",
                "2026-10-01T00:00:00+08:00",
                "--old-final",
                "5",
                "--new-initial",
                "-1",
            ],
            "new_initial must be a register value ≥ 0",
        ),
    ],
)
def test_hostile_input_is_one_line(site: list[str], args: list[str], message: str) -> None:
    result = runner.invoke(app, meters(*args, *site))
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
