"""Loads a site file (TOML) into a resolved `Site`, or fails with every problem named by key path."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from collectors.mqtt.payload_config import MqttMapping
from core.rule_config import AnyRule, validate_rules
from core.site import (
    UTILITY_CODE,
    Building,
    Circuit,
    Elevator,
    Meter,
    PublicArea,
    SiteFile,
    SiteInfo,
    Unit,
)


@dataclass(frozen=True)
class ConfigProblem:
    path: str
    message: str


class ConfigError(Exception):
    """A site file that cannot be used. `str()` lists every problem as `file: key.path: what to change`."""

    def __init__(self, source: str, problems: Sequence[ConfigProblem]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = [f"{source}: {p.path}: {p.message}" if p.path else f"{source}: {p.message}" for p in problems]
        super().__init__("\n".join(lines))


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
    mqtt_mappings: tuple[MqttMapping, ...] = ()
    rules: tuple[AnyRule, ...] = ()
    use_builtin_rules: bool = True
    source: str = "<memory>"

    @property
    def id(self) -> str:
        return self.info.id


def load_site(path: str | Path) -> Site:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [ConfigProblem("", f"cannot read the site file: {exc.strerror}")]) from None
    return parse_site(text, source=str(path))


def parse_site(text: str, *, source: str = "<memory>") -> Site:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [ConfigProblem("", f"not valid TOML: {exc}")]) from None
    try:
        parsed = SiteFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(source, [problem_from_pydantic(err) for err in exc.errors()]) from None
    problems: list[ConfigProblem] = []
    site = _resolve(parsed, source, problems)
    if not problems:  # rule targets are checked against a site whose references hold
        problems += validate_rules(parsed.rules, site)
    if problems:
        raise ConfigError(source, problems)
    return site


def _format_loc(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def problem_from_pydantic(err: ErrorDetails) -> ConfigProblem:
    """A pydantic error as a key path and a sentence saying what to change (shared by every config file)."""
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        return ConfigProblem(_format_loc(loc), "unknown key; remove it or correct its spelling")
    if kind == "missing":
        return ConfigProblem(_format_loc(loc), "required key is missing; add it")
    message = str(err["msg"]).removeprefix("Value error, ")
    if not isinstance(err.get("input"), dict | list | type(None)):
        message += f" (got {err['input']!r})"
    return ConfigProblem(_format_loc(loc), message)


def _resolve(parsed: SiteFile, source: str, problems: list[ConfigProblem]) -> Site:
    buildings: dict[str, Building] = {}
    for i, building in enumerate(parsed.buildings):
        if building.id in buildings:
            problems.append(ConfigProblem(f"buildings[{i}].id", f"duplicate building id {building.id!r}"))
        buildings[building.id] = building

    units = _resolve_units(parsed.buildings, problems)

    areas: dict[str, PublicArea] = {}
    for i, area in enumerate(parsed.areas):
        if area.id in areas:
            problems.append(ConfigProblem(f"areas[{i}].id", f"duplicate area id {area.id!r}"))
        if area.building is not None and area.building not in buildings:
            problems.append(_missing(f"areas[{i}].building", "building", area.building, buildings))
        areas[area.id] = area

    asset_ids: dict[str, str] = {}

    def claim(asset_id: str, path: str) -> bool:
        if asset_id in asset_ids:
            problems.append(
                ConfigProblem(path, f"duplicate asset id {asset_id!r}, already used at {asset_ids[asset_id]}")
            )
            return False
        asset_ids[asset_id] = path
        return True

    meters: dict[str, Meter] = {}
    for g, group in enumerate(parsed.meter_groups):
        chosen = group.buildings if group.buildings is not None else tuple(buildings)
        for b, building_id in enumerate(chosen):
            if building_id not in buildings:
                problems.append(_missing(f"meter_groups[{g}].buildings[{b}]", "building", building_id, buildings))
        for unit_id, unit_info in units.items():
            if unit_info.building not in chosen:
                continue
            for utility in group.utilities:
                meter = Meter(
                    id=f"{unit_id}-{UTILITY_CODE[utility]}",
                    utility=utility,
                    unit=unit_id,
                    expected_interval_s=group.expected_interval_s,
                )
                if claim(meter.id, f"meter_groups[{g}] (unit {unit_id}, {utility.value})"):
                    meters[meter.id] = meter
    for i, meter in enumerate(parsed.meters):
        path = f"meters[{i}]"
        if (meter.unit is None) == (meter.area is None):
            problems.append(ConfigProblem(path, "a meter belongs to exactly one owner: set either 'unit' or 'area'"))
        if meter.unit is not None and meter.unit not in units:
            problems.append(_missing(f"{path}.unit", "unit", meter.unit, units))
        if meter.area is not None and meter.area not in areas:
            problems.append(_missing(f"{path}.area", "public area", meter.area, areas))
        if claim(meter.id, f"{path}.id"):
            meters[meter.id] = meter

    elevators: dict[str, Elevator] = {}
    for i, elevator in enumerate(parsed.elevators):
        path = f"elevators[{i}]"
        home = buildings.get(elevator.building)
        if home is None:
            problems.append(_missing(f"{path}.building", "building", elevator.building, buildings))
        elif elevator.highest_floor > home.floors:
            problems.append(
                ConfigProblem(
                    f"{path}.highest_floor",
                    f"floor {elevator.highest_floor} is above building {home.id}'s {home.floors} floors",
                )
            )
        if claim(elevator.id, f"{path}.id"):
            elevators[elevator.id] = elevator

    circuits: dict[str, Circuit] = {}
    for i, circuit in enumerate(parsed.circuits):
        path = f"circuits[{i}]"
        if circuit.building is not None and circuit.building not in buildings:
            problems.append(_missing(f"{path}.building", "building", circuit.building, buildings))
        if circuit.area not in areas:
            problems.append(_missing(f"{path}.area", "public area", circuit.area, areas))
        if claim(circuit.id, f"{path}.id"):
            circuits[circuit.id] = circuit

    for m, mapping in enumerate(parsed.mqtt_mappings):
        for asset_id in mapping.fixed_assets():
            if asset_id not in asset_ids:
                problems.append(_missing(f"mqtt_mappings[{m}]", "asset", asset_id, asset_ids))

    return Site(
        info=parsed.site,
        buildings=buildings,
        units=units,
        areas=areas,
        meters=meters,
        elevators=elevators,
        circuits=circuits,
        mqtt_mappings=parsed.mqtt_mappings,
        rules=parsed.rules,
        use_builtin_rules=parsed.use_builtin_rules,
        source=source,
    )


def _resolve_units(buildings: Sequence[Building], problems: list[ConfigProblem]) -> dict[str, UnitInfo]:
    units: dict[str, UnitInfo] = {}
    for b, building in enumerate(buildings):
        generated: dict[str, Unit] = {}
        if building.unit_layout is not None:
            layout = building.unit_layout
            if layout.last_floor > building.floors:
                problems.append(
                    ConfigProblem(
                        f"buildings[{b}].unit_layout.last_floor",
                        f"floor {layout.last_floor} is above the building's {building.floors} floors",
                    )
                )
            for unit_id in layout.unit_ids(building.id):
                floor = int(unit_id.rsplit("-", 1)[1][:-2])
                generated[unit_id] = Unit(id=unit_id, floor=floor)
        explicit_ids: set[str] = set()
        for u, unit in enumerate(building.units):
            if unit.id in explicit_ids:
                problems.append(ConfigProblem(f"buildings[{b}].units[{u}].id", f"duplicate unit id {unit.id!r}"))
            explicit_ids.add(unit.id)
            base = generated.get(unit.id)
            # An explicit entry for a generated unit overrides it (e.g. marks it vacant), keeping its floor.
            unit_floor = unit.floor if unit.floor is not None else (base.floor if base else None)
            generated[unit.id] = unit.model_copy(update={"floor": unit_floor})
        for unit_id, unit_model in generated.items():
            if unit_id in units:
                problems.append(
                    ConfigProblem(
                        f"buildings[{b}].units",
                        f"unit id {unit_id!r} is also in building {units[unit_id].building}; unit ids are site-wide",
                    )
                )
            units[unit_id] = UnitInfo(building=building.id, unit=unit_model)
    return units


def _missing(path: str, what: str, value: str, known: Iterable[str]) -> ConfigProblem:
    names = sorted(known)
    hint = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
    return ConfigProblem(path, f"no {what} {value!r} in this site; known: {hint or 'none'}")
