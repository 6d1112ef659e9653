"""What every rule kind's evaluator offers the engine, the verdict it returns, and small shared helpers.

An evaluator knows one rule on one asset: it keeps the memory the rule needs (a start time, a baseline, the
last register value) and turns each reading or tick into a verdict. The engine's state machine
(`rules.machine`) owns pending/firing/cleared, dedup and cooldown, so evaluators never raise alarms themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from core.reading import FieldValue
from rules.facts import AssetFacts

Json = str | int | float | bool | None | list["Json"] | dict[str, "Json"]
EvidenceValue = str | int | float | bool | None
Evidence = Mapping[str, EvidenceValue]


@dataclass(frozen=True, slots=True)
class Verdict:
    """An evaluator's judgement. Violating: the condition holds since `since` and fires at `due` if it goes on.

    Not violating: the condition does not hold (for a firing alarm: its clear condition holds).
    An evaluator returns None instead when a reading tells it nothing new (a firing alarm that goes on).
    """

    violating: bool
    since: datetime | None = None
    due: datetime | None = None
    key: str = ""
    evidence: Evidence = field(default_factory=dict)


def violating(since: datetime, due: datetime, key: str, evidence: Evidence) -> Verdict:
    return Verdict(True, since, due, key, evidence)


def normal(evidence: Evidence | None = None) -> Verdict:
    return Verdict(False, evidence=evidence or {})


@dataclass(frozen=True, slots=True)
class Context:
    """What an evaluator is given besides its rule: the asset, the site's time zone and when watching began."""

    asset: AssetFacts
    zone: ZoneInfo
    started: datetime


class Evaluator(Protocol):
    fields: frozenset[str]  # a reading with none of these is not looked at; empty: every reading

    def on_reading(self, ts: datetime, fields: Mapping[str, FieldValue], firing: bool) -> Verdict | None:
        """Judge a reading; `fields` is the asset's latest value of every field, this reading's included."""

    def on_tick(self, now: datetime, firing: bool) -> Verdict | None:
        """Judge the passing of time alone (silence); None for kinds that only learn from readings."""

    def wake_at(self, firing: bool) -> datetime | None:
        """When `on_tick` may next have something to say, or None."""

    def dump(self) -> dict[str, Json]:
        """The evaluator's memory as JSON, for the state store."""

    def load(self, data: Mapping[str, Json]) -> None:
        """Restore memory written by `dump`; unknown or missing keys leave the defaults."""


class ReadingsOnly:
    """Defaults for evaluators that time alone never changes."""

    def on_tick(self, now: datetime, firing: bool) -> Verdict | None:
        return None

    def wake_at(self, firing: bool) -> datetime | None:
        return None


def number(value: object) -> float | None:
    """A finite number from a field value, or None (booleans and text are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def iso(ts: datetime | None, zone: ZoneInfo) -> str | None:
    """A time as ISO 8601 in the site's zone: exact, and readable by the people on site."""
    return None if ts is None else ts.astimezone(zone).isoformat()


def load_ts(value: Json | None) -> datetime | None:
    """The datetime `iso` wrote, or None."""
    if not isinstance(value, str):
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else None
