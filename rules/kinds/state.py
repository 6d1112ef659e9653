"""State rules: fault code, door open while moving, stopped outside a door zone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from core.durations import Duration
from core.reading import FieldValue
from rules.config import Condition, FieldRef, RuleBase
from rules.evaluation import Context, Evaluator, Json, ReadingsOnly, Verdict, iso, load_ts, normal, violating
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
