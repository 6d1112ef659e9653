from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from core.durations import parse_span as parse_duration
from facilities.cli import app

runner = CliRunner()


def command_paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in group.commands.items():
        paths.append((*prefix, name))
        if hasattr(command, "commands"):  # a group of sub-commands (typer vendors its own click)
            paths.extend(command_paths(command, (*prefix, name)))
    return paths


COMMANDS = command_paths(typer.main.get_command(app))


def test_the_cli_has_the_commands_the_readme_names() -> None:
    assert {("ingest",), ("demo",), ("config", "check"), ("readings", "latest"), ("readings", "history"),
            ("deadletters", "list")} <= set(COMMANDS)  # fmt: skip


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert len(result.output.splitlines()) > 3


def test_config_check_names_the_bad_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "site.toml"
    bad.write_text('[site]\nid = "x"\nname = "X"\nflavour = "odd"\n[[buildings]]\nid = "B1"\nfloors = 2\n')
    result = runner.invoke(app, ["config", "check", "--site", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: site.flavour: unknown key" in result.output


def test_config_check_resolves_modbus_profiles_as_run_does(tmp_path, example_site_path) -> None:  # type: ignore[no-untyped-def]
    good = runner.invoke(app, ["config", "check", "--site", str(example_site_path)])
    assert good.exit_code == 0, good.output
    assert "5 polled devices" in good.output  # 2 Modbus and 3 DL/T 645 meters in the example community
    bad = tmp_path / "site.toml"
    bad.write_text(example_site_path.read_text(encoding="utf-8").replace('"eastron_sdm630"', '"eastron_sdm999"', 1))
    result = runner.invoke(app, ["config", "check", "--site", str(bad)])
    assert result.exit_code == 2
    assert "unknown device profile 'eastron_sdm999'" in result.output and "asset '" in result.output


@pytest.mark.parametrize(("text", "expected"), [("90m", timedelta(minutes=90)), ("7d", timedelta(days=7))])
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "h", "0h", "1.5h", "10w", "-1h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="positive whole number"):
        parse_duration(text)


def test_keys_create_prints_a_key_once_and_refuses_unknown_roles(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FACILITIES_DATABASE_URL", f"sqlite:///{tmp_path}/f.db")
    created = runner.invoke(app, ["keys", "create", "--role", "crew", "--name", "crew-phone-zhang"])
    assert created.exit_code == 0, created.output
    assert created.output.startswith("fac_") and len(created.output.strip()) == 47
    refused = runner.invoke(app, ["keys", "create", "--role", "boss", "--name", "x"])
    assert refused.exit_code == 2
    assert "unknown role 'boss'; use one of admin, staff, crew, fee_module" in refused.output


def test_alarms_list_on_a_fresh_database(tmp_path, monkeypatch, example_site_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FACILITIES_DATABASE_URL", f"sqlite:///{tmp_path}/f.db")
    result = runner.invoke(app, ["alarms", "list", "--site", str(example_site_path)])
    assert result.exit_code == 0, result.output
    assert "0 alarms firing at site lakeview" in result.output


def test_dashboards_are_current() -> None:
    result = runner.invoke(app, ["dashboards", "generate", "--check"])
    assert result.exit_code == 0, result.output
    assert "dashboards are up to date" in result.output


def test_billing_run_without_readings_flags_every_line_never_bills_zero(  # type: ignore[no-untyped-def]
    tmp_path, monkeypatch, example_site_path
) -> None:
    monkeypatch.setenv("FACILITIES_DATABASE_URL", f"sqlite:///{tmp_path}/f.db")
    monkeypatch.setenv("FACILITIES_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FACILITIES_BILLING_FILE", str(example_site_path.parent / "billing.toml"))
    site = ["--site", str(example_site_path)]
    ran = runner.invoke(app, ["billing", "run", "--period", "2026-10", *site])
    assert ran.exit_code == 0, ran.output
    assert '"counts": {"created": 120}' in ran.output
    held = runner.invoke(app, ["billing", "finalize", "--period", "2026-10", *site])
    assert "0 statements final, 120 held for review" in held.output
    out = tmp_path / "october.csv"
    exported = runner.invoke(app, ["billing", "export", "--period", "2026-10", "--out", str(out), *site])
    assert exported.exit_code == 0, exported.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    bad = runner.invoke(app, ["billing", "run", "--period", "2026-13", *site])
    assert bad.exit_code == 2
    monkeypatch.delenv("FACILITIES_BILLING_WEBHOOK_URL", raising=False)
    unset = runner.invoke(app, ["billing", "push", "--period", "2026-10", *site])
    assert unset.exit_code == 2
    assert "set FACILITIES_BILLING_WEBHOOK_URL" in unset.output
