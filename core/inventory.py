"""The device inventory (issue 19): every asset with its place, protocol, last-seen time, online state, battery
and signal where its readings report them, and its open alarms.

`LastSeen` is fed by the reading validator (every reading the hub accepts, from any protocol, before it is
spooled), so a store that is down does not make devices look offline. Online means a reading within twice the
asset's `expected_interval_s` (one missed report is tolerated); `unknown`: none since the hub started and none
stored (see `seed`).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from core.reading import FieldValue
from core.registry import AssetInfo, AssetRegistry
from core.site import Site

# Field names devices report their battery (percent) and radio signal under: Zigbee2MQTT `battery` and
# `linkquality` (0–255), Tasmota/ESPHome/Shelly `rssi`/`wifi_rssi` (dBm), generic `signal`.
BATTERY_FIELDS = ("battery", "battery_percent", "bat")
SIGNAL_FIELDS = ("linkquality", "rssi", "wifi_rssi", "signal", "signal_strength")
ONLINE_FACTOR = 2  # a device is offline after missing two expected reports
ASSET_GROUPS = ("meters", "elevators", "circuits", "sensors")  # the site's asset tables, when it has them


class DeviceState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Sighting:
    ts: datetime
    battery: float | None = None
    signal: float | None = None


def _number(value: FieldValue | None) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


class LastSeen:
    """The newest reading time per asset, with the battery and signal it last reported. Thread-safe."""

    def __init__(self) -> None:
        self._seen: dict[str, Sighting] = {}
        self._looked_up: set[str] = set()  # assets whose stored time was asked for already
        self._lock = threading.Lock()

    def note(self, asset_id: str, ts: datetime, fields: Mapping[str, FieldValue]) -> None:
        battery = next((v for name in BATTERY_FIELDS if (v := _number(fields.get(name))) is not None), None)
        signal = next((v for name in SIGNAL_FIELDS if (v := _number(fields.get(name))) is not None), None)
        with self._lock:
            old = self._seen.get(asset_id)
            if old is not None and old.ts > ts:
                return  # a late reading does not make a device look younger
            self._seen[asset_id] = Sighting(
                ts,
                battery if battery is not None else (old.battery if old else None),
                signal if signal is not None else (old.signal if old else None),
            )

    def seed(self, asset_id: str, ts: datetime | None) -> None:
        """The newest stored time of an asset not seen since the start (from the store, once)."""
        with self._lock:
            self._looked_up.add(asset_id)
            if ts is not None and asset_id not in self._seen:
                self._seen[asset_id] = Sighting(ts)

    def looked_up(self, asset_id: str) -> bool:
        return asset_id in self._looked_up

    def get(self, asset_id: str) -> Sighting | None:
        return self._seen.get(asset_id)

    def forget(self, keep: Iterable[str]) -> None:
        """Drop assets no longer in the site (after a reload)."""
        kept = set(keep)
        with self._lock:
            for asset_id in [a for a in self._seen if a not in kept]:
                del self._seen[asset_id]
            self._looked_up &= kept


@dataclass(frozen=True)
class DeviceRow:
    asset_id: str
    kind: str
    building: str | None
    unit: str | None
    area: str | None
    protocol: str
    expected_interval_s: int
    state: DeviceState
    last_seen: datetime | None
    battery: float | None
    signal: float | None
    open_alarms: list[str] = field(default_factory=list)


def protocol_of(site: Site, asset_id: str) -> str:
    for group in ASSET_GROUPS:
        asset = getattr(site, group, {}).get(asset_id)
        if asset is not None:
            binding = getattr(asset, "binding", None)
            return str(getattr(binding, "protocol", "mqtt"))
    return "mqtt"


def state_of(info: AssetInfo, sighting: Sighting | None, now: datetime, available: bool | None = None) -> DeviceState:
    """From the last reading; a device whose availability topic says offline (its LWT, the bridge) is offline at
    once, and one that says online counts as online until its readings are overdue."""
    if available is False:
        return DeviceState.OFFLINE
    if sighting is None:
        return DeviceState.ONLINE if available else DeviceState.UNKNOWN
        return DeviceState.UNKNOWN
    late = now - sighting.ts > timedelta(seconds=info.expected_interval_s * ONLINE_FACTOR)
    return DeviceState.OFFLINE if late else DeviceState.ONLINE


def inventory(
    site: Site,
    registry: AssetRegistry,
    seen: LastSeen,
    now: datetime,
    *,
    alarms: Mapping[str, Sequence[str]] | None = None,
    stored_at: Callable[[AssetInfo], datetime | None] | None = None,
    available: Mapping[str, bool] | None = None,
) -> list[DeviceRow]:
    """Every asset of the site, by id. `stored_at` looks up the newest stored reading of an asset never seen
    since the start (once per asset); `alarms` maps an asset id to the rule ids firing on it; `available` what
    availability topics say (`collectors.mqtt.discovered.asset_availability`)."""
    rows = []
    for info in sorted(registry.all(), key=lambda i: i.asset_id):
        sighting = seen.get(info.asset_id)
        if sighting is None and stored_at is not None and not seen.looked_up(info.asset_id):
            seen.seed(info.asset_id, stored_at(info))
            sighting = seen.get(info.asset_id)
        rows.append(
            DeviceRow(
                asset_id=info.asset_id,
                kind=str(info.kind.value if hasattr(info.kind, "value") else info.kind),
                building=info.tags.get("building"),
                unit=info.tags.get("unit"),
                area=info.tags.get("area"),
                protocol=protocol_of(site, info.asset_id),
                expected_interval_s=info.expected_interval_s,
                state=state_of(info, sighting, now, (available or {}).get(info.asset_id)),
                last_seen=sighting.ts if sighting else None,
                battery=sighting.battery if sighting else None,
                signal=sighting.signal if sighting else None,
                open_alarms=sorted((alarms or {}).get(info.asset_id, ())),
            )
        )
    return rows


@dataclass(frozen=True)
class Adoption:
    """Staff's answer to "what is this device?": its id, kind and place."""

    asset_id: str
    kind: str  # electricity | water | gas (a meter), or a sensor kind (water_leak, temperature …)
    unit: str | None = None
    area: str | None = None
    name: str | None = None
    field: str | None = None  # our field name for the entity's value; default: total (meters), else its class
    expected_interval_s: int | None = None
