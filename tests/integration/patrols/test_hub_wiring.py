"""The hub as `facilities run` builds it: the patrols file loaded for the console and the checks, a supervisor
team the alerts file lacks refused, and last month's report written on the 1st."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.clock import FakeClock
from core.config_files import ConfigError
from core.settings import Settings
from core.site_loader import load_site
from facilities.bootstrap import bootstrap

EXAMPLES = Path(__file__).parents[3] / "examples"


def settings(tmp_path: Path, **kw: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path / "data", "database_url": f"sqlite:///{tmp_path}/facilities.db",
        "alerts_file": EXAMPLES / "alerts-demo.toml", "patrols_file": EXAMPLES / "patrols.toml",
    }  # fmt: skip
    return Settings(**{**values, **kw})  # type: ignore[arg-type]


def test_the_hub_loads_the_routes_and_writes_last_months_report(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 12, 1, 4, tzinfo=ZoneInfo("Asia/Shanghai")))
    hub = bootstrap(settings(tmp_path), site=load_site(EXAMPLES / "site.toml"), clock=clock)
    try:
        assert set(hub.patrols.routes) == {"manager-daily", "repair-plant", "security-night"}
        assert hub.console is not None and hub.console.patrols is hub.patrols and hub.console.photos is not None
        hub.write_monthly_report()
    finally:
        hub.stop()
    reports = tmp_path / "data" / "reports"
    assert sorted(path.name for path in reports.iterdir()) == ["lakeview-2026-11.pdf", "lakeview-2026-11.xlsx"]


def test_a_supervisor_team_the_alerts_file_lacks_stops_the_hub(tmp_path: Path) -> None:
    patrols = tmp_path / "patrols.toml"
    text = (EXAMPLES / "patrols.toml").read_text(encoding="utf-8")
    patrols.write_text(text.replace('supervisor_team = "supervisors"', 'supervisor_team = "night-shift"'))
    with pytest.raises(ConfigError, match="supervisor_team: no team 'night-shift' in the alerts file"):
        bootstrap(settings(tmp_path, patrols_file=patrols), site=load_site(EXAMPLES / "site.toml"))
