"""Consumption spike: use in the current window above `factor` × the asset's own baseline, the mean use of
its last `history` complete windows at the same time of day (windows start at local midnight).

Fires as soon as the window's use passes the limit; clears when a whole window stays at or below
`clear_factor` × baseline. Windows that were abnormal are left out of the baseline.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from core.durations import Duration
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


class ConsumptionSpikeRule(RuleBase):
    """Use in a window above `factor` × the mean of the asset's own last `history` windows at that time of day."""

    kind: Literal["consumption_spike"] = "consumption_spike"

    titles: ClassVar[tuple[str, str]] = ("用量突增", "Usage spike")
    listing_order: ClassVar[int] = 70
    templates: ClassVar[Mapping[str, tuple[str, str]]] = {
        "consumption_spike": (
            "{asset} 自 {window_start} 起用量 {used}，超过自身基线 {baseline} 的 {factor} 倍",
            "{asset} used {used} since {window_start}, above {factor} × its own baseline {baseline}",
        )
    }
    field: str = "total"
    window: Duration = timedelta(days=1)  # windows start at local midnight
    factor: float = Field(default=3.0, gt=1)
    clear_factor: float | None = Field(default=None, gt=0)
    history: int = Field(default=7, ge=1, le=60)
    min_history: int = Field(default=3, ge=1)
    min_usage: float = Field(default=0.0, ge=0)  # never fire below this use, however small the baseline

    applies_to: ClassVar[frozenset[AssetKind]] = frozenset({AssetKind.METER})

    def trade_for(self, tags: Mapping[str, str]) -> str | None:
        """Water flowing where it should not is the plumber's job, power the electrician's (unless `trade` says)."""
        return self.trade or {"water": "plumbing", "electricity": "electrical"}.get(tags.get("utility", ""))

    def field_refs(self) -> list[FieldRef]:
        return [("field", self.field, NUMERIC)]

    @model_validator(mode="after")
    def _window_fits_day(self) -> Self:
        seconds = self.window.total_seconds()
        if seconds < 60 or 86_400 % seconds:
            raise ValueError("window must divide a day evenly, e.g. '1h', '6h' or '1d'")
        if self.clear_factor is not None and self.clear_factor > self.factor:
            raise ValueError("clear_factor must be at or below factor")
        if self.min_history > self.history:
            raise ValueError("min_history cannot exceed history")
        return self

    def evaluator(self, context: Context) -> Evaluator:
        return SpikeEvaluator(self, context)


class SpikeEvaluator(ReadingsOnly):
    def __init__(self, rule: ConsumptionSpikeRule, context: Context) -> None:
        self.rule = rule
        self.zone = context.zone
        self.fields = frozenset({rule.field})
        self.clear_factor = rule.clear_factor if rule.clear_factor is not None else rule.factor
        self.window_start: datetime | None = None
        self.base: float | None = None  # the total when the window began
        self.complete = False  # seen from its start, so its use may join the baseline
        self.last_total: float | None = None
        self.history: dict[str, list[float]] = {}

    def on_reading(self, ts: datetime, fields: Mapping[str, FieldValue], firing: bool) -> Verdict | None:
        total = number(fields.get(self.rule.field))
        if total is None:
            return None
        before, opened = self.last_total, self._window_of(ts)
        self.last_total = total
        if before is None or self.base is None or self.window_start is None or total < before:
            self._open(opened, total, complete=ts == opened)
            return None
        verdict: Verdict | None = None
        if opened != self.window_start:
            verdict = self._close(self.window_start, before - self.base, firing)
            self._open(opened, before, complete=opened == self.window_start + self.rule.window)
        used = total - self.base
        baseline = self._baseline(opened)
        if baseline is None or firing or verdict is not None:
            return verdict
        limit = max(self.rule.factor * baseline, self.rule.min_usage)
        evidence: dict[str, EvidenceValue] = {
            "field": str(self.rule.field),
            "used": round(used, 6),
            "baseline": round(baseline, 6),
            "factor": self.rule.factor,
            "limit": round(limit, 6),
            "window_start": iso(opened, self.zone),
            "at": iso(ts, self.zone),
        }
        if used > limit:
            return violating(opened, ts, "consumption_spike", {**evidence, "since": iso(opened, self.zone)})
        return None  # below the limit says nothing about clearing: that is judged per whole window

    def _close(self, start: datetime, used: float, firing: bool) -> Verdict | None:
        """End the window that began at `start`: if it stayed normal it clears a firing alarm and joins the baseline."""
        baseline = self._baseline(start)
        normal_use = baseline is None or used <= max(self.clear_factor * baseline, self.rule.min_usage)
        if self.complete and normal_use:
            slot = self.history.setdefault(self._slot(start), [])
            slot.append(used)
            del slot[: -self.rule.history]
        if firing and normal_use:
            return normal({"used": round(used, 6), "window_start": iso(start, self.zone)})
        return None

    def _open(self, start: datetime, total: float, *, complete: bool) -> None:
        self.window_start, self.base, self.complete = start, total, complete

    def _window_of(self, ts: datetime) -> datetime:
        local = ts.astimezone(self.zone)
        midnight = datetime.combine(local.date(), datetime.min.time(), tzinfo=self.zone)
        index = (local - midnight) // self.rule.window
        return midnight + index * self.rule.window

    def _slot(self, start: datetime) -> str:
        local = start.astimezone(self.zone)
        return str(timedelta(hours=local.hour, minutes=local.minute) // self.rule.window)

    def _baseline(self, start: datetime) -> float | None:
        past = self.history.get(self._slot(start), [])
        return sum(past) / len(past) if len(past) >= self.rule.min_history else None

    def dump(self) -> dict[str, Json]:
        history: dict[str, Json] = {slot: list(values) for slot, values in self.history.items()}
        return {
            "window_start": iso(self.window_start, self.zone),
            "base": self.base,
            "complete": self.complete,
            "last_total": self.last_total,
            "history": history,
        }

    def load(self, data: Mapping[str, Json]) -> None:
        self.window_start = load_ts(data.get("window_start"))
        self.base = number(data.get("base"))
        self.complete = data.get("complete") is True
        self.last_total = number(data.get("last_total"))
        history = data.get("history")
        if isinstance(history, dict):
            self.history = {
                slot: [n for v in values if (n := number(v)) is not None]
                for slot, values in history.items()
                if isinstance(values, list)
            }
