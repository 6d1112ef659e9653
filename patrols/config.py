"""Patrol routes as data (巡检路线): checkpoints with their checklist items, routes with a role and a frequency.

The file is read by the one config loader (`core.config_files`) and fails with `ConfigError`, every problem
as `file: key.path: what to change`; references to the site (buildings, areas, units) and between checkpoints
and routes are checked against the loaded site. See docs/patrols.md for every key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta
from enum import StrEnum
from pathlib import Path

from pydantic import Field, field_validator

from core.config_files import ConfigError, ConfigProblem, Strict, parse_config_file, read_config_text
from core.durations import Duration, TimeOfDay
from core.site import Site
from workorders.values import Category

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,15}$")


class PatrolRole(StrEnum):
    MANAGER = "manager"  # the service-centre manager's daily round (經理每日巡查)
    REPAIR = "repair"  # the repair crew at the set frequency (維修巡查)
    SECURITY = "security"  # security rounds (保安巡邏)


class Checkpoint(Strict):
    """A place a patrol must reach: a pump room, a rooftop door, a building's corridors, a vacant unit."""

    code: str = Field(description="short code printed under the QR label and typed when no camera works")
    name: str = Field(min_length=1, max_length=80)
    building: str | None = None
    area: str | None = None
    unit: str | None = None
    items: tuple[str, ...] = Field(min_length=1, max_length=30)
    category: Category = Category.OTHER  # of the work order a finding opens

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not CODE_PATTERN.fullmatch(value):
            raise ValueError("a code is 2-16 capital letters, digits or '-', starting with a letter or digit")
        return value

    @field_validator("items")
    @classmethod
    def _items(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not item.strip() or len(item) > 120:
                raise ValueError(f"checklist item {item!r} must be 1-120 characters of text")
        if len(set(value)) != len(value):
            raise ValueError("checklist items must differ from each other")
        return value


class Route(Strict):
    """A round of checkpoints walked by one role, due every `every` from `start` (site time)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,47}$")
    name: str = Field(min_length=1, max_length=80)
    role: PatrolRole
    every: Duration
    start: TimeOfDay = time(9, 0)
    late_after: Duration = timedelta(hours=1)  # not started by then: the supervisor hears it is late
    window: Duration | None = None  # not completed by then: missed (default: the whole period)
    checkpoints: tuple[str, ...] = Field(min_length=1)
    supervisor_team: str | None = None  # the alerts file's team told of late and missed patrols

    @field_validator("every")
    @classmethod
    def _every(cls, value: timedelta) -> timedelta:
        if value < timedelta(hours=1) or value > timedelta(days=31):
            raise ValueError("every must be between 1h and 31d")
        return value

    @property
    def deadline(self) -> timedelta:
        return self.window if self.window is not None else self.every


class PatrolFile(Strict):
    supervisor_team: str | None = None  # default for every route
    checkpoints: tuple[Checkpoint, ...] = ()
    routes: tuple[Route, ...] = ()


@dataclass(frozen=True)
class PatrolBook:
    """The loaded, cross-checked routes of one site."""

    checkpoints: dict[str, Checkpoint]
    routes: dict[str, Route]
    supervisor_team: str | None = None
    source: str = "<memory>"

    def route(self, route_id: str) -> Route:
        try:
            return self.routes[route_id]
        except KeyError:
            raise ValueError(f"no patrol route {route_id!r}; known: {', '.join(sorted(self.routes))}") from None

    def stops(self, route_id: str) -> list[Checkpoint]:
        return [self.checkpoints[code] for code in self.route(route_id).checkpoints]

    def supervisor(self, route: Route) -> str | None:
        return route.supervisor_team or self.supervisor_team


EMPTY = PatrolBook(checkpoints={}, routes={})


def check_supervisors(book: PatrolBook, teams: set[str]) -> None:
    """ConfigError unless every route's supervisor team is a team of the alerts file (else nobody would hear)."""
    problems = [
        ConfigProblem(f"routes.{route.id}.supervisor_team" if route.supervisor_team else "supervisor_team",
                      f"no team {book.supervisor(route)!r} in the alerts file; known: {', '.join(sorted(teams))}")
        for route in book.routes.values()
        if book.supervisor(route) is not None and book.supervisor(route) not in teams
    ]  # fmt: skip
    if problems:
        raise ConfigError(book.source, problems)


def parse_patrols(text: str, site: Site, *, source: str = "<memory>") -> PatrolBook:
    """The routes in `text`, checked against `site`; ConfigError lists every problem."""
    parsed = parse_config_file(text, PatrolFile, source=source)
    problems = _problems(parsed, site)
    if problems:
        raise ConfigError(source, problems)
    return PatrolBook(
        checkpoints={c.code: _placed(c, site) for c in parsed.checkpoints},
        routes={r.id: r for r in parsed.routes},
        supervisor_team=parsed.supervisor_team,
        source=source,
    )


def load_patrols(path: str | Path, site: Site) -> PatrolBook:
    return parse_patrols(read_config_text(path, "patrols"), site, source=str(path))


def _problems(parsed: PatrolFile, site: Site) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    codes: set[str] = set()
    for i, point in enumerate(parsed.checkpoints):
        at = f"checkpoints[{i}]"
        if point.code in codes:
            problems.append(ConfigProblem(f"{at}.code", f"code {point.code!r} is used twice; give each its own"))
        codes.add(point.code)
        for key, value, known in (
            ("building", point.building, site.buildings),
            ("area", point.area, site.areas),
            ("unit", point.unit, site.units),
        ):
            if value is not None and value not in known:
                names = ", ".join(sorted(known)[:8])
                problems.append(ConfigProblem(f"{at}.{key}", f"no {key} {value!r} in the site; known: {names}"))
    ids: set[str] = set()
    for i, route in enumerate(parsed.routes):
        at = f"routes[{i}]"
        if route.id in ids:
            problems.append(ConfigProblem(f"{at}.id", f"route id {route.id!r} is used twice"))
        ids.add(route.id)
        for j, code in enumerate(route.checkpoints):
            if code not in codes:
                listed = ", ".join(sorted(codes))
                problems.append(ConfigProblem(f"{at}.checkpoints[{j}]", f"no checkpoint {code!r}; known: {listed}"))
        if len(set(route.checkpoints)) != len(route.checkpoints):
            problems.append(ConfigProblem(f"{at}.checkpoints", "a checkpoint is listed twice; list each once"))
        if route.late_after > route.deadline:
            problems.append(ConfigProblem(f"{at}.late_after", "late_after must not be longer than the window"))
    return problems


def _placed(point: Checkpoint, site: Site) -> Checkpoint:
    """A unit's or an area's checkpoint carries its building too (the work order a finding opens needs it)."""
    if point.building is not None:
        return point
    if point.unit is not None:
        return point.model_copy(update={"building": site.units[point.unit].building})
    if point.area is not None and site.areas[point.area].building is not None:
        return point.model_copy(update={"building": site.areas[point.area].building})
    return point
