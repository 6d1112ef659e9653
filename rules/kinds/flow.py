"""長流水 / suspected leak: a meter's total rose in every interval for `rising_for`, or use inside the daily
window (e.g. 02:00–05:00) went above its limit. The alarm ends after `clear_after` without a rise.

Only readings can show water flowing, so this kind never fires on a tick.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from core.config_files import Strict
from core.durations import Duration, TimeOfDay
from core.measurements import AssetKind
from core.reading import FieldValue
from rules.config import NUMERIC, FieldRef, RuleBase
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
    number,
    violating,
)
from rules.windows import span_text, window_at


class UsageWindow(Strict):
    """Use between `start` and `end` each day (crossing midnight if end < start; start = end: all day)."""

    start: TimeOfDay
    end: TimeOfDay
    above: float = Field(ge=0)  # in the meter's unit (m³ for water)


class ContinuousFlowRule(RuleBase):
    """長流水: the total rose in every interval for `rising_for`, or use inside `window` exceeded its limit."""

    kind: Literal["continuous_flow"] = "continuous_flow"

    titles: ClassVar[tuple[str, str]] = ("长流水", "Water running")
    listing_order: ClassVar[int] = 50
    templates: ClassVar[Mapping[str, tuple[str, str]]] = {
        "continuous_flow.rising": (
            "{asset} 自 {since} 起每个抄表间隔都在走字，疑似长流水或漏水（当前读数 {total}）",
            "{asset} has risen in every interval since {since}: water running or a leak (register {total})",
        ),
        "continuous_flow.window": (
            "{asset} 在 {window} 用水 {used}，超过 {limit}，疑似漏水（自 {since} 起）",
            "{asset} used {used} in {window}, above {limit}: suspected leak (since {since})",
        ),
    }
    field: str = "total"
    rising_for: Duration | None = None
    window: UsageWindow | None = None
    min_rise: float = Field(default=0.0, ge=0)  # a rise of this much or less counts as no flow
    clear_after: Duration = timedelta(hours=1)  # the alarm ends after this long without a rise

    applies_to: ClassVar[frozenset[AssetKind]] = frozenset({AssetKind.METER})

    def trade_for(self, tags: Mapping[str, str]) -> str | None:
        """Water flowing where it should not is the plumber's job, power the electrician's (unless `trade` says)."""
        return self.trade or {"water": "plumbing", "electricity": "electrical"}.get(tags.get("utility", ""))

    def field_refs(self) -> list[FieldRef]:
        return [("field", self.field, NUMERIC)]

    @model_validator(mode="after")
    def _some_check(self) -> Self:
        if self.rising_for is None and self.window is None:
            raise ValueError("set 'rising_for', 'window' or both")
        return self

    def evaluator(self, context: Context) -> Evaluator:
        return ContinuousFlowEvaluator(self, context)


class ContinuousFlowEvaluator(ReadingsOnly):
    def __init__(self, rule: ContinuousFlowRule, context: Context) -> None:
        self.rule = rule
        self.zone = context.zone
        self.fields = frozenset({rule.field})
        self.last_total: float | None = None
        self.last_ts: datetime | None = None
        self.streak_start: datetime | None = None  # start of the run of intervals that all rose
        self.last_rise: datetime | None = None
        self.window_start: datetime | None = None
        self.window_base: float | None = None  # the total when the current window (or use after a clear) began

    def on_reading(self, ts: datetime, fields: Mapping[str, FieldValue], firing: bool) -> Verdict | None:
        total = number(fields.get(self.rule.field))
        if total is None:
            return None
        before, before_ts = self.last_total, self.last_ts
        self.last_total, self.last_ts = total, ts
        if before is None or before_ts is None or total < before:
            # Nothing to compare with, or a replaced/rolled-over register: start counting again.
            self.streak_start = self.window_start = self.window_base = None
            return None
        rising = total - before > self.rule.min_rise
        if rising:
            self.streak_start = self.streak_start or before_ts
            self.last_rise = ts
        else:
            self.streak_start = None
        used = self._window_use(ts, total, before_ts, before)
        evidence: dict[str, EvidenceValue] = {
            "field": str(self.rule.field),  # which register: the work order's chart draws it
            "total": total,
            "at": iso(ts, self.zone),
            "rising_since": iso(self.streak_start, self.zone),
        }
        if firing:
            quiet_since = self.last_rise or before_ts
            if rising or ts - quiet_since < self.rule.clear_after:
                return None
            self.window_base = total  # use before the clear must not raise the alarm again
            return normal({**evidence, "quiet_since": iso(quiet_since, self.zone)})
        rising_for, since = self.rule.rising_for, self.streak_start
        if rising_for is not None and since is not None and ts - since >= rising_for:
            return violating(since, ts, "continuous_flow.rising", {**evidence, "since": iso(since, self.zone)})
        window = self.rule.window
        if window is not None and used is not None and used > window.above and self.window_start is not None:
            since = self.streak_start or self.window_start
            evidence |= {"used": round(used, 6), "limit": window.above, "window": span_text(window.start, window.end)}
            return violating(since, ts, "continuous_flow.window", {**evidence, "since": iso(since, self.zone)})
        return normal(evidence)

    def _window_use(self, ts: datetime, total: float, before_ts: datetime, before: float) -> float | None:
        """Use since the window opened (or since the last clear), or None outside the window."""
        window = self.rule.window
        bounds = window_at(ts, window.start, window.end, self.zone) if window is not None else None
        if bounds is None:
            self.window_start = self.window_base = None
            return None
        if self.window_start != bounds[0] or self.window_base is None:
            # The register at the opening: this reading if it is exactly then, else the one before.
            self.window_start = bounds[0]
            self.window_base = total if ts == bounds[0] or before_ts >= bounds[0] else before
        return total - self.window_base

    def dump(self) -> dict[str, Json]:
        return {
            "last_total": self.last_total,
            "last_ts": iso(self.last_ts, self.zone),
            "streak_start": iso(self.streak_start, self.zone),
            "last_rise": iso(self.last_rise, self.zone),
            "window_start": iso(self.window_start, self.zone),
            "window_base": self.window_base,
        }

    def load(self, data: Mapping[str, Json]) -> None:
        self.last_total = number(data.get("last_total"))
        self.last_ts = load_ts(data.get("last_ts"))
        self.streak_start = load_ts(data.get("streak_start"))
        self.last_rise = load_ts(data.get("last_rise"))
        self.window_start = load_ts(data.get("window_start"))
        self.window_base = number(data.get("window_base"))
