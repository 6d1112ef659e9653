"""Threshold: a numeric field beyond a level for a while, clearing at a separate level (hysteresis).

With a baseline the levels are multiples of the asset's own normal value (the mean of its first normal
readings, then held), so each elevator car is judged against itself as it was when learnt.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from core.config_files import Strict
from core.durations import Duration
from core.reading import FieldValue
from rules.config import NUMERIC, Condition, FieldRef, RuleBase
from rules.evaluation import (
    Context,
    Evaluator,
    Evidence,
    Json,
    ReadingsOnly,
    Verdict,
    iso,
    load_ts,
    normal,
    number,
    violating,
)
from rules.kinds.conditions import all_hold


class Baseline(Strict):
    """The asset's own normal level: the mean of its first `samples` normal readings, then held.

    Held, not moving: a baseline that kept learning would follow a bearing that wears over days and
    never see it. The reference is learnt once (as condition monitoring learns one after commissioning).
    """

    samples: int = Field(default=500, ge=2, le=100_000)
    min_samples: int = Field(default=100, ge=1)  # no alarm until this many readings were learnt


class ThresholdRule(RuleBase):
    kind: Literal["threshold"] = "threshold"

    titles: ClassVar[tuple[str, str]] = ("超限", "Out of range")
    listing_order: ClassVar[int] = 10
    templates: ClassVar[Mapping[str, tuple[str, str]]] = {
        "threshold.above": (
            "{asset} 的 {field} 为 {value}，高于 {limit}（自 {since} 起）",
            "{asset}: {field} is {value}, above {limit} since {since}",
        ),
        "threshold.below": (
            "{asset} 的 {field} 为 {value}，低于 {limit}（自 {since} 起）",
            "{asset}: {field} is {value}, below {limit} since {since}",
        ),
    }
    field: str = Field(min_length=1)
    above: float | None = None
    below: float | None = None
    clear: float | None = None  # hysteresis: the level that ends an alarm; defaults to the trigger level
    for_: Duration = Field(default=timedelta(0), alias="for")
    when: tuple[Condition, ...] = ()  # only readings meeting all of these are judged
    baseline: Baseline | None = None  # above/below/clear are then multiples of the asset's own baseline

    def field_refs(self) -> list[FieldRef]:
        refs: list[FieldRef] = [("field", self.field, NUMERIC)]
        return refs + [(f"{path}.field", c.field, None) for path, c in self.condition_refs()]

    def condition_refs(self) -> list[tuple[str, Condition]]:
        return [(f"when[{i}]", c) for i, c in enumerate(self.when)]

    @model_validator(mode="after")
    def _levels(self) -> Self:
        if (self.above is None) == (self.below is None):
            raise ValueError("set exactly one of 'above' or 'below'")
        trigger = self.trigger
        if self.baseline is not None and (trigger <= 0 or (self.clear is not None and self.clear <= 0)):
            raise ValueError("with a baseline, above/below/clear are multiples of it and must be above 0")
        if self.clear is not None and (self.clear > trigger if self.above is not None else self.clear < trigger):
            side = "at or below 'above'" if self.above is not None else "at or above 'below'"
            raise ValueError(f"clear {self.clear} must be {side} ({trigger}), or the alarm could never clear")
        return self

    @property
    def trigger(self) -> float:
        """The level that starts an alarm (a multiple of the baseline when there is one)."""
        if self.above is not None:
            return self.above
        if self.below is not None:
            return self.below
        raise RuntimeError("unreachable: the model validator requires above or below")

    @property
    def clear_level(self) -> float:
        return self.clear if self.clear is not None else self.trigger

    def evaluator(self, context: Context) -> Evaluator:
        return ThresholdEvaluator(self, context)


class ThresholdEvaluator(ReadingsOnly):
    def __init__(self, rule: ThresholdRule, context: Context) -> None:
        self.rule = rule
        self.zone = context.zone
        self.fields = frozenset({rule.field})
        self.upward = rule.above is not None
        self.key = "threshold.above" if self.upward else "threshold.below"
        self.since: datetime | None = None
        self.mean: float | None = None
        self.samples = 0

    def on_reading(self, ts: datetime, fields: Mapping[str, FieldValue], firing: bool) -> Verdict | None:
        value = number(fields.get(self.rule.field))
        if value is None or (self.rule.when and all_hold(self.rule.when, fields) is not True):
            return None  # e.g. a vibration reading while the car stands still is neither good nor bad
        levels = self._levels()
        if levels is None:
            self._learn(value)
            return None
        trigger, clear = levels
        evidence = self._evidence(ts, value, trigger, clear)
        if firing:
            if (value <= clear) if self.upward else (value >= clear):
                self.since = None
                return normal(evidence)
            return None
        if (value > trigger) if self.upward else (value < trigger):
            self.since = self.since or ts
            return violating(
                self.since, self.since + self.rule.for_, self.key, {**evidence, "since": iso(self.since, self.zone)}
            )
        self.since = None
        self._learn(value)  # only normal values teach the baseline, so a fault never becomes normal
        return normal(evidence)

    def _levels(self) -> tuple[float, float] | None:
        baseline = self.rule.baseline
        if baseline is None:
            return self.rule.trigger, self.rule.clear_level
        if self.mean is None or self.samples < baseline.min_samples:
            return None
        return self.rule.trigger * self.mean, self.rule.clear_level * self.mean

    def _learn(self, value: float) -> None:
        baseline = self.rule.baseline
        if baseline is None or self.samples >= baseline.samples:
            return  # learnt: the reference is held, so slow wear stays visible against it
        self.samples += 1
        self.mean = value if self.mean is None else self.mean + (value - self.mean) / self.samples

    def _evidence(self, ts: datetime, value: float, trigger: float, clear: float) -> Evidence:
        evidence: dict[str, str | float | None] = {
            "field": self.rule.field,
            "value": value,
            "limit": round(trigger, 6),
            "clear": round(clear, 6),
            "at": iso(ts, self.zone),
        }
        if self.mean is not None:
            evidence["baseline"] = round(self.mean, 6)
        return evidence

    def reset_baseline(self) -> bool:
        """Learn the asset's normal again from its next normal readings (after an overhaul); False: no baseline."""
        if self.rule.baseline is None:
            return False
        self.mean, self.samples = None, 0
        return True

    def dump(self) -> dict[str, Json]:
        return {"since": iso(self.since, self.zone), "mean": self.mean, "samples": self.samples}

    def load(self, data: Mapping[str, Json]) -> None:
        self.since = load_ts(data.get("since"))
        self.mean = number(data.get("mean"))
        samples = data.get("samples")
        self.samples = samples if isinstance(samples, int) and not isinstance(samples, bool) else 0
