"""`facilities run` stops gracefully on SIGTERM: after uvicorn has stopped serving, the hub's own stop runs
(collectors, rules, alerts, writer, spool) and the process exits 0 — uvicorn re-raises the signal it caught, which
with the default handler killed the process before the hub's stop."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_SITE
from tests.support.hub_process import hub_env
from tests.support.services import Mosquitto, free_port, wait_until

pytestmark = pytest.mark.e2e


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (a local http URL)
            return True
    except OSError as exc:
        return getattr(exc, "code", None) is not None  # an HTTP error status: it is serving


def test_sigterm_stops_the_hub_gracefully_and_exits_zero(tmp_path: Path, mosquitto: Mosquitto) -> None:
    port = free_port()
    env = hub_env(tmp_path, site_file=EXAMPLE_SITE, mqtt_url=mosquitto.url, port=port)
    log = tmp_path / "hub.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "facilities", "run"], env=env, stdout=out, stderr=out)
        try:
            wait_until(lambda: answers(f"http://127.0.0.1:{port}/health/live"), "the hub's API", 60)
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert code == 0, log.read_text(errors="replace")[-3000:]
