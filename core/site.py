"""The site file's shape: a community (小區) with buildings, units, public areas and assets.

Models forbid unknown keys so a misspelt key is an error, not a silently ignored setting.
Cross-references (a meter's unit must exist, ids must be unique) are checked in `core.site_loader`,
where the error can name the key path.

What plugins add is validated through the registries of `core.plugins`: an asset's `binding` by the
model registered for its `protocol`, each of `rules` by the model registered for its `kind`, and each
registered site section (e.g. `[[mqtt_mappings]]`) by its model. Core defines only their base classes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, ClassVar, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PlainValidator, TypeAdapter, create_model, field_validator, model_validator
from pydantic_core import PydanticCustomError

from core.config_files import ConfigProblem, Strict
from core.device_kinds import DeviceKind
from core.ids import AssetId
from core.plugins import PROTOCOLS, RULE_KINDS, SITE_SECTIONS, registered_subclasses

# ------------------------------------------------------------------ what plugins register (see core.plugins)


class ProtocolBinding(Strict):
    """Base of an asset's `binding`: how the asset is read. Registered in `facilities.protocols` by `protocol`."""

    protocol: str

    def declared_fields(self) -> tuple[str, ...]:
        """Numeric fields this binding reads besides its asset kind's own (a Modbus profile's voltages, …)."""
        return ()


class SiteSection(Strict):
    """Base of a top-level `[[name]]` list a plugin adds to the site file (`facilities.site_sections`)."""

    def referenced_assets(self) -> tuple[str, ...]:
        """Asset ids this entry names, each of which must be in the site."""
        return ()


class RuleConfig(Strict):
    """Base of a rule's config model. Registered in `facilities.rule_kinds` by `kind`."""

    id: AssetId
    kind: str

    # Where the kind is listed when an error names the kinds to choose from (lower first, then by name).
    listing_order: ClassVar[int] = 1000

    def site_problems(self, site: Site, at: str) -> list[ConfigProblem]:
        """What pydantic cannot check alone: this rule against the site's assets (`at`: its key path)."""
        return []


def protocol_models() -> dict[str, type[ProtocolBinding]]:
    return dict(registered_subclasses(PROTOCOLS, ProtocolBinding))


def section_models() -> dict[str, type[SiteSection]]:
    return dict(registered_subclasses(SITE_SECTIONS, SiteSection))


def rule_models() -> dict[str, type[RuleConfig]]:
    models = registered_subclasses(RULE_KINDS, RuleConfig)
    return dict(sorted(models.items(), key=lambda item: (item[1].listing_order, item[0])))


@cache
def _binding_adapter() -> TypeAdapter[Any]:
    models = tuple(protocol_models().values())
    if len(models) == 1:
        return TypeAdapter(models[0])
    union: Any = Union[models]  # noqa: UP007 - built at run time from the registry
    return TypeAdapter(Annotated[union, Field(discriminator="protocol")])


def validate_binding(value: object) -> ProtocolBinding:
    """A binding table validated by the model registered for its `protocol`."""
    if isinstance(value, ProtocolBinding):
        return value
    binding: ProtocolBinding = _binding_adapter().validate_python(value)
    return binding


def validate_rule(value: object) -> RuleConfig:
    """A rule table validated by the model registered for its `kind`."""
    # Dispatched by hand, not Field(discriminator=...): errors read `rules[2].for`, not `rules[2].threshold.for`.
    if isinstance(value, RuleConfig):
        return value
    models = rule_models()
    kinds = ", ".join(models)
    if not isinstance(value, Mapping) or "kind" not in value:
        raise PydanticCustomError("rule_kind", "kind is missing; add kind = one of {kinds}", {"kinds": kinds})
    model = models.get(value["kind"]) if isinstance(value["kind"], str) else None
    if model is None:
        raise PydanticCustomError("rule_kind", "unknown rule kind; use one of {kinds}", {"kinds": kinds})
    return model.model_validate(value)


RuleSpec = Annotated[RuleConfig, PlainValidator(validate_rule, json_schema_input_type=Any)]


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


class MqttBinding(ProtocolBinding):
    """Default binding: our own topic `facilities/<site>/<asset_id>/telemetry` unless a topic is given."""

    protocol: Literal["mqtt"] = "mqtt"
    topic: str | None = Field(default=None, min_length=1)


Binding = Annotated[ProtocolBinding, PlainValidator(validate_binding, json_schema_input_type=Any)]


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


class Sensor(Strict):
    """A device of a built-in or site-declared kind (core.device_kinds), in exactly one unit or public area."""

    id: AssetId
    kind: AssetId
    unit: str | None = None
    area: str | None = None
    name: str = ""
    binding: Binding = Field(default_factory=MqttBinding)
    expected_interval_s: int = Field(default=3_600, ge=1, le=86_400)


class SiteFile(Strict):
    """The site file's own keys; `site_file_model()` adds a field for each registered site section."""

    site: SiteInfo
    buildings: tuple[Building, ...] = Field(min_length=1)
    areas: tuple[PublicArea, ...] = ()
    meter_groups: tuple[MeterGroup, ...] = ()
    meters: tuple[Meter, ...] = ()
    elevators: tuple[Elevator, ...] = ()
    circuits: tuple[Circuit, ...] = ()
    device_kinds: tuple[DeviceKind, ...] = ()
    sensors: tuple[Sensor, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    use_builtin_rules: bool = True

    def sections(self) -> dict[str, tuple[SiteSection, ...]]:
        """The registered site sections as read (empty tuples for those the file leaves out)."""
        return {name: getattr(self, name) for name in section_models()}


@cache
def site_file_model() -> type[SiteFile]:
    """SiteFile with one optional list field per registered site section."""
    fields: dict[str, Any] = {name: (tuple[model, ...], ()) for name, model in section_models().items()}  # type: ignore[valid-type]
    return create_model("SiteFile", __base__=SiteFile, __module__=__name__, **fields)


@dataclass(frozen=True)
class UnitInfo:
    building: str
    unit: Unit


@dataclass(frozen=True)
class Site:
    """The site file with its shorthands expanded: every unit and every meter listed."""

    info: SiteInfo
    buildings: dict[str, Building]
    units: dict[str, UnitInfo]
    areas: dict[str, PublicArea]
    meters: dict[str, Meter]
    elevators: dict[str, Elevator]
    circuits: dict[str, Circuit]
    sections: Mapping[str, tuple[SiteSection, ...]] = field(default_factory=dict)
    rules: tuple[RuleConfig, ...] = ()
    use_builtin_rules: bool = True
    source: str = "<memory>"
    sensors: dict[str, Sensor] = field(default_factory=dict)
    # every kind a sensor may have: the built-in catalogue and the site's own [[device_kinds]]
    device_kinds: Mapping[str, DeviceKind] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def mqtt_mappings(self) -> tuple[Any, ...]:
        """The `[[mqtt_mappings]]` tables (registered by the MQTT plugin), in file order."""
        return self.sections.get("mqtt_mappings", ())
