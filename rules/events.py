"""What the engine emits: an alarm raised and an alarm cleared, one each per (rule, asset) episode."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from rules.config import Severity
from rules.evaluation import EvidenceValue
from rules.messages import Lang, render


@dataclass(frozen=True, slots=True)
class AlarmRaised:
    """A rule's condition held on an asset long enough. `evidence` holds the values and times that showed it."""

    alarm_id: str
    rule_id: str
    asset_id: str
    severity: Severity
    started_at: datetime  # when the condition began
    raised_at: datetime  # when it met the rule (a deadline noticed by a later tick still reads as the deadline)
    evidence: Mapping[str, EvidenceValue]
    message_key: str
    title: tuple[str, str]  # (zh-CN, en)
    tags: Mapping[str, str]  # the asset's registry tags: site, building, unit or area, …

    def message(self, lang: Lang = "zh-CN") -> str:
        """The alarm as a sentence for people, e.g. `长明灯：B1-CORRIDOR-LIGHT 白天（08:00–17:00）仍开着…`."""
        return render(self.message_key, lang, _title(self.title, lang), self.asset_id, self.evidence)


@dataclass(frozen=True, slots=True)
class AlarmCleared:
    """The alarm `alarm_id` ended: its clear condition held, or its rule no longer watches the asset."""

    alarm_id: str
    rule_id: str
    asset_id: str
    severity: Severity
    started_at: datetime
    raised_at: datetime
    cleared_at: datetime
    evidence: Mapping[str, EvidenceValue]
    title: tuple[str, str]
    tags: Mapping[str, str]
    reason: str = "condition_cleared"  # or "rule_removed"

    def message(self, lang: Lang = "zh-CN") -> str:
        return render("cleared", lang, _title(self.title, lang), self.asset_id, self.evidence)


# What the engine emits (not a work-order event: those are `workorders.events.WorkOrderEvent`).
AlarmEvent = AlarmRaised | AlarmCleared


def alarm_id(rule_id: str, asset_id: str, raised_at: datetime) -> str:
    """A stable id for one alarm, the same however often it is recomputed: `rule:asset:20260302T033000Z`."""
    utc = raised_at.astimezone(UTC)
    stamp = utc.strftime("%Y%m%dT%H%M%S") + (f".{utc.microsecond:06d}" if utc.microsecond else "")
    return f"{rule_id}:{asset_id}:{stamp}Z"


def _title(title: tuple[str, str], lang: Lang) -> str:
    return title[0] if lang == "zh-CN" else title[1]
