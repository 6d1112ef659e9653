"""Read the maintenance file against the site: built-in plans resolved, every cross-reference checked.

`load_maintenance(path, site)` returns `Maintenance` or raises one `ConfigError` listing every problem as
`file: key.path: what to change` (an asset the site does not have, a contractor nobody declared, a plan
naming both a team and a contractor for a task).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from core.config_files import ConfigError, ConfigProblem, parse_config_file, read_config_text
from core.site import Site
from maintenance.config import Contractor, Equipment, Inspection, MaintenanceFile, Plan, Task

LIBRARY = Path(__file__).parent / "library"


@dataclass(frozen=True)
class AssetRef:
    """Something maintained: a site asset (elevator, lighting circuit, meter) or declared equipment."""

    id: str
    kind: str
    name: str
    building: str | None = None
    area: str | None = None
    run_circuit: str | None = None


@dataclass(frozen=True)
class PlannedTask:
    """One task of one plan for one asset: what the scheduler generates orders for."""

    site_id: str
    plan: Plan
    task: Task
    asset: AssetRef
    team: str | None
    contractor: Contractor | None

    @property
    def key(self) -> str:
        return f"{self.plan.id}/{self.task.id}/{self.asset.id}"


@dataclass(frozen=True)
class Maintenance:
    site_id: str
    timezone: str
    assets: dict[str, AssetRef]
    plans: tuple[Plan, ...]
    contractors: dict[str, Contractor]
    inspections: tuple[Inspection, ...]
    tasks: tuple[PlannedTask, ...] = field(default=())
    warnings: tuple[str, ...] = ()  # usable, but something will not happen (a run-hours task with no circuit)

    def task(self, key: str) -> PlannedTask | None:
        return next((t for t in self.tasks if t.key == key), None)

    def tasks_for(self, asset_id: str) -> list[PlannedTask]:
        return [t for t in self.tasks if t.asset.id == asset_id]


def library_names() -> list[str]:
    return sorted(p.stem for p in LIBRARY.glob("*.toml"))


def library_plan(name: str) -> Plan:
    """A built-in plan, validated like any config file (a broken one fails the test suite, not a site)."""
    path = LIBRARY / f"{name}.toml"
    return parse_config_file(read_config_text(path, "maintenance library"), Plan, source=str(path))


def site_assets(site: Site, equipment: tuple[Equipment, ...]) -> dict[str, AssetRef]:
    assets: dict[str, AssetRef] = {}
    for e in site.elevators.values():
        assets[e.id] = AssetRef(e.id, "elevator", e.name or e.id, building=e.building)
    for c in site.circuits.values():
        assets[c.id] = AssetRef(c.id, "lighting", c.name or c.id, building=c.building, area=c.area)
    for m in site.meters.values():
        assets[m.id] = AssetRef(m.id, "meter", m.id, area=m.area)
    for q in equipment:
        assets[q.id] = AssetRef(q.id, q.kind, q.name, building=q.building, area=q.area, run_circuit=q.run_circuit)
    return assets


def load_maintenance(path: str | Path, site: Site, *, teams: frozenset[str] | None = None) -> Maintenance:
    return parse_maintenance(read_config_text(path, "maintenance"), site, source=str(path), teams=teams)


def parse_maintenance(
    text: str, site: Site, *, source: str = "<memory>", teams: frozenset[str] | None = None
) -> Maintenance:
    """The file validated and resolved; `teams` (the alerts file's team ids), when given, are checked too."""
    parsed = parse_config_file(text, MaintenanceFile, source=source)
    problems: list[ConfigProblem] = []
    site_ids = set(site.elevators) | set(site.circuits) | set(site.meters)
    for i, q in enumerate(parsed.equipment):
        if q.id in site_ids:
            problems.append(ConfigProblem(f"equipment[{i}].id", f"{q.id} is already a site asset; use another id"))
        if q.area is not None and q.area not in site.areas:
            known = _known(site.areas)
            problems.append(ConfigProblem(f"equipment[{i}].area", f"unknown area {q.area}; known: {known}"))
        if q.run_circuit is not None and q.run_circuit not in site.circuits:
            problems.append(ConfigProblem(f"equipment[{i}].run_circuit", f"unknown circuit {q.run_circuit}"))
    assets = site_assets(site, parsed.equipment)
    contractors = {c.id: c for c in parsed.contractors}
    for i, c in enumerate(parsed.contractors):
        problems += _unknown_assets(c.assets, assets, f"contractors[{i}].assets")
        problems += _unknown_team(c.team, teams, f"contractors[{i}].team")
    plans = list(parsed.plans)
    for i, use in enumerate(parsed.use):
        if use.name not in library_names():
            problems.append(ConfigProblem(f"use[{i}].name", f"no built-in plan {use.name}; known: {library_names()}"))
            continue
        base = library_plan(use.name)
        update: dict[str, object] = {"id": use.id or base.id}
        if use.team is not None or use.contractor is not None:
            update.update(team=use.team, contractor=use.contractor)
        if use.anchor is not None:
            update["anchor"] = use.anchor
        if use.assets:
            update.update(assets=use.assets, kind=None)
        plans.append(base.model_copy(update=update))
    seen: set[str] = set()
    tasks: list[PlannedTask] = []
    for i, plan in enumerate(plans):
        where = f"plans[{i}]" if i < len(parsed.plans) else f"use[{i - len(parsed.plans)}]"
        if plan.id in seen:
            problems.append(ConfigProblem(f"{where}.id", f"plan {plan.id} appears twice; give each plan its own id"))
        seen.add(plan.id)
        problems += _unknown_assets(plan.assets, assets, f"{where}.assets")
        targets = [assets[a] for a in plan.assets if a in assets] or [
            a for a in assets.values() if plan.kind is not None and a.kind == plan.kind
        ]
        for j, task in enumerate(plan.tasks):
            team, contractor_id = plan.doer(task)
            spot = f"{where}.tasks[{j}]"
            if team is not None and contractor_id is not None:
                problems.append(ConfigProblem(spot, "give a team or a contractor, not both"))
            if contractor_id is not None and contractor_id not in contractors:
                problems.append(ConfigProblem(f"{spot}.contractor", f"unknown contractor {contractor_id}"))
            problems += _unknown_team(team, teams, f"{spot}.team")
            for asset in targets:
                contractor = contractors.get(contractor_id) if contractor_id else None
                tasks.append(PlannedTask(site.id, plan, task, asset, team, contractor))
    warnings = tuple(
        f"{t.key}: counts run hours but {t.asset.id} has no run_circuit; give it one, or the task never falls due"
        for t in tasks
        if t.task.usage is not None and t.task.usage.measure.value == "run_hours" and t.asset.run_circuit is None
    )
    for i, ins in enumerate(parsed.inspections):
        if ins.asset not in site.elevators:
            problems.append(ConfigProblem(f"inspections[{i}].asset", f"{ins.asset} is not an elevator of the site"))
    if problems:
        raise ConfigError(source, problems)
    return Maintenance(
        site_id=site.id,
        timezone=parsed.timezone or site.info.timezone,
        assets=assets,
        plans=tuple(plans),
        contractors=contractors,
        inspections=parsed.inspections,
        tasks=tuple(tasks),
        warnings=warnings,
    )


def _known(ids: Iterable[str]) -> str:
    return ", ".join(sorted(ids))


def _unknown_assets(ids: tuple[str, ...], assets: dict[str, AssetRef], where: str) -> list[ConfigProblem]:
    return [
        ConfigProblem(f"{where}[{k}]", f"unknown asset {a}; declare it under [[equipment]] or in the site file")
        for k, a in enumerate(ids)
        if a not in assets
    ]


def _unknown_team(team: str | None, teams: frozenset[str] | None, where: str) -> list[ConfigProblem]:
    if team is None or teams is None or team in teams:
        return []
    return [ConfigProblem(where, f"unknown team {team}; known in the alerts file: {', '.join(sorted(teams))}")]
