"""Issue 5 and 6 evidence through the real broker: a wearing elevator bearing raises one alarm and opens one
work order; a restarted hub keeps the alarm raised and raises nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from core.settings import Settings
from core.site_loader import parse_site
from facilities.bootstrap import bootstrap as build_hub
from facilities.hub import Hub
from simulators.community import CommunitySimulator
from simulators.publisher import DevicePublisher
from simulators.runner import backfill
from simulators.scenarios import Fault, FaultKind, Scenario
from tests.support.services import Mosquitto, wait_until
from tests.unit.core.test_config import MINIMAL

RULES = """
[[rules]]
id = "car-vibration"
kind = "threshold"
severity = "major"
targets = { kinds = ["elevator"] }
field = "vibration"
above = 2.0
clear = 1.5
for = "30s"
when = [{ field = "state", op = "eq", value = "moving" }]
baseline = { samples = 100, min_samples = 50 }
"""
SITE_TEXT = (
    "use_builtin_rules = false\n" + MINIMAL + '[[elevators]]\nid = "L1"\nbuilding = "B1"\nhighest_floor = 6\n' + RULES
)
SITE = parse_site(SITE_TEXT)
START = (datetime.now(UTC) - timedelta(days=6)).replace(second=0, microsecond=0)
WEAR = Fault(kind=FaultKind.BEARING_WEAR, asset="L1", start="+1d", vibration_growth_per_day=0.5)


def hub_for(tmp_path: Path, mosquitto: Mosquitto) -> Hub:
    settings = Settings(
        mqtt_url=mosquitto.url,
        mqtt_client_id="hub-under-test",
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path}/facilities.db",
    )
    hub = build_hub(settings, site=SITE)
    hub.start()
    assert hub.ingest.collector.subscribed.wait(10)
    return hub


def publish_days(mosquitto: Mosquitto, simulator: CommunitySimulator, until: datetime) -> int:
    publisher = DevicePublisher("127.0.0.1", mosquitto.port, SITE.id, client_id="devices")
    try:
        return backfill(simulator, publisher.publish, until).messages
    finally:
        publisher.close()


def drained(hub: Hub, sent: int) -> bool:
    committed = hub.ingest.collector.stats.accepted + hub.ingest.collector.stats.rejected
    return committed >= sent and hub.ingest.spool.lag("rules") == 0 and not hub.rules._undelivered


def work_orders(tmp_path: Path) -> list[tuple[str, str, str, str]]:
    engine = sa.create_engine(f"sqlite:///{tmp_path}/facilities.db")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT asset_id, rule_id, category, status FROM work_orders")).all()
    engine.dispose()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_wearing_bearing_raises_one_alarm_and_one_work_order_across_a_restart(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    simulator = CommunitySimulator(SITE, seed=5, start=START, scenario=Scenario(faults=(WEAR,)))
    hub = hub_for(tmp_path, mosquitto)
    try:
        sent = publish_days(mosquitto, simulator, START + timedelta(days=4))
        wait_until(lambda: drained(hub, sent), "the rules to judge every reading", 60)
        assert hub.rules.stats.raised == 1
        [alarm] = hub.engine.open_alarms()
        assert (alarm.rule_id, alarm.asset_id) == ("car-vibration", "L1")
        # Raised after the wear began (day 1) and before day 4, against the car's own learnt baseline.
        assert START + timedelta(days=1) < alarm.raised_at < START + timedelta(days=4)
        assert float(alarm.evidence["value"]) > 2 * float(alarm.evidence["baseline"])
    finally:
        hub.stop()
    assert work_orders(tmp_path) == [("L1", "car-vibration", "elevator", "open")]

    restarted = hub_for(tmp_path, mosquitto)
    try:
        sent = publish_days(mosquitto, simulator, START + timedelta(days=5))  # the wear goes on
        wait_until(lambda: drained(restarted, sent), "the restarted hub to judge the new readings", 60)
        assert restarted.rules.stats.raised == 0  # still raised from before, not raised again
        assert [(a.rule_id, a.asset_id) for a in restarted.engine.open_alarms()] == [("car-vibration", "L1")]
    finally:
        restarted.stop()
    assert work_orders(tmp_path) == [("L1", "car-vibration", "elevator", "open")]
