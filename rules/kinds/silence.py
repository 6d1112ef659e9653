"""Silence: no reading from an asset for `intervals` × its expected interval (at least `at_least`).

Time counts from the later of the last reading and the moment the engine started watching: while the
engine was down nobody was listening, so that time is not the asset's fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar, Literal

from pydantic import Field

from core.durations import Duration
from core.reading import FieldValue
from rules.config import RuleBase
from rules.evaluation import Context, Evaluator, Json, Verdict, iso, load_ts, normal, violating


class SilenceRule(RuleBase):
    """No reading for `intervals` × the asset's expected interval (and at least `at_least`)."""

    kind: Literal["silence"] = "silence"

    titles: ClassVar[tuple[str, str]] = ("设备失联", "Asset silent")
    listing_order: ClassVar[int] = 60
    templates: ClassVar[Mapping[str, tuple[str, str]]] = {
        "silence": (
            "{asset} 已超过 {limit_s} 没有数据（最后一次 {last_seen}）",
            "{asset}: no reading for {limit_s} (last {last_seen})",
        )
    }
    intervals: float = Field(default=4, gt=0, le=10_000)
    at_least: Duration = timedelta(0)

    def evaluator(self, context: Context) -> Evaluator:
        return SilenceEvaluator(self, context)


class SilenceEvaluator:
    fields: frozenset[str] = frozenset()  # every reading counts

    def __init__(self, rule: SilenceRule, context: Context) -> None:
        self.zone = context.zone
        self.limit = max(timedelta(seconds=rule.intervals * context.asset.expected_interval_s), rule.at_least)
        self.started = context.started
        self.last_seen: datetime | None = None
        self.offline: str | None = None  # what the collector said, e.g. a Modbus timeout

    def on_reading(self, ts: datetime, fields: Mapping[str, FieldValue], firing: bool) -> Verdict | None:
        self.last_seen = ts
        self.offline = None
        return normal({"at": iso(ts, self.zone)})

    def on_tick(self, now: datetime, firing: bool) -> Verdict | None:
        due = self.wake_at(firing)
        if due is None or now < due:
            return None
        since = due - self.limit
        evidence = {
            "last_seen": iso(self.last_seen, self.zone),
            "since": iso(since, self.zone),
            "limit_s": self.limit.total_seconds(),
            "offline": self.offline,
        }
        return violating(since, due, "silence", evidence)

    def wake_at(self, firing: bool) -> datetime | None:
        if firing:
            return None
        reference = self.started if self.last_seen is None else max(self.last_seen, self.started)
        return reference + self.limit

    def note_offline(self, reason: str) -> None:
        """A collector's word that the device did not answer; shown in the alarm's evidence."""
        self.offline = reason

    def dump(self) -> dict[str, Json]:
        return {"last_seen": iso(self.last_seen, self.zone), "offline": self.offline}

    def load(self, data: Mapping[str, Json]) -> None:
        self.last_seen = load_ts(data.get("last_seen"))
        offline = data.get("offline")
        self.offline = offline if isinstance(offline, str) else None
