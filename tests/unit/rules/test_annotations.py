"""Alarm events become `alarm` points Grafana can annotate with, in either language."""

from __future__ import annotations

from datetime import UTC, datetime

from rules.annotations import alarm_point
from rules.config import Severity
from rules.events import AlarmCleared, AlarmRaised

STARTED = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
RAISED = datetime(2026, 3, 3, 8, 30, tzinfo=UTC)
TAGS = {"site": "lakeview", "building": "B1", "area": "B1-corridor", "circuit_id": "B1-CORRIDOR-LIGHT"}
ALARM = AlarmRaised(
    alarm_id="lights-left-on:B1-CORRIDOR-LIGHT:20260303T083000Z",
    rule_id="lights-left-on",
    asset_id="B1-CORRIDOR-LIGHT",
    severity=Severity.WARNING,
    started_at=STARTED,
    raised_at=RAISED,
    evidence={"since": "2026-03-03T15:00:00+08:00", "window": "08:00–17:00"},
    message_key="continuous_on.daylight",
    title=("长明灯", "Lights left on"),
    tags=TAGS,
)


def test_a_raised_alarm_is_a_firing_point_at_its_raise_time() -> None:
    point = alarm_point(ALARM)

    assert point.measurement == "alarm"
    assert dict(point.tags) == {
        "site": "lakeview",
        "building": "B1",
        "asset_id": "B1-CORRIDOR-LIGHT",
        "rule": "lights-left-on",
        "severity": "warning",
    }
    assert dict(point.fields) == {
        "title": "长明灯",
        "text": "长明灯：B1-CORRIDOR-LIGHT 白天（08:00–17:00）仍开着，自 03-03 15:00 起未关",
        "state": "firing",
        "alarm_id": "lights-left-on:B1-CORRIDOR-LIGHT:20260303T083000Z",
    }
    assert point.ts_ns == 1_772_526_600_000_000_000  # 2026-03-03T08:30:00Z


def test_a_cleared_alarm_is_a_cleared_point_at_its_clear_time_in_english_if_asked() -> None:
    cleared = AlarmCleared(
        ALARM.alarm_id,
        ALARM.rule_id,
        ALARM.asset_id,
        ALARM.severity,
        STARTED,
        RAISED,
        datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
        {"on": False},
        ALARM.title,
        TAGS,
    )
    point = alarm_point(cleared, lang="en")

    assert (point.fields["state"], point.fields["title"]) == ("cleared", "Lights left on")
    assert point.fields["text"] == "Lights left on: B1-CORRIDOR-LIGHT is back to normal"
    assert point.ts_ns == 1_772_532_000_000_000_000
