"""The README's demo command, for real: broker, hub, simulators and scheduled faults; a JSON summary at the end."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.services import Mosquitto, make_server

ROOT = Path(__file__).resolve().parents[2]
SIMULATOR_PORTS = (5020, 5021, 5022)  # examples/site.toml: two Modbus lines and the DL/T 645 gateway


def run_demo(tmp_path: Path, seconds: int) -> tuple[str, dict[str, Any]]:
    make_server(Mosquitto, tmp_path / "probe")  # the demo starts its own; this only makes CI insist on it
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITIES_")}
    env["FACILITIES_DATA_DIR"] = str(tmp_path / "var")
    result = subprocess.run(
        [sys.executable, "-m", "facilities", "demo", "--duration", str(seconds)],
        capture_output=True, text=True, env=env, timeout=180, check=False, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return result.stdout, json.loads(result.stdout[result.stdout.index("\n{") :])


@contextmanager
def occupied(ports: tuple[int, ...]) -> Iterator[list[int]]:
    """Listen on the ports (those another program holds already count as taken too)."""
    with ExitStack() as stack:
        taken = []
        for port in ports:
            listener = stack.enter_context(socket.socket())
            try:
                listener.bind(("127.0.0.1", port))
            except OSError:
                continue  # someone else holds it: just as taken for the demo
            listener.listen()
            taken.append(port)
        yield taken


def test_demo_summary_shows_readings_alarms_and_work_orders(tmp_path: Path) -> None:
    stdout, summary = run_demo(tmp_path, 30)
    assert summary["readings_stored"] > 500
    assert summary["dead_letters"] == 0
    # At 60×, 30 s is 30 simulated minutes: the entrapment scheduled at +5 min has raised its alarm (cleared
    # again at +25 min), opened a work order, and (10 minutes on) breached the elevator crew's on-site deadline.
    assert summary["alarms_raised"] >= 2
    assert summary["work_orders"] >= 1
    assert summary["sla_breaches"] >= 1
    # The pump-room leak detector scheduled at +10 min (issue 19): an order for the plumbers.
    assert any("water-leak LEAK-PUMP-ROOM" in order for order in summary["work_orders_by_category"]["plumbing"])
    assert summary["planned_orders"] >= 1  # the example plans: what falls due in the next days opens at start
    # The crew was alerted over the demo broker (examples/alerts-demo.toml), and nothing failed to go out.
    assert summary["alerts"]["delivered"] >= 1
    assert summary["alerts"]["failed"] == 0
    # The community's patrol routes (examples/patrols.toml) are loaded; 10:00-10:20 may hold a round or not.
    assert isinstance(summary["patrols_due"], int) and summary["patrols_due"] >= 0
    # The weekday morning's crew (examples/alerts-demo.toml, as the README says), whatever day it is today.
    assert "王师傅 (wang)" in summary["entrapment_alerted"]
    assert "赵师傅 (zhao)" not in summary["entrapment_alerted"]
    # GARAGE-E falls silent at the start: four 5-minute intervals later (20 simulated minutes) it is an alarm.
    assert "silent-asset GARAGE-E" in summary["open_alarms"]
    # The hint writes the key to the demo's own database, not the hub's default var/facilities.db.
    hint = next(line for line in stdout.splitlines() if line.startswith("create an API key: "))
    assert f"sqlite:///{tmp_path / 'var' / 'demo' / 'facilities.db'}" in hint


def test_the_demo_goes_on_when_the_simulators_ports_are_taken(tmp_path: Path) -> None:
    with occupied(SIMULATOR_PORTS) as taken:
        if not taken:
            pytest.skip("could not take any of the simulators' ports")
        stdout, summary = run_demo(tmp_path, 12)
    reported = [line for line in stdout.splitlines() if "are not simulated (the demo goes on without them)" in line]
    assert any(line.startswith("Modbus meters") for line in reported) or 5022 in taken
    assert len(reported) >= 1
    # The summary is still printed; the MQTT devices and the entrapment's story do not need the polled meters.
    assert summary["readings_stored"] > 100
    assert summary["dead_letters"] == 0
    assert "elevator-entrapment B1-L2" in summary["open_alarms"]
