"""The device inventory (issue 19): every asset with its place, protocol, last-seen time, online state, battery
and signal where reported, and its open alarms; staff filter it by building, kind and state."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from access.roles import Permission
from api.deps import ClockDep, DepsDep, PaginationDep, require
from api.routes.alarms import alarm_source
from api.schemas import ERROR_RESPONSES, Page, page_of
from collectors.mqtt.discovered import asset_availability
from core.inventory import DeviceRow, DeviceState, LastSeen, inventory
from core.registry import AssetInfo
from storage.store import StoreUnavailable

router = APIRouter(
    prefix="/devices", tags=["devices"], dependencies=[require(Permission.READ_SITE)], responses=ERROR_RESPONSES
)


class DeviceOut(BaseModel):
    asset_id: str
    kind: str
    building: str | None
    unit: str | None
    area: str | None
    protocol: str
    expected_interval_s: int
    state: DeviceState  # online: a reading within twice the expected interval; unknown: none yet
    last_seen: datetime | None
    battery: float | None  # percent, as the device reports it
    signal: float | None  # Zigbee link quality (0–255) or Wi-Fi RSSI (dBm), as the device reports it
    open_alarms: list[str]  # rule ids firing on the device


def device_rows(deps: DepsDep, now: datetime) -> list[DeviceRow]:
    """The inventory as the API and the console show it (open alarms from the rule state)."""
    alarms: dict[str, list[str]] = {}
    for alarm in alarm_source(deps).open_alarms():
        alarms.setdefault(alarm.asset_id, []).append(alarm.rule_id)
    seen = deps.last_seen if deps.last_seen is not None else LastSeen()

    def stored_at(info: AssetInfo) -> datetime | None:
        try:
            latest = deps.store.latest(info)
        except StoreUnavailable:
            return None
        return latest.ts if latest is not None else None

    available = asset_availability(deps.discovery, deps.site.mqtt_mappings) if deps.discovery is not None else {}
    return inventory(deps.site, deps.registry, seen, now, alarms=alarms, stored_at=stored_at, available=available)


@router.get("", summary="Every device with its online state, last-seen time, battery, signal and open alarms")
def list_devices(
    deps: DepsDep,
    clock: ClockDep,
    pagination: PaginationDep,
    building: Annotated[str | None, Query(max_length=64, description="Only devices in this building.")] = None,
    kind: Annotated[str | None, Query(max_length=64, description="Only this kind (meter, elevator, …).")] = None,
    state: Annotated[DeviceState | None, Query(description="Only online, offline or unknown devices.")] = None,
) -> Page[DeviceOut]:
    rows = [
        DeviceOut(**row.__dict__)
        for row in device_rows(deps, clock.now())
        if (building is None or row.building == building)
        and (kind is None or row.kind == kind)
        and (state is None or row.state is state)
    ]
    return page_of(rows, pagination)
