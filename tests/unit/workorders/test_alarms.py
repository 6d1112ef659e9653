"""The input from the rules engine: validated where it is built, turned into a title and a description."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.unit.workorders.builders import T0, elevator_alarm
from workorders.alarms import AlarmClearedFacts, AlarmFacts
from workorders.values import Priority


@pytest.mark.parametrize(
    ("severity", "priority"),
    [("critical", Priority.EMERGENCY), ("Major", Priority.HIGH), ("warning", Priority.NORMAL), ("info", Priority.LOW)],
)
def test_severity_sets_the_priority(severity: str, priority: Priority) -> None:
    assert elevator_alarm(severity=severity).priority is priority


def test_an_unknown_severity_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown severity 'sev1'; use one of critical, emergency, major"):
        elevator_alarm(severity="sev1")


def test_naive_times_are_refused() -> None:
    naive = datetime(2026, 11, 26, 8, 0)
    with pytest.raises(ValueError, match="raised_at must be time-zone aware"):
        elevator_alarm(raised_at=naive)
    with pytest.raises(ValueError, match="cleared_at must be time-zone aware"):
        AlarmClearedFacts(rule_id="r", asset_id="a", cleared_at=naive)


def test_description_carries_the_evidence() -> None:
    alarm = AlarmFacts("meter.silent", "B1-0101-W", "warning", T0, "Meter silent", {"last_seen": T0, "gap_s": 3600})
    assert alarm.describe() == (
        "Meter silent\n\nRule meter.silent on B1-0101-W, raised 2026-11-26T08:00:00+00:00.\n\n"
        "Evidence:\n- last_seen: 2026-11-26 08:00:00+00:00\n- gap_s: 3600"
    )
    assert alarm.json_evidence() == {"last_seen": "2026-11-26 08:00:00+00:00", "gap_s": 3600}


@pytest.mark.parametrize(
    ("title", "message", "headline"),
    [
        ("Lift stuck", "Passenger trapped", "Lift stuck"),
        (None, "Passenger trapped\nsecond line", "Passenger trapped"),
        (None, "  ", "elevator.entrapment on B1-L1"),
    ],
)
def test_headline(title: str | None, message: str, headline: str) -> None:
    alarm = AlarmFacts("elevator.entrapment", "B1-L1", "critical", T0, message, title=title)
    assert alarm.headline() == headline
