"""An upgrade through the real broker: the hub stopped, its database one migration behind the code (as the
previous release left it), the hub started and migrating, readings published throughout. Every reading is
stored exactly once and every alarm opens one order and one crew alert. A database newer than the code is
refused before anything is touched.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from typer.testing import CliRunner

from facilities.bootstrap import bootstrap as build_hub
from facilities.cli import app
from facilities.hub import Hub
from storage.database import alembic_config, make_engine
from storage.schema_version import SchemaTooNew, database_revisions
from tests.e2e.test_hub_faults import SITE, AlertInbox, fault, meter_messages, orders, settings_for, stored_totals
from tests.support.mqtt import publish
from tests.support.services import Mosquitto, wait_until

pytestmark = pytest.mark.e2e
NEWEST = "0010_sign_in_audit"  # the migration the "previous release" did not have


def revisions(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return database_revisions(engine)
    finally:
        engine.dispose()


def crew_alerts(inbox: AlertInbox) -> dict[str, list[str]]:
    """Order code -> the idempotency keys of the crew's alert messages for it (one per member link and channel)."""
    alerts: dict[str, list[str]] = {}
    for m in inbox.messages:
        if m["kind"] == "alert" and m["team"] == "elevator-crew":
            alerts.setdefault(m["work_order"]["code"], []).append(m["idempotency_key"])
    return alerts


def started(hub: Hub) -> Hub:
    hub.start()
    assert hub.ingest.collector.subscribed.wait(10)
    return hub


def test_readings_published_through_an_upgrade_are_stored_once_and_no_alarm_is_lost(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    settings = settings_for(tmp_path, mosquitto)
    inbox = AlertInbox(mosquitto.port)
    try:
        old = started(build_hub(settings, site=SITE))
        try:
            publish(mosquitto.port, [*meter_messages(0, 40), fault("L1", 17)])
            wait_until(lambda: stored_totals(old) == 40, "the first 40 readings stored", 30)
            wait_until(lambda: len(crew_alerts(inbox)) == 1, "the crew's alert for L1", 30)
            [first] = crew_alerts(inbox).values()
        finally:
            old.stop()
        # Stopped: the devices keep publishing; the broker holds it in the hub's persistent session.
        publish(mosquitto.port, [*meter_messages(40, 40), fault("L2", 9)])
        # The previous release's schema: the newest migration not applied yet (on its own branch only).
        command.downgrade(alembic_config(settings.database_url), f"{NEWEST}@-1")
        assert NEWEST not in revisions(settings.database_url)

        during = threading.Thread(target=publish, args=(mosquitto.port, meter_messages(80, 60)))
        during.start()  # readings arrive while the new release migrates and starts
        new = build_hub(settings, site=SITE)
        assert NEWEST in revisions(settings.database_url)
        started(new)
        during.join()
        try:
            publish(mosquitto.port, meter_messages(140, 40))
            wait_until(lambda: stored_totals(new) >= 180, "all 180 readings stored", 60)
            wait_until(lambda: len(crew_alerts(inbox)) == 2, "the crew's alert for L2", 30)
            assert stored_totals(new) == 180
            assert orders(new) == [("L1", "elevator-fault-code", "elevator"), ("L2", "elevator-fault-code", "elevator")]
        finally:
            new.stop()
        alerts = crew_alerts(inbox)
        assert len(alerts) == 2  # one order each for L1 and L2, alerted
        for keys in alerts.values():  # as many messages for the second order as for the first, none sent twice
            assert len(keys) == len(set(keys)) == len(first)
    finally:
        inbox.close()


def test_a_database_newer_than_the_code_is_refused(
    tmp_path: Path, mosquitto: Mosquitto, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(tmp_path, mosquitto)
    build_hub(settings, site=SITE).stop()
    engine = make_engine(settings.database_url)
    with engine.begin() as connection:  # what a newer release's migration leaves behind
        connection.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES ('0099_from_the_future')"))
    engine.dispose()
    with pytest.raises(SchemaTooNew, match="0099_from_the_future, which this release does not know"):
        build_hub(settings, site=SITE)
    monkeypatch.setenv("FACILITIES_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2 and "restore the backup taken before the upgrade" in result.output
    assert "0099_from_the_future" in revisions(settings.database_url)  # nothing was touched
