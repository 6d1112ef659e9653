"""The site loader: a site file (TOML) as a resolved `Site`, or ConfigError naming every problem by key path."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from core.config_files import ConfigError, ConfigProblem, parse_config_file, read_config_text
from core.device_kinds import DeviceKind, builtin_kinds
from core.site import (
    UTILITY_CODE,
    Building,
    Circuit,
    Elevator,
    Meter,
    PublicArea,
    RuleConfig,
    Sensor,
    Site,
    SiteFile,
    Unit,
    UnitInfo,
    site_file_model,
)


def load_site(path: str | Path) -> Site:
    return parse_site(read_config_text(path, "site"), source=str(path))


def parse_site(text: str, *, source: str = "<memory>") -> Site:
    parsed = parse_config_file(text, site_file_model(), source=source)
    problems: list[ConfigProblem] = []
    site = _resolve(parsed, source, problems)
    if not problems:  # rule targets are checked against a site whose references hold
        problems += rule_problems(site.rules, site)
    if problems:
        raise ConfigError(source, problems)
    return site


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

    kinds = _resolve_kinds(parsed.device_kinds, problems)
    sensors: dict[str, Sensor] = {}
    for i, sensor in enumerate(parsed.sensors):
        path = f"sensors[{i}]"
        if (sensor.unit is None) == (sensor.area is None):
            problems.append(ConfigProblem(path, "a sensor belongs to exactly one place: set either 'unit' or 'area'"))
        if sensor.unit is not None and sensor.unit not in units:
            problems.append(_missing(f"{path}.unit", "unit", sensor.unit, units))
        if sensor.area is not None and sensor.area not in areas:
            problems.append(_missing(f"{path}.area", "public area", sensor.area, areas))
        if sensor.kind not in kinds:
            problems.append(_missing(f"{path}.kind", "device kind", sensor.kind, kinds))
        if claim(sensor.id, f"{path}.id"):
            sensors[sensor.id] = sensor

    sections = parsed.sections()
    for name, entries in sections.items():
        for i, entry in enumerate(entries):
            for asset_id in entry.referenced_assets():
                if asset_id not in asset_ids:
                    problems.append(_missing(f"{name}[{i}]", "asset", asset_id, asset_ids))

    return Site(
        info=parsed.site,
        buildings=buildings,
        units=units,
        areas=areas,
        meters=meters,
        elevators=elevators,
        circuits=circuits,
        sections=sections,
        rules=parsed.rules,
        use_builtin_rules=parsed.use_builtin_rules,
        source=source,
        sensors=sensors,
        device_kinds=kinds,
    )


def _resolve_kinds(declared: Sequence[DeviceKind], problems: list[ConfigProblem]) -> dict[str, DeviceKind]:
    """The built-in kinds and the site's own; a site kind may not reuse a built-in id or another site kind's."""
    kinds = dict(builtin_kinds())
    for i, kind in enumerate(declared):
        if kind.id in builtin_kinds():
            problems.append(ConfigProblem(f"device_kinds[{i}].id", f"{kind.id!r} is a built-in kind; use another id"))
        elif kind.id in kinds:
            problems.append(ConfigProblem(f"device_kinds[{i}].id", f"duplicate device kind id {kind.id!r}"))
        else:
            kinds[kind.id] = kind
    return kinds


def rule_problems(rules: Sequence[RuleConfig], site: Site, *, key: str = "rules") -> list[ConfigProblem]:
    """Rule ids are unique; each rule checks itself against the site (its kind's `site_problems`)."""
    problems: list[ConfigProblem] = []
    seen: dict[str, int] = {}
    for i, rule in enumerate(rules):
        at = f"{key}[{i}]"
        if rule.id in seen:
            problems.append(
                ConfigProblem(f"{at}.id", f"duplicate rule id {rule.id!r}, already used at {key}[{seen[rule.id]}]")
            )
        seen.setdefault(rule.id, i)
        problems += rule.site_problems(site, at)
    return problems


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
