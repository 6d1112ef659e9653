"""`facilities devices adopt` writes the site file and reloads the running `facilities run`: by SIGHUP through the
hub's pid file when no key is given, through `POST /admin/reload` with an admin key. The adopted devices are then
known to the hub, and a third-party meter's readings on its topic land (the new subscription is live)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import paho.mqtt.publish as publish
import pytest

from tests.conftest import EXAMPLE_SITE
from tests.support.hub_process import hub_env
from tests.support.services import Mosquitto, free_port, wait_until

pytestmark = pytest.mark.e2e


def get(url: str, key: str) -> Any:
    request = urllib.request.Request(url, headers={"X-API-Key": key})  # noqa: S310 (a local http URL)
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:  # noqa: S310
            return json.loads(reply.read())
    except OSError:
        return None


def facilities(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "facilities", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_adopting_from_the_cli_reloads_the_running_hub(tmp_path: Path, mosquitto: Mosquitto) -> None:
    site_file = tmp_path / "site.toml"
    shutil.copy(EXAMPLE_SITE, site_file)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = hub_env(tmp_path, site_file=site_file, mqtt_url=mosquitto.url, port=port)
    log = tmp_path / "hub.log"
    with log.open("wb") as out:
        hub = subprocess.Popen([sys.executable, "-m", "facilities", "run"], env=env, stdout=out, stderr=out)
        try:
            created = facilities(env, "keys", "create", "--role", "admin", "--name", "ops")
            key = next(line for line in created.stdout.splitlines() if line.startswith("fac_"))
            wait_until(lambda: get(f"{base}/devices?limit=500", key) is not None, "the hub's API", 60)

            def device_ids() -> set[str]:
                page = get(f"{base}/devices?limit=500", key) or {"items": []}
                return {device["asset_id"] for device in page["items"]}

            assert "leak-b1-new" not in device_ids()

            by_signal = facilities(env, "devices", "adopt", "leak-b1-new", "--kind", "water_leak", "--area", "B1-lobby")
            assert by_signal.returncode == 0, by_signal.stderr
            assert f"sent SIGHUP to the hub (pid {hub.pid})" in by_signal.stdout
            wait_until(lambda: "leak-b1-new" in device_ids(), "the adopted leak detector in /devices", 30)

            args = ["PUMP-X", "--kind", "electricity", "--area", "B1-lobby", "--topic", "tele/pump_x/SENSOR"]
            by_api = facilities(env, "devices", "adopt", *args, "--path", "ENERGY.Total", "--key", key, "--url", base)
            assert by_api.returncode == 0, by_api.stderr
            assert "reloaded: added PUMP-X" in by_api.stdout and "subscribed" in by_api.stdout
            assert "PUMP-X" in device_ids()

            payload = json.dumps({"Time": "2026-12-06T10:00:00", "ENERGY": {"Total": 812.345}})
            publish.single("tele/pump_x/SENSOR", payload, qos=1, hostname="127.0.0.1", port=mosquitto.port)

            def total() -> object:
                latest = get(f"{base}/assets/PUMP-X/readings/latest", key) or {}
                return latest.get("fields", {}).get("total")

            wait_until(lambda: total() == 812.345, "PUMP-X's reading through its new subscription", 30)

            refused = facilities(env, "devices", "adopt", "PUMP-Y", "--kind", "electricity", "--area", "nowhere")
            assert refused.returncode == 2 and "unchanged" in refused.stderr
            assert "PUMP-Y" not in device_ids()
        finally:
            hub.terminate()
            code = hub.wait(timeout=60)
    assert code == 0, log.read_text(errors="replace")[-3000:]
    assert not (tmp_path / "data" / "hub.pid").exists()
