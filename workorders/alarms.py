"""What work orders need to know of an alarm. The composition root maps the rules engine's events onto these."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from core.measurements import AssetKind
from workorders.values import Category, Priority

PRIORITY_BY_SEVERITY: dict[str, Priority] = {
    "critical": Priority.EMERGENCY,
    "emergency": Priority.EMERGENCY,
    "major": Priority.HIGH,
    "high": Priority.HIGH,
    "warning": Priority.NORMAL,
    "minor": Priority.NORMAL,
    "normal": Priority.NORMAL,
    "info": Priority.LOW,
    "low": Priority.LOW,
}

# A starting point for the composition root; a rule may know better (water left running is plumbing).
CATEGORY_BY_ASSET_KIND: dict[AssetKind, Category] = {
    AssetKind.ELEVATOR: Category.ELEVATOR,
    AssetKind.CIRCUIT: Category.LIGHTING,
    AssetKind.METER: Category.METERING,
}


@dataclass(frozen=True)
class AlarmFacts:
    """An alarm that was raised: it opens a work order, or is appended to the active one for (site, asset, rule).

    `site_id` None stands for the hub's only site (stored as ""); give it wherever a database is shared.
    """

    rule_id: str
    asset_id: str
    severity: str
    raised_at: datetime
    message: str
    evidence: Mapping[str, object] = field(default_factory=dict)
    site_id: str | None = None
    building_id: str | None = None
    unit_id: str | None = None
    category: Category = Category.OTHER
    title: str | None = None

    def __post_init__(self) -> None:
        if not self.rule_id or not self.asset_id:
            raise ValueError("an alarm needs its rule_id and asset_id")
        if self.raised_at.tzinfo is None:
            raise ValueError(f"alarm {self.rule_id} on {self.asset_id}: raised_at must be time-zone aware")
        if str(self.severity).lower() not in PRIORITY_BY_SEVERITY:
            known = ", ".join(PRIORITY_BY_SEVERITY)
            raise ValueError(f"alarm {self.rule_id}: unknown severity {self.severity!r}; use one of {known}")

    @property
    def priority(self) -> Priority:
        return PRIORITY_BY_SEVERITY[str(self.severity).lower()]

    def headline(self) -> str:
        """The order's title: the given one, else the message's first line, else the rule id."""
        first_line = self.message.strip().splitlines()[0] if self.message.strip() else ""
        return (self.title or first_line or f"{self.rule_id} on {self.asset_id}")[:200]

    def json_evidence(self) -> dict[str, object]:
        """The evidence as plain JSON values (timestamps and other objects become strings)."""
        loaded: dict[str, object] = json.loads(json.dumps(dict(self.evidence), default=str))
        return loaded

    def describe(self) -> str:
        """The order's description: the alarm's message and its evidence, one value a line."""
        lines = [self.message, "", f"Rule {self.rule_id} on {self.asset_id}, raised {self.raised_at.isoformat()}."]
        if self.evidence:
            lines += ["", "Evidence:", *(f"- {key}: {value}" for key, value in self.json_evidence().items())]
        return "\n".join(lines)


@dataclass(frozen=True)
class AlarmClearedFacts:
    """The condition behind an alarm went away. It adds a note; a technician still closes the order."""

    rule_id: str
    asset_id: str
    cleared_at: datetime
    message: str = ""
    site_id: str | None = None

    def __post_init__(self) -> None:
        if self.cleared_at.tzinfo is None:
            raise ValueError(f"alarm {self.rule_id} on {self.asset_id}: cleared_at must be time-zone aware")
