"""Elevator entrapment: the alarm button pressed while the car is stopped with its doors closed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar, Literal

from pydantic import Field

from core.durations import Duration
from core.measurements import AssetKind
from core.reading import FieldValue
from rules.config import RuleBase, Severity
from rules.evaluation import Context, Evaluator, Json, ReadingsOnly, Verdict, iso, load_ts, normal, violating


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
