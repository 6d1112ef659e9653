"""Asset registry: what an asset id is and the tags its readings are stored with."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.device_kinds import KIND_TAG, DeviceKind
from core.measurements import FIELD_TYPES, ID_TAG, MEASUREMENT, AssetKind, FieldType, coerce_field
from core.reading import FieldValue
from core.site import Site


@dataclass(frozen=True, slots=True)
class AssetInfo:
    asset_id: str
    kind: AssetKind
    tags: dict[str, str] = field(default_factory=dict)
    expected_interval_s: int = 900
    device_kind: DeviceKind | None = None  # a sensor's kind: its fields, fault and trade
    extra_fields: tuple[str, ...] = ()  # numeric fields its binding reads besides the kind's (a Modbus profile's)

    @property
    def measurement(self) -> str:
        """Where its readings are stored: one measurement per asset kind, and one per device kind for sensors."""
        return self.device_kind.measurement if self.device_kind is not None else MEASUREMENT[self.kind]

    def field_types(self) -> dict[str, FieldType]:
        """The declared type of every field this asset reports (others are stored as float)."""
        own = self.device_kind.field_types() if self.device_kind is not None else dict(FIELD_TYPES[self.kind])
        return {name: FieldType.FLOAT for name in self.extra_fields} | own

    def coerce_field(self, name: str, value: object) -> FieldValue:
        """One field as stored, or core.measurements.FieldValueError naming the field and the value."""
        if self.device_kind is not None:
            return self.device_kind.coerce_field(name, value)
        return coerce_field(self.kind, name, value)

    @property
    def id_tag(self) -> str:
        return ID_TAG[self.kind]


class UnknownAsset(KeyError):
    def __str__(self) -> str:
        shown = repr(self.args[0])
        shown = shown if len(shown) <= 80 else f"{shown[:77]}..."  # a hostile topic may be kilobytes long
        return f"unknown asset id {shown}: it is not in the site file"


class AssetRegistry:
    def __init__(self, assets: dict[str, AssetInfo]) -> None:
        self._assets = assets
        # Assets a live reload removed: readings of theirs already spooled are still stored with their tags.
        self._retired: dict[str, AssetInfo] = {}

    def replace(self, other: AssetRegistry) -> None:
        """Take `other`'s assets (a live reload); everyone holding this registry sees them at once."""
        current = self._assets
        retired = {**self._retired, **{k: v for k, v in current.items() if k not in other._assets}}
        self._retired = {k: v for k, v in retired.items() if k not in other._assets}
        self._assets = dict(other._assets)  # one assignment: readers see the old set or the new one

    def lookup(self, asset_id: str) -> AssetInfo:
        """Like `get`, but also finds an asset a reload removed (for readings spooled before it)."""
        info = self._assets.get(asset_id) or self._retired.get(asset_id)
        if info is None:
            raise UnknownAsset(asset_id)
        return info

    def get(self, asset_id: str) -> AssetInfo:
        try:
            return self._assets[asset_id]
        except KeyError:
            raise UnknownAsset(asset_id) from None

    def __contains__(self, asset_id: object) -> bool:
        return asset_id in self._assets

    def __len__(self) -> int:
        return len(self._assets)

    def all(self) -> list[AssetInfo]:
        return list(self._assets.values())

    @classmethod
    def from_site(cls, site: Site) -> AssetRegistry:
        assets: dict[str, AssetInfo] = {}
        for meter in site.meters.values():
            tags = {"site": site.id, "utility": meter.utility.value, "meter_id": meter.id}
            if meter.unit is not None:
                tags["building"] = site.units[meter.unit].building
                tags["unit"] = meter.unit
            elif meter.area is not None:
                area = site.areas[meter.area]
                tags["area"] = area.id
                if area.building:
                    tags["building"] = area.building
            extra = meter.binding.declared_fields()
            assets[meter.id] = AssetInfo(meter.id, AssetKind.METER, tags, meter.expected_interval_s, None, extra)
        for elevator in site.elevators.values():
            tags = {"site": site.id, "building": elevator.building, "elevator_id": elevator.id}
            extra = elevator.binding.declared_fields()
            assets[elevator.id] = AssetInfo(
                elevator.id, AssetKind.ELEVATOR, tags, elevator.expected_interval_s, None, extra
            )
        for circuit in site.circuits.values():
            tags = {"site": site.id, "area": circuit.area, "circuit_id": circuit.id}
            building = circuit.building or site.areas[circuit.area].building
            if building:
                tags["building"] = building
            extra = circuit.binding.declared_fields()
            assets[circuit.id] = AssetInfo(
                circuit.id, AssetKind.CIRCUIT, tags, circuit.expected_interval_s, None, extra
            )
        for sensor in site.sensors.values():
            tags = {"site": site.id, KIND_TAG: sensor.kind, "sensor_id": sensor.id}
            if sensor.unit is not None:
                tags["building"] = site.units[sensor.unit].building
                tags["unit"] = sensor.unit
            elif sensor.area is not None:
                tags["area"] = sensor.area
                if building := site.areas[sensor.area].building:
                    tags["building"] = building
            kind = site.device_kinds[sensor.kind]
            extra = sensor.binding.declared_fields()
            assets[sensor.id] = AssetInfo(sensor.id, AssetKind.SENSOR, tags, sensor.expected_interval_s, kind, extra)
        return cls(assets)
