"""The README's demo command, for real: broker, hub, simulators and scheduled faults; a JSON summary at the end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.services import Mosquitto, make_server


def test_demo_summary_shows_readings_alarms_and_work_orders(tmp_path: Path) -> None:
    make_server(Mosquitto, tmp_path / "probe")  # the demo starts its own; this only makes CI insist on it
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITIES_")}
    env["FACILITIES_DATA_DIR"] = str(tmp_path / "var")
    result = subprocess.run(
        [sys.executable, "-m", "facilities", "demo", "--duration", "20"],
        capture_output=True, text=True, env=env, timeout=180, check=False,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout[result.stdout.index("\n{") :])
    assert summary["readings_stored"] > 500
    assert summary["dead_letters"] == 0
    # At 60×, 20 s is 20 simulated minutes: the entrapment scheduled at +5 min has raised its alarm,
    # opened a work order, and (10 minutes on) breached the elevator crew's on-site deadline.
    assert "elevator-entrapment B1-L2" in summary["open_alarms"]
    assert summary["alarms_raised"] >= 1
    assert summary["work_orders"] >= 1
    assert summary["sla_breaches"] >= 1
    # The crew was alerted over the demo broker (examples/alerts-demo.toml), and nothing failed to go out.
    assert summary["alerts"]["delivered"] >= 1
    assert summary["alerts"]["failed"] == 0
    # The community's patrol routes (examples/patrols.toml) are loaded; 10:00-10:20 may hold a round or not.
    assert isinstance(summary["patrols_due"], int) and summary["patrols_due"] >= 0
