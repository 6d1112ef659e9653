"""長明燈: a lighting circuit on longer than `max_on`, or on inside the daylight window for its `for`.

The alarm ends only when the circuit reports off, so a light stuck on does not clear at the end of the
daylight window and raise again at night.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from core.reading import FieldValue
from core.rule_config import ContinuousOnRule
from rules.kinds.base import Context, EvidenceValue, Json, ReadingsOnly, Verdict, iso, load_ts, normal, violating
from rules.windows import first_stay, span_text


class ContinuousOnEvaluator(ReadingsOnly):
    def __init__(self, rule: ContinuousOnRule, context: Context) -> None:
        self.rule = rule
        self.zone = context.zone
        self.fields = frozenset({rule.field})
        self.on_since: datetime | None = None

    def on_reading(self, ts: datetime, fields: Mapping[str, FieldValue], firing: bool) -> Verdict | None:
        on = fields.get(self.rule.field)
        if not isinstance(on, bool):
            return None
        if not on:
            self.on_since = None
            return normal({"on": False, "at": iso(ts, self.zone)})
        self.on_since = self.on_since or ts
        if firing:
            return None
        due, key = self._due(self.on_since)
        evidence: dict[str, EvidenceValue] = {
            "on_since": iso(self.on_since, self.zone),
            "since": iso(self.on_since, self.zone),
        }
        if self.rule.daylight is not None:
            evidence["window"] = span_text(self.rule.daylight.start, self.rule.daylight.end)
        if self.rule.max_on is not None:
            evidence["max_on_s"] = self.rule.max_on.total_seconds()
        return violating(self.on_since, due, key, {**evidence, "at": iso(ts, self.zone)})

    def _due(self, since: datetime) -> tuple[datetime, str]:
        """When a light on since `since` becomes a 長明燈, and which check says so."""
        candidates = []
        if self.rule.max_on is not None:
            candidates.append((since + self.rule.max_on, "continuous_on.max_on"))
        daylight = self.rule.daylight
        if daylight is not None:
            when = first_stay(since, daylight.start, daylight.end, daylight.for_, self.zone)
            candidates.append((when, "continuous_on.daylight"))
        return min(candidates)

    def dump(self) -> dict[str, Json]:
        return {"on_since": iso(self.on_since, self.zone)}

    def load(self, data: Mapping[str, Json]) -> None:
        self.on_since = load_ts(data.get("on_since"))
