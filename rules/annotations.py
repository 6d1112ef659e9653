"""Alarm events as points of measurement `alarm`, for Grafana annotations (InfluxQL:
`SELECT "title", "text" FROM "alarm" WHERE $timeFilter`, tags site, building, asset_id, rule, severity)."""

from __future__ import annotations

from datetime import datetime

from core.reading import EPOCH, FieldValue
from rules.events import AlarmEvent, AlarmRaised
from rules.messages import Lang
from storage.points import Point

MEASUREMENT = "alarm"


def alarm_point(event: AlarmEvent, lang: Lang = "zh-CN") -> Point:
    """The point for a raised (at `raised_at`) or cleared (at `cleared_at`) alarm. Every field is a string."""
    raised = isinstance(event, AlarmRaised)
    tags = {"asset_id": event.asset_id, "rule": event.rule_id, "severity": event.severity.value}
    for name in ("site", "building"):
        if event.tags.get(name):
            tags[name] = event.tags[name]
    title = event.title[0] if lang == "zh-CN" else event.title[1]
    fields: dict[str, FieldValue] = {
        "title": title,
        "text": event.message(lang),
        "state": "firing" if raised else "cleared",
        "alarm_id": event.alarm_id,
    }
    moment = event.raised_at if isinstance(event, AlarmRaised) else event.cleared_at
    return Point(MEASUREMENT, tags, fields, _ns(moment))


def _ns(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000
