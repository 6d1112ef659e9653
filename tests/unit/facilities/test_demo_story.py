"""The demo's story holds on any day, its simulators' failures are one line, and its key hint names its database."""

from __future__ import annotations

import os
import shlex
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from alerts.loading import load_alerts
from alerts.routing import Routing
from core.site_loader import load_site
from facilities.demo import DEMO_ALERTS, DEMO_FAULTS, demo_start
from facilities.demo_support import key_hint, start_or_report

ROOT = Path(__file__).resolve().parents[3]
SITE = load_site(ROOT / "examples" / "site.toml")
ZONE = ZoneInfo(SITE.info.timezone)


@pytest.mark.parametrize("day", range(7))
@pytest.mark.parametrize("hour", [0, 9, 10, 15, 23])
def test_the_demo_morning_is_a_weekday_at_ten_whatever_day_it_is_run(day: int, hour: int) -> None:
    now = datetime(2026, 11, 30, hour, 30, tzinfo=ZONE) + timedelta(days=day)  # 2026-11-30 is a Monday
    start = demo_start(SITE, now).astimezone(ZONE)
    assert start.weekday() < 5, start
    assert (start.hour, start.minute) == (10, 0)
    assert start <= now < start + timedelta(days=4)  # the latest such morning: at most Friday → Monday


@pytest.mark.parametrize("day", range(7))
def test_the_entrapment_alert_goes_to_the_readme_s_crew_on_any_weekday(day: int) -> None:
    routing = Routing(load_alerts(ROOT / DEMO_ALERTS), timezone=SITE.info.timezone)
    now = datetime(2026, 11, 30, 12, tzinfo=ZONE) + timedelta(days=day)
    start = demo_start(SITE, now)
    entrapment = next(parse for kind, _, parse, _ in DEMO_FAULTS if kind == "entrapment")
    for minutes in (int(entrapment.strip("+m")), 30, 60):
        on_call = [m.id for m in routing.on_call("elevator-crew", start + timedelta(minutes=minutes))]
        assert on_call == ["wang", "li"], (now, on_call)


def test_a_saturday_alone_would_page_other_crew() -> None:
    """The check above can fail: on a Saturday morning the weekend shift is on call."""
    routing = Routing(load_alerts(ROOT / DEMO_ALERTS), timezone=SITE.info.timezone)
    saturday = datetime(2026, 12, 5, 10, 5, tzinfo=ZONE)
    assert [m.id for m in routing.on_call("elevator-crew", saturday)] == ["li", "zhao"]


def test_the_silent_meter_is_one_the_demo_publishes_and_fires_within_a_minute_of_demo() -> None:
    _kind, asset, start, _ = next(f for f in DEMO_FAULTS if f[0] == "meter_silent")
    meter = SITE.meters[asset]
    assert meter.binding.protocol == "mqtt"  # the devices' simulator is what falls silent
    fires_after = timedelta(seconds=max(4 * meter.expected_interval_s, 300)) + timedelta(minutes=int(start[1:-1]))
    assert fires_after <= timedelta(minutes=30)  # 30 s of the demo at 60×


class Refuses:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def start(self) -> None:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [OSError(98, "Address already in use"), RuntimeError("the Modbus simulator could not start:\n port 5020"),
     ValueError(""), KeyError("x")],
)  # fmt: skip
def test_any_simulator_start_failure_is_one_line_and_no_raise(error: Exception) -> None:
    lines: list[str] = []
    assert start_or_report("Modbus meters", lambda: Refuses(error), lines.append) is None
    assert len(lines) == 1 and "\n" not in lines[0]
    assert lines[0].startswith("Modbus meters are not simulated")


def test_a_failure_to_make_the_simulator_is_reported_too() -> None:
    lines: list[str] = []

    def make() -> Refuses:
        raise RuntimeError("bad site")

    assert start_or_report("DL/T 645 meters", make, lines.append) is None
    assert lines == ["DL/T 645 meters are not simulated (the demo goes on without them): bad site"]


def test_a_started_simulator_is_returned() -> None:
    class Fine:
        started = False

        def start(self) -> None:
            self.started = True

    lines: list[str] = []
    simulator = start_or_report("Modbus meters", Fine, lines.append)
    assert simulator is not None and simulator.started and lines == []


def test_the_key_hint_writes_the_key_where_the_demo_api_reads_it(tmp_path: Path) -> None:
    demo_db = tmp_path / "var" / "demo" / "facilities.db"
    demo_db.parent.mkdir(parents=True)
    hint = key_hint(demo_db)

    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITIES_")}
    words = shlex.split(hint)
    while "=" in words[0]:
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    assert words[:3] == ["facilities", "keys", "create"]
    result = subprocess.run(
        [sys.executable, "-m", "facilities", *words[1:]], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    with sqlite3.connect(demo_db) as conn:
        assert conn.execute("SELECT role, name FROM api_keys").fetchall() == [("admin", "demo")]
    assert not (tmp_path / "var" / "facilities.db").exists()  # not the hub's default database


def test_without_its_own_database_the_hint_is_the_plain_command() -> None:
    assert key_hint(None) == "facilities keys create --role admin --name demo"
