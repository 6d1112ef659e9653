"""The hub's maintenance wiring: loaded when the file exists, off when not, and alarms reach condition tasks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.config_files import ConfigError
from core.settings import Settings
from core.site_loader import load_site
from facilities.maintenance_wiring import build_maintenance, condition_trigger
from rules.events import AlarmCleared, AlarmRaised

ROOT = Path(__file__).resolve().parents[3]
SITE = load_site(ROOT / "examples/site.toml")


def test_the_example_file_is_loaded_with_photos_under_the_data_folder(tmp_path: Path) -> None:
    settings = Settings(maintenance_file=ROOT / "examples/maintenance.toml", data_dir=tmp_path, photos_max_mb=2)
    runtime = build_maintenance(settings, SITE, None)
    assert runtime is not None and len(runtime.maintenance.tasks) == 51
    assert runtime.photos.max_bytes == 2 * 1024 * 1024


def test_no_file_means_no_maintenance_and_a_broken_one_stops_the_hub(tmp_path: Path) -> None:
    assert build_maintenance(Settings(maintenance_file=None), SITE, None) is None
    with pytest.raises(ConfigError, match="cannot read the maintenance file"):
        build_maintenance(Settings(maintenance_file=tmp_path / "none.toml"), SITE, None)
    broken = tmp_path / "m.toml"
    broken.write_text("[[use]]\nname = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"m.toml: use\[0\].name"):
        build_maintenance(Settings(maintenance_file=broken), SITE, None)


class Recorder:
    """Our own stand-in for the planner: records what it is asked, fails when told to."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail = fail

    def on_alarm(self, **kw: Any) -> list[str]:
        self.calls.append(kw)
        if self.fail:
            raise RuntimeError("database down")
        return []


def _raised() -> Any:
    return AlarmRaised.__new__(AlarmRaised)


def test_a_raised_alarm_reaches_the_planner_and_a_failure_is_logged_not_raised(caplog: Any) -> None:
    event = _raised()
    object.__setattr__(event, "rule_id", "elevator-vibration")
    object.__setattr__(event, "asset_id", "B1-L1")
    object.__setattr__(event, "raised_at", datetime(2026, 5, 1, tzinfo=UTC))
    planner = Recorder()
    condition_trigger(planner)(event)  # type: ignore[arg-type]
    condition_trigger(planner)(AlarmCleared.__new__(AlarmCleared))  # type: ignore[arg-type]
    assert planner.calls == [{"rule_id": "elevator-vibration", "asset_id": "B1-L1",
                              "raised_at": datetime(2026, 5, 1, tzinfo=UTC)}]  # fmt: skip
    failing = Recorder(fail=True)
    condition_trigger(failing)(event)  # type: ignore[arg-type]
    assert "condition-based maintenance for elevator-vibration on B1-L1 failed" in caplog.text
