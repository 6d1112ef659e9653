"""State rules (fault code, door open while moving, stopped outside a door zone) and elevator entrapment."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from core.durations import Duration
from core.measurements import AssetKind
from core.reading import FieldValue
from rules.config import Condition, FieldRef, RuleBase, Severity
from rules.kinds.base import Context, Evaluator, Json, ReadingsOnly, Verdict, iso, load_ts, normal, violating
from rules.kinds.conditions import all_hold, describe


class StateRule(RuleBase):
    kind: Literal["state"] = "state"

    titles: ClassVar[tuple[str, str]] = ("状态异常", "Abnormal state")
    listing_order: ClassVar[int] = 20
    templates: ClassVar[Mapping[str, tuple[str, str]]] = {
        "state": ("{asset}：{conditions}（自 {since} 起）", "{asset}: {conditions} since {since}")
    }
    conditions: tuple[Condition, ...]  # all must hold
    for_: Duration = Field(default=timedelta(0), alias="for")

    @field_validator("conditions")
    @classmethod
    def _some_condition(cls, value: tuple[Condition, ...]) -> tuple[Condition, ...]:
        # Not Field(min_length=1): that would repeat every bad condition's error as "too short".
        if not value:
            raise ValueError('list at least one condition, e.g. [{ field = "fault_code", op = "ne", value = 0 }]')
        return value

    def field_refs(self) -> list[FieldRef]:
        return [(f"{path}.field", c.field, None) for path, c in self.condition_refs()]

    def condition_refs(self) -> list[tuple[str, Condition]]:
        return [(f"conditions[{i}]", c) for i, c in enumerate(self.conditions)]

    def evaluator(self, context: Context) -> Evaluator:
        return StateEvaluator(self, context)


class EntrapmentRule(RuleBase):
    """Alarm button pressed while the car is stopped with its doors closed, for `for`: someone is trapped."""

    kind: Literal["entrapment"] = "entrapment"

    titles: ClassVar[tuple[str, str]] = ("困人", "Entrapment")
    listing_order: ClassVar[int] = 30
    templates: ClassVar[Mapping[str, tuple[str, str]]] = {
        "entrapment": (
            "{asset} 疑似困人：轿厢内报警按钮已按下，轿厢停在 {floor} 层且门关闭（自 {since} 起）",
            "{asset}: possible entrapment — alarm button pressed, car stopped at floor {floor} with doors closed "
            "since {since}",
        )
    }
    severity: Severity = Severity.CRITICAL
    for_: Duration = Field(default=timedelta(seconds=30), alias="for")
    stopped_states: tuple[str, ...] = Field(default=("stopped", "idle"), min_length=1)

    applies_to: ClassVar[frozenset[AssetKind]] = frozenset({AssetKind.ELEVATOR})

    def evaluator(self, context: Context) -> Evaluator:
        return EntrapmentEvaluator(self, context)


class StateEvaluator(ReadingsOnly):
    """Every condition holds for `for`; clears as soon as one does not."""

    def __init__(self, rule: StateRule, context: Context) -> None:
        self.rule = rule
        self.zone = context.zone
        self.fields = frozenset(c.field for c in rule.conditions)
        self.text = describe(rule.conditions)
        self.since: datetime | None = None

    def on_reading(self, ts: datetime, fields: Mapping[str, FieldValue], firing: bool) -> Verdict | None:
        held = all_hold(self.rule.conditions, fields)
        if held is None:
            return None
        evidence = {"conditions": self.text, "at": iso(ts, self.zone)} | {
            f: fields[f] for f in self.fields if f in fields
        }
        if not held:
            self.since = None
            return normal(evidence)
        self.since = self.since or ts
        return violating(
            self.since, self.since + self.rule.for_, "state", {**evidence, "since": iso(self.since, self.zone)}
        )

    def dump(self) -> dict[str, Json]:
        return {"since": iso(self.since, self.zone)}

    def load(self, data: Mapping[str, Json]) -> None:
        self.since = load_ts(data.get("since"))


class EntrapmentEvaluator(ReadingsOnly):
    """The alarm button latches (a trapped passenger presses, lets go, presses again) until the doors open
    or the car runs again.

    Condition: latched, car in a stopped state and doors closed; it ends when the doors open or the car moves.
    """

    fields = frozenset({"alarm", "state", "door"})

    def __init__(self, rule: EntrapmentRule, context: Context) -> None:
        self.rule = rule
        self.zone = context.zone
        self.pressed_at: datetime | None = None
        self.shut_since: datetime | None = None  # car stopped with doors closed since

    def on_reading(self, ts: datetime, fields: Mapping[str, FieldValue], firing: bool) -> Verdict | None:
        state, door, alarm = fields.get("state"), fields.get("door"), fields.get("alarm")
        if not isinstance(state, str) or not isinstance(door, str):
            return None
        if door != "closed" or (state not in self.rule.stopped_states and alarm is not True):
            # Open doors let people out; a car running again with nobody pressing has been freed. Either
            # way the latch ends, or a car idling with closed doors after the rescue would look trapped.
            self.pressed_at = None
        elif alarm is True and self.pressed_at is None:
            self.pressed_at = ts
        shut = door == "closed" and state in self.rule.stopped_states
        self.shut_since = (self.shut_since or ts) if shut else None
        evidence = {"state": state, "door": door, "floor": fields.get("floor"), "at": iso(ts, self.zone)}
        evidence["alarm_pressed_at"] = iso(self.pressed_at, self.zone)
        if self.pressed_at is None or self.shut_since is None:
            return normal(evidence)
        since = max(self.pressed_at, self.shut_since)
        return violating(since, since + self.rule.for_, "entrapment", {**evidence, "since": iso(since, self.zone)})

    def dump(self) -> dict[str, Json]:
        return {"pressed_at": iso(self.pressed_at, self.zone), "shut_since": iso(self.shut_since, self.zone)}

    def load(self, data: Mapping[str, Json]) -> None:
        self.pressed_at = load_ts(data.get("pressed_at"))
        self.shut_since = load_ts(data.get("shut_since"))
