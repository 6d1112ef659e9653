"""Threshold: a numeric field beyond a level for a while, clearing at a separate level (hysteresis).

With a baseline the levels are multiples of the asset's own normal value (the mean of its first normal
readings, then held), so each elevator car is judged against itself as it was when learnt.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from core.reading import FieldValue
from core.rule_config import ThresholdRule
from rules.kinds.base import Context, Evidence, Json, ReadingsOnly, Verdict, iso, load_ts, normal, number, violating
from rules.kinds.conditions import all_hold


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
