"""The maintenance file's models: equipment, plans with their tasks and checklists, contractors, inspections.

Plain data, validated by the one config loader (`core.config_files`), so every mistake reads
`file: key.path: what to change`. Cross-references (an asset the site does not have, a contractor nobody
declared) are checked by `maintenance.loading`, which knows the site.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from core.config_files import Strict
from core.ids import AssetId

Text = Field(min_length=1, max_length=500)


class Cadence(StrEnum):
    """How often a calendar task falls due, as elevator maintenance in China is organised (TSG T5002)."""

    DAYS_15 = "15d"  # 半月保养: at most 15 days after the previous one
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half-yearly"
    YEARLY = "yearly"


MONTHS = {Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3, Cadence.HALF_YEARLY: 6, Cadence.YEARLY: 12}


class ItemKind(StrEnum):
    CHECK = "check"  # pass / fail
    MEASURE = "measure"  # a value with limits; out of limits fails the item
    NOTE = "note"  # free text
    PHOTO = "photo"  # a photo is required


class UsageMeasure(StrEnum):
    TRIPS = "trips"  # elevator: times the car set off (state → moving)
    DOOR_CYCLES = "door_cycles"  # elevator: times the door closed after being open
    RUN_HOURS = "run_hours"  # a pump or fan: hours its circuit was on


class Equipment(Strict):
    """Plant the site file does not list (pumps, the generator, fire-water pumps), maintained all the same."""

    id: AssetId
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    name: str = Text
    area: str | None = None
    building: str | None = None
    run_circuit: AssetId | None = None  # the circuit whose `on` field says the machine runs (run hours)


class ChecklistItem(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
    text: str = Text
    kind: ItemKind = ItemKind.CHECK
    unit: str | None = Field(default=None, max_length=16)
    min: float | None = None
    max: float | None = None
    photo: bool = False  # a photo is asked for (required when kind = "photo")
    source: str = ""  # where the item comes from (a standard's table and item number)
    verify: bool = False  # quoted from memory: an engineer must check it against the source

    @model_validator(mode="after")
    def _limits(self) -> Self:
        if self.kind is ItemKind.MEASURE and self.min is None and self.max is None:
            raise ValueError(f"item {self.id}: a measured item needs min, max or both")
        if self.kind is not ItemKind.MEASURE and (self.min is not None or self.max is not None):
            raise ValueError(f'item {self.id}: min/max belong to kind = "measure" items')
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"item {self.id}: min {self.min} is above max {self.max}")
        return self

    def out_of_limits(self, value: float) -> bool:
        return (self.min is not None and value < self.min) or (self.max is not None and value > self.max)


class UsageTrigger(Strict):
    measure: UsageMeasure
    every: float = Field(gt=0, le=10_000_000)  # trips, cycles or hours since the last time it was done


class ConditionTrigger(Strict):
    """Due when a rule's alarm is raised for the asset (a trend: vibration rising against the car's baseline)."""

    rule: str = Field(min_length=1, max_length=80)


class Task(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    name: str = Text
    cadence: Cadence | None = None
    usage: UsageTrigger | None = None
    condition: ConditionTrigger | None = None
    lead_days: int = Field(default=3, ge=0, le=60)  # the order opens this many days before the due date
    team: str | None = None  # the alerts file's team that does it
    contractor: str | None = None  # or the contractor that does it (委外)
    items: tuple[ChecklistItem, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _trigger_and_items(self) -> Self:
        if self.cadence is None and self.usage is None and self.condition is None:
            raise ValueError(f"task {self.id}: give a cadence, a usage trigger or a condition (or several)")
        ids = [item.id for item in self.items]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"task {self.id}: item ids {', '.join(twice)} appear more than once")
        return self


class Plan(Strict):
    """Tasks for every asset of a kind (all elevators), or for the listed assets."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    name: str = Text
    source: str = ""
    kind: str | None = None
    assets: tuple[AssetId, ...] = ()
    anchor: date = date(2026, 1, 1)  # the first due date of each calendar task
    team: str | None = None  # default for the tasks
    contractor: str | None = None
    tasks: tuple[Task, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _target(self) -> Self:
        if (self.kind is None) == (not self.assets):
            raise ValueError(f"plan {self.id}: give either kind (every asset of it) or assets (a list), not both")
        ids = [task.id for task in self.tasks]
        if len(set(ids)) != len(ids):
            raise ValueError(f"plan {self.id}: task ids must be unique")
        return self

    def doer(self, task: Task) -> tuple[str | None, str | None]:
        """(team, contractor) of a task: its own, else the plan's."""
        if task.team is not None or task.contractor is not None:
            return task.team, task.contractor
        return self.team, self.contractor


class Contractor(Strict):
    """A maintenance contractor (委外) and its contract: scope, visits per month, contact."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    name: str = Text
    team: str  # the alerts file's team for the contractor: its channel and people get the notices
    scope: str = Text
    visits_per_month: int = Field(ge=0, le=62)
    contact: str = Text
    assets: tuple[AssetId, ...] = ()
    notice_days: int = Field(default=3, ge=0, le=60)  # notify this many days before a task is due
    contract_ends: date | None = None


class Inspection(Strict):
    """An elevator's statutory inspection (定期检验): when it is next due and the certificate in force."""

    asset: AssetId
    due: date
    certificate: str = Field(default="", max_length=80)
    inspected_on: date | None = None
    warn_days: int = Field(default=30, ge=1, le=180)


class LibraryUse(Strict):
    """A built-in plan (maintenance/library/<name>.toml) used as it is, with this site's doer and anchor."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")  # to use one plan twice
    team: str | None = None
    contractor: str | None = None
    anchor: date | None = None
    assets: tuple[AssetId, ...] = ()  # default: every asset of the plan's kind


class MaintenanceFile(Strict):
    use: tuple[LibraryUse, ...] = ()  # built-in plans: elevator (TSG T5002), pump, generator, fire-water, lighting
    timezone: str | None = None  # default: the site's
    equipment: tuple[Equipment, ...] = ()
    contractors: tuple[Contractor, ...] = ()
    plans: tuple[Plan, ...] = ()
    inspections: tuple[Inspection, ...] = ()
