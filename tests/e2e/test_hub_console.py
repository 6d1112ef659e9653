"""The hub as `facilities run` builds it serves the console, and its alerts link to it with working tokens."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from access.roles import Role
from alerts.orm import OutboxRow
from api.keys_crud import create_key
from console.users import create_user
from core.settings import Settings
from core.site_loader import load_site
from facilities.bootstrap import bootstrap as build_hub
from tests.conftest import EXAMPLE_SITE
from tests.support.console_rig import login_data
from tests.support.services import Mosquitto
from tests.unit.workorders.builders import elevator_alarm
from workorders import service

pytestmark = pytest.mark.e2e
ALERTS = Path(__file__).resolve().parents[2] / "examples" / "alerts-demo.toml"


def test_the_hub_serves_the_console_and_its_alerts_carry_links_that_open_it(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    settings = Settings(
        mqtt_url=mosquitto.url,
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path}/facilities.db",
        alerts_file=ALERTS,
        public_url="https://wuye.example.com",
    )
    site = load_site(EXAMPLE_SITE)
    hub = build_hub(settings, site=site)
    try:
        ref = service.open_from_alarm(hub.uow(), elevator_alarm(site_id=site.id), clock=hub.clock)
        with hub.sessions() as session:
            rows = list(session.scalars(select(OutboxRow).where(OutboxRow.kind == "alert")))
            create_user(
                session, username="lina", display_name="李娜", role="staff", password="a long password",
                team=None, now=hub.clock.now(),
            )  # fmt: skip
            session.commit()
        # Whoever the roster has on call now (the hub's clock is the wall clock) gets a link of their own.
        crew = [(r["name"], r["link"]) for row in rows if row.team == "elevator-crew" for r in row.recipients]
        assert crew and all(link for _, link in crew)
        name, first = crew[0]
        link = urlsplit(first)
        assert (link.scheme, link.netloc, link.path) == ("https", "wuye.example.com", f"/console/orders/{ref.code}")
        assert (tmp_path / "data" / "console-secret").is_file()  # generated once, kept for the next start

        with TestClient(hub.api()) as client:
            page = client.get(f"{link.path}?{link.query}")
            assert page.status_code == 200 and f"通过告警链接访问：{name}" in page.text
            assert client.get(f"{link.path}?k=forged").status_code == 403
            form = login_data(client, username="lina", password="a long password")
            signed_in = client.post("/console/login", data=form)
            assert signed_in.status_code == 200 and ref.code in client.get("/console/orders").text
            # The hub's API also relearns a car's vibration baseline after an overhaul (its engine is here).
            with hub.sessions() as session:
                _, key = create_key(session=session, role=Role.STAFF, name="engineer", now=hub.clock.now())
            reset = client.post(
                f"/sites/{site.id}/rules/elevator-vibration/assets/B1-L1/baseline/reset", headers={"X-API-Key": key}
            )
            assert reset.status_code == 200 and reset.json()["reset_by"] == "engineer"

        # The nightly retention job: finished messages past FACILITIES_ALERTS_RETENTION_DAYS (180) go.
        with hub.sessions() as session, session.begin():
            old_ids = [row.id for row in rows[:1]]
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(old_ids))
                .values(status="delivered", created_at=hub.clock.now() - timedelta(days=181))
            )
        hub.prune()
        with hub.sessions() as session:
            left = set(session.scalars(select(OutboxRow.id)))
        assert old_ids[0] not in left and {row.id for row in rows[1:]} <= left  # the recent and pending stay
    finally:
        hub.stop()
