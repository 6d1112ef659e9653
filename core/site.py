"""The site file's shape: a community (小區) with buildings, units, public areas and assets.

Models forbid unknown keys so a misspelt key is an error, not a silently ignored setting.
Cross-references (a meter's unit must exist, ids must be unique) are checked in `core.config`,
where the error can name the key path.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from collectors.dlt645.config import Dlt645Binding
from collectors.modbus.config import ModbusBinding
from collectors.mqtt.payload_config import MqttMapping
from core.rule_config import RuleSpec

AssetId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Utility(StrEnum):
    WATER = "water"
    ELECTRICITY = "electricity"
    GAS = "gas"


UTILITY_CODE: dict[Utility, str] = {Utility.WATER: "W", Utility.ELECTRICITY: "E", Utility.GAS: "G"}
DEFAULT_UOM: dict[Utility, str] = {Utility.WATER: "m3", Utility.ELECTRICITY: "kWh", Utility.GAS: "m3"}
ALLOWED_UOM: dict[Utility, set[str]] = {
    Utility.WATER: {"m3"},
    Utility.ELECTRICITY: {"kWh"},
    Utility.GAS: {"m3"},
}


class SiteInfo(Strict):
    id: AssetId
    name: str = Field(min_length=1)
    timezone: str = "Asia/Shanghai"
    address: str = ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'Asia/Shanghai'") from None
        return value


class UnitLayout(Strict):
    """Generates unit ids floor by floor: building B1, floor 3, index 2 → 'B1-0302'."""

    first_floor: int = Field(default=1, ge=-10, le=200)
    last_floor: int = Field(ge=-10, le=200)
    units_per_floor: int = Field(ge=1, le=99)

    @model_validator(mode="after")
    def _floor_order(self) -> UnitLayout:
        if self.last_floor < self.first_floor:
            raise ValueError(f"last_floor {self.last_floor} is below first_floor {self.first_floor}")
        return self

    def unit_ids(self, building_id: str) -> list[str]:
        return [
            f"{building_id}-{floor:02d}{index:02d}"
            for floor in range(self.first_floor, self.last_floor + 1)
            if floor != 0
            for index in range(1, self.units_per_floor + 1)
        ]


class Unit(Strict):
    id: AssetId
    floor: int | None = None
    area_m2: float | None = Field(default=None, gt=0, le=10_000)
    vacant: bool = False
    owner: str = ""


class Building(Strict):
    id: AssetId
    name: str = ""
    floors: int = Field(ge=1, le=200)
    basement_floors: int = Field(default=0, ge=0, le=10)
    unit_layout: UnitLayout | None = None
    units: tuple[Unit, ...] = ()


class AreaKind(StrEnum):
    LOBBY = "lobby"
    CORRIDOR = "corridor"
    STAIRWELL = "stairwell"
    GARAGE = "garage"
    PLANT_ROOM = "plant_room"
    GARDEN = "garden"
    OTHER = "other"


class PublicArea(Strict):
    id: AssetId
    name: str = ""
    kind: AreaKind = AreaKind.OTHER
    building: str | None = None


class MqttBinding(Strict):
    """Default binding: our own topic `facilities/<site>/<asset_id>/telemetry` unless a topic is given."""

    protocol: Literal["mqtt"] = "mqtt"
    topic: str | None = Field(default=None, min_length=1)


Binding = Annotated[MqttBinding | ModbusBinding | Dlt645Binding, Field(discriminator="protocol")]


class Meter(Strict):
    id: AssetId
    utility: Utility
    unit_of_measure: str | None = None
    unit: str | None = None
    area: str | None = None
    binding: Binding = Field(default_factory=MqttBinding)
    expected_interval_s: int = Field(default=900, ge=1, le=86_400)
    rollover: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _uom_fits_utility(self) -> Meter:
        if self.unit_of_measure is not None and self.unit_of_measure not in ALLOWED_UOM[self.utility]:
            allowed = ", ".join(sorted(ALLOWED_UOM[self.utility]))
            raise ValueError(
                f"unit_of_measure {self.unit_of_measure!r} does not fit a {self.utility.value} meter; use {allowed}"
            )
        return self

    @property
    def uom(self) -> str:
        return self.unit_of_measure or DEFAULT_UOM[self.utility]


class MeterGroup(Strict):
    """One meter per unit per utility, so a 3,000-unit community is not 9,000 hand-written entries."""

    buildings: tuple[str, ...] | None = None
    utilities: tuple[Utility, ...] = (Utility.WATER, Utility.ELECTRICITY, Utility.GAS)
    expected_interval_s: int = Field(default=900, ge=1, le=86_400)

    @field_validator("utilities")
    @classmethod
    def _not_empty(cls, value: tuple[Utility, ...]) -> tuple[Utility, ...]:
        if not value:
            raise ValueError("list at least one utility")
        return value


class Elevator(Strict):
    id: AssetId
    building: str
    name: str = ""
    lowest_floor: int = Field(default=1, ge=-10, le=200)
    highest_floor: int = Field(ge=-10, le=200)
    rated_load_kg: int = Field(default=1000, ge=100, le=10_000)
    binding: Binding = Field(default_factory=MqttBinding)
    expected_interval_s: int = Field(default=10, ge=1, le=3_600)

    @model_validator(mode="after")
    def _floor_order(self) -> Elevator:
        if self.highest_floor <= self.lowest_floor:
            raise ValueError(f"highest_floor {self.highest_floor} must be above lowest_floor {self.lowest_floor}")
        return self


class Circuit(Strict):
    id: AssetId
    building: str | None = None
    area: str
    name: str = ""
    rated_power_w: float = Field(default=500, gt=0, le=1_000_000)
    binding: Binding = Field(default_factory=MqttBinding)
    expected_interval_s: int = Field(default=60, ge=1, le=86_400)


class SiteFile(Strict):
    site: SiteInfo
    buildings: tuple[Building, ...] = Field(min_length=1)
    areas: tuple[PublicArea, ...] = ()
    meter_groups: tuple[MeterGroup, ...] = ()
    meters: tuple[Meter, ...] = ()
    elevators: tuple[Elevator, ...] = ()
    circuits: tuple[Circuit, ...] = ()
    mqtt_mappings: tuple[MqttMapping, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    use_builtin_rules: bool = True
