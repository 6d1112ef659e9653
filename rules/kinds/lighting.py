"""長明燈: a lighting circuit on longer than `max_on`, or on inside the daylight window for its `for`.

The alarm ends only when the circuit reports off, so a light stuck on does not clear at the end of the
daylight window and raise again at night.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from core.config_files import Strict
from core.durations import Duration, TimeOfDay
from core.measurements import AssetKind, FieldType
from core.reading import FieldValue
from rules.config import FieldRef, RuleBase
from rules.evaluation import (
    Context,
    Evaluator,
    EvidenceValue,
    Json,
    ReadingsOnly,
    Verdict,
    iso,
    load_ts,
    normal,
    violating,
)
from rules.windows import first_stay, span_text


class DaylightWindow(Strict):
    start: TimeOfDay
    end: TimeOfDay
    for_: Duration = Field(default=timedelta(0), alias="for")  # on inside the window this long

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"end {self.end:%H:%M} must be after start {self.start:%H:%M}")
        length = timedelta(hours=self.end.hour - self.start.hour, minutes=self.end.minute - self.start.minute)
        if self.for_ > length:
            raise ValueError(f"'for' is longer than the window ({length}), so it could never fire")
        return self


class ContinuousOnRule(RuleBase):
    """長明燈: a circuit on longer than `max_on`, or on inside the daylight window."""

    kind: Literal["continuous_on"] = "continuous_on"

    titles: ClassVar[tuple[str, str]] = ("长明灯", "Lights left on")
    listing_order: ClassVar[int] = 40
    templates: ClassVar[Mapping[str, tuple[str, str]]] = {
        "continuous_on.daylight": (
            "{asset} 白天（{window}）仍开着，自 {since} 起未关",
            "{asset} is on in daylight ({window}), on since {since}",
        ),
        "continuous_on.max_on": (
            "{asset} 已连续开启超过 {max_on_s}（自 {since} 起）",
            "{asset} has been on for more than {max_on_s} (since {since})",
        ),
    }
    field: str = "on"
    max_on: Duration | None = None
    daylight: DaylightWindow | None = None

    applies_to: ClassVar[frozenset[AssetKind]] = frozenset({AssetKind.CIRCUIT})

    def field_refs(self) -> list[FieldRef]:
        return [("field", self.field, frozenset({FieldType.BOOL}))]

    @model_validator(mode="after")
    def _some_check(self) -> Self:
        if self.max_on is None and self.daylight is None:
            raise ValueError("set 'max_on', 'daylight' or both")
        if self.max_on is not None and self.max_on <= timedelta(0):
            raise ValueError("max_on must be longer than 0")
        return self

    def evaluator(self, context: Context) -> Evaluator:
        return ContinuousOnEvaluator(self, context)


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
