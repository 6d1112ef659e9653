"""Where the rules engine's alarms go: a work order for people, an annotation for Grafana."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from zoneinfo import ZoneInfo

from core.clock import Clock
from core.measurements import AssetKind
from core.registry import AssetRegistry
from rules.annotations import alarm_point
from rules.config import AnyRule
from rules.events import AlarmCleared, AlarmEvent, AlarmRaised
from storage.points import Point
from workorders.alarms import CATEGORY_BY_ASSET_KIND, AlarmClearedFacts, AlarmFacts
from workorders.service import handle_alarm_cleared, open_from_alarm
from workorders.unit_of_work import UnitOfWork
from workorders.values import Category

log = logging.getLogger(__name__)

# Water flowing where it should not is the plumber's job, not the meter reader's.
PLUMBING_RULE_KINDS = {"continuous_flow", "consumption_spike"}


def category_for(rule: AnyRule | None, asset_kind: AssetKind, utility: str | None) -> Category:
    if asset_kind is AssetKind.METER and rule is not None and rule.kind in PLUMBING_RULE_KINDS:
        return (
            Category.PLUMBING
            if utility == "water"
            else Category.ELECTRICAL
            if utility == "electricity"
            else Category.OTHER
        )
    return CATEGORY_BY_ASSET_KIND.get(asset_kind, Category.OTHER)


class AlarmDispatcher:
    """Turns alarm events into work-order commands and annotation points; both are retried by the caller."""

    def __init__(
        self,
        *,
        rules: Sequence[AnyRule],
        registry: AssetRegistry,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        zone: ZoneInfo,
        also: Sequence[Callable[[AlarmEvent], None]] = (),
    ) -> None:
        self.rules: Mapping[str, AnyRule] = {rule.id: rule for rule in rules}
        self.also = tuple(also)  # further reactions after the order (condition-based maintenance); they log failures
        self.registry = registry
        self.uow_factory = uow_factory
        self.clock = clock
        self.zone = zone

    def work_orders(self, events: Sequence[AlarmEvent]) -> None:
        """Open or update work orders; raises if the database fails, so the caller keeps the events."""
        for event in events:
            site = event.tags.get("site")
            if isinstance(event, AlarmRaised):
                info = self.registry.get(event.asset_id)
                facts = AlarmFacts(
                    rule_id=event.rule_id,
                    asset_id=event.asset_id,
                    severity=event.severity.value,
                    raised_at=event.raised_at,
                    message=event.message("zh-CN"),
                    evidence=dict(event.evidence),
                    site_id=site,
                    building_id=event.tags.get("building"),
                    unit_id=event.tags.get("unit"),
                    category=category_for(self.rules.get(event.rule_id), info.kind, info.tags.get("utility")),
                    title=event.title[0],
                )
                ref = open_from_alarm(self.uow_factory(), facts, clock=self.clock, tz=self.zone)
                log.info("alarm %s on %s → work order %s", event.rule_id, event.asset_id, ref.code)
            elif isinstance(event, AlarmCleared):
                cleared = AlarmClearedFacts(
                    rule_id=event.rule_id,
                    asset_id=event.asset_id,
                    cleared_at=event.cleared_at,
                    message=event.message("zh-CN"),
                    site_id=site,
                )
                handle_alarm_cleared(self.uow_factory(), cleared, clock=self.clock)
            for react in self.also:
                react(event)

    @staticmethod
    def annotations(events: Sequence[AlarmEvent]) -> list[Point]:
        return [alarm_point(event) for event in events]
