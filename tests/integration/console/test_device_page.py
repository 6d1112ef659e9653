"""A device's console page: the last value and time of each field, also when fields come in separate messages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.reading import Reading
from storage.points import to_point
from tests.support.console_rig import PASSWORD, ConsoleRig, console_rig, login_data

pytestmark = pytest.mark.integration


def signed_in(rig: ConsoleRig, username: str = "wang") -> TestClient:
    client = TestClient(rig.app, base_url="http://hub.test")
    answer = client.post(
        "/console/login", data=login_data(client, username=username, password=PASSWORD), follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return client


def test_each_field_shows_its_own_last_value_and_time(tmp_path: Path) -> None:
    with console_rig(tmp_path / "hub") as rig:
        now = rig.clock.now()
        meter = rig.deps.registry.get("B1-0101-W")
        leak = rig.deps.registry.get("LEAK-PUMP-ROOM")
        # The total at 07:00 UTC, then a rate-only message at 07:30: both fields stay, each with its own time.
        rig.store.write([to_point(Reading("B1-0101-W", now - timedelta(hours=1), {"total": 12.5}), meter)])
        rig.store.write([to_point(Reading("B1-0101-W", now - timedelta(minutes=30), {"rate": 0.25}), meter)])
        rig.store.write([to_point(Reading("LEAK-PUMP-ROOM", now - timedelta(minutes=5), {"leak": True}), leak)])
        client = signed_in(rig)

        page = client.get("/console/devices/B1-0101-W")
        assert page.status_code == 200, page.text
        text = page.text
        total = text.split('data-field="total"', 1)[1].split("</tr>", 1)[0]
        rate = text.split('data-field="rate"', 1)[1].split("</tr>", 1)[0]
        assert "12.5" in total and "15:00:00" in total  # 07:00 UTC in Shanghai
        assert "0.25" in rate and "15:30:00" in rate

        sensor = client.get("/console/devices/LEAK-PUMP-ROOM")
        assert sensor.status_code == 200
        row = sensor.text.split('data-field="leak"', 1)[1].split("</tr>", 1)[0]
        assert "true" in row and "water_leak" in sensor.text and "pump-room" in sensor.text

        # No readings yet, an unknown device and a hostile id: a clear page, never a 500.
        assert 'id="no-readings"' in client.get("/console/devices/B2-L2").text
        assert client.get("/console/devices/NOPE").status_code == 404
        assert client.get("/console/devices/%ED%A0%80%00" + "x" * 5000).status_code == 404
        # The devices list links each device to its page.
        assert 'href="/console/devices/B1-0101-W"' in client.get("/console/devices").text
