"""A small site, rules written as TOML, an engine on a fake clock, and an in-memory state store."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from copy import deepcopy
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.clock import FakeClock
from core.reading import FieldValue, Reading
from core.site import Site
from core.site_loader import parse_site
from rules.config import AnyRule, parse_rules
from rules.engine import RuleEngine
from rules.state_store import StoredState

ZONE = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=ZONE)  # a Monday, midnight on site

SITE_TOML = """
[site]
id = "test"
name = "Test Gardens"
timezone = "Asia/Shanghai"

[[buildings]]
id = "B1"
floors = 2
unit_layout = { last_floor = 2, units_per_floor = 2 }
units = [{ id = "B1-0202", vacant = true }]

[[buildings]]
id = "B2"
floors = 2
unit_layout = { last_floor = 1, units_per_floor = 1 }

[[areas]]
id = "B1-corridor"
kind = "corridor"
building = "B1"

[[areas]]
id = "B1-lobby"
kind = "lobby"
building = "B1"

[[areas]]
id = "garage"
kind = "garage"

[[areas]]
id = "garden"
kind = "garden"

[[meter_groups]]
utilities = ["water", "electricity"]

[[meters]]
id = "GARDEN-W"
utility = "water"
area = "garden"

[[elevators]]
id = "B1-L1"
building = "B1"
highest_floor = 2

[[elevators]]
id = "B2-L1"
building = "B2"
highest_floor = 2

[[circuits]]
id = "B1-CORRIDOR-LIGHT"
area = "B1-corridor"

[[circuits]]
id = "B1-LOBBY-LIGHT"
area = "B1-lobby"

[[circuits]]
id = "GARAGE-LIGHT"
area = "garage"
"""


def site() -> Site:
    return parse_site(SITE_TOML, source="test-site.toml")


def rules(*texts: str) -> tuple[AnyRule, ...]:
    """Rules from TOML tables written without the `[[rules]]` header."""
    return parse_rules([tomllib.loads(text) for text in texts])


def make_engine(
    *texts: str, start: datetime = T0, store: MemoryStateStore | None = None, rule_list: Sequence[AnyRule] = ()
) -> tuple[RuleEngine, FakeClock]:
    clock = FakeClock(start)
    return RuleEngine((*rules(*texts), *rule_list), site(), clock, store=store), clock


def reading(asset_id: str, ts: datetime, **fields: FieldValue) -> Reading:
    return Reading(asset_id, ts, fields)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


def local(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """Site-local time on day 1, 2, … of the tests (day 1 is T0's date)."""
    return T0 + timedelta(days=day - 1, hours=hour, minutes=minute, seconds=second)


class MemoryStateStore:
    """The state store port kept in a dict, as a database would: values copied in and out."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], StoredState] = {}
        self.saves = 0

    def load_all(self) -> list[StoredState]:
        return [deepcopy(state) for state in self.rows.values()]

    def save(self, states: Sequence[StoredState]) -> None:
        self.saves += 1
        for state in states:
            self.rows[(state.rule_id, state.asset_id)] = deepcopy(state)

    def delete(self, keys: Sequence[tuple[str, str]]) -> None:
        for key in keys:
            self.rows.pop(key, None)
