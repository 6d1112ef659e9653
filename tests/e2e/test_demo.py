"""The README's demo command, for real: private broker and InfluxDB, simulated community, values printed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support.services import Influxd, Mosquitto, make_server


def test_demo_runs_rounds_and_prints_stored_values(tmp_path: Path) -> None:
    # The demo starts its own servers; these calls only make a missing binary skip/fail like other tests.
    make_server(Mosquitto, tmp_path / "probe-m")
    make_server(Influxd, tmp_path / "probe-i")
    env = {**os.environ, "FACILITIES_DATA_DIR": str(tmp_path / "var")}
    result = subprocess.run(
        [sys.executable, "-m", "facilities", "demo", "--rounds", "2", "--interval", "0.2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "round 2: published 373; stored 746 in total, 0 dead letters" in result.stdout
    totals = re.findall(r"B1-0101-E @ \S+: total=([\d.]+)", result.stdout)
    assert len(totals) == 2
    assert float(totals[1]) >= float(totals[0]) > 0
