"""The device inventory's last-seen tracker and online rule (issue 19)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.inventory import DeviceState, LastSeen, inventory
from core.registry import AssetRegistry
from core.site_loader import parse_site
from tests.unit.core.test_config import MINIMAL

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SITE = parse_site(MINIMAL + '[[elevators]]\nid = "L1"\nbuilding = "B1"\nhighest_floor = 6\nexpected_interval_s = 60\n')


def test_battery_and_signal_are_kept_across_readings_that_do_not_report_them() -> None:
    seen = LastSeen()
    seen.note("L1", T0, {"battery": 87, "linkquality": 120, "fault_code": 0})
    seen.note("L1", T0 + timedelta(seconds=5), {"fault_code": 0})
    seen.note("L1", T0 - timedelta(hours=1), {"battery": 10})  # late: changes nothing
    sighting = seen.get("L1")
    assert sighting is not None and (sighting.ts, sighting.battery, sighting.signal) == (
        T0 + timedelta(seconds=5),
        87,
        120,
    )


def test_hostile_values_are_not_battery_or_signal() -> None:
    seen = LastSeen()
    seen.note("L1", T0, {"battery": True, "rssi": float("nan"), "signal": "strong"})
    sighting = seen.get("L1")
    assert sighting is not None and (sighting.battery, sighting.signal) == (None, None)


def test_online_within_twice_the_expected_interval_offline_after_unknown_when_never_seen() -> None:
    seen, registry = LastSeen(), AssetRegistry.from_site(SITE)
    seen.note("L1", T0, {"fault_code": 0})
    lookups: list[str] = []

    def stored_at(info: object) -> datetime | None:
        lookups.append(info.asset_id)
        return T0 - timedelta(days=1) if info.asset_id == "B1-0101-W" else None

    def states(now: datetime) -> dict[str, DeviceState]:
        rows = inventory(SITE, registry, seen, now, alarms={"L1": ["elevator-fault-code"]}, stored_at=stored_at)
        return {row.asset_id: row.state for row in rows if row.asset_id in {"L1", "B1-0101-W", "B1-0102-W"}}

    assert states(T0 + timedelta(seconds=120)) == {
        "L1": DeviceState.ONLINE, "B1-0101-W": DeviceState.OFFLINE, "B1-0102-W": DeviceState.UNKNOWN,
    }  # fmt: skip
    assert states(T0 + timedelta(seconds=121))["L1"] is DeviceState.OFFLINE
    assert lookups.count("B1-0102-W") == 1  # the store is asked once per asset, not on every page view
    [l1] = [r for r in inventory(SITE, registry, seen, T0) if r.asset_id == "L1"]
    assert (l1.kind, l1.building, l1.protocol, l1.open_alarms) == ("elevator", "B1", "mqtt", [])
