"""Where the rules engine's alarms go: a work order for people, an annotation for Grafana."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from zoneinfo import ZoneInfo

from core.clock import Clock
from core.registry import AssetInfo, AssetRegistry
from rules.annotations import alarm_point
from rules.config import AnyRule
from rules.events import AlarmCleared, AlarmEvent, AlarmRaised
from storage.points import Point
from workorders.alarms import CATEGORY_BY_ASSET_KIND, AlarmClearedFacts, AlarmFacts
from workorders.service import handle_alarm_cleared, open_from_alarm
from workorders.unit_of_work import UnitOfWork
from workorders.values import Category

log = logging.getLogger(__name__)


def category_for(rule: AnyRule | None, info: AssetInfo) -> Category:
    """The trade of the order: the rule's (its `trade`, or its kind's, e.g. water flow → plumbing), else the
    sensor kind's (a leak detector → plumbing), else the asset kind's (an elevator → elevator)."""
    trade = rule.trade_for(info.tags) if rule is not None else None
    if trade is None and info.device_kind is not None:
        trade = info.device_kind.trade
    if trade is not None:
        return Category(trade)
    return CATEGORY_BY_ASSET_KIND.get(info.kind, Category.OTHER)


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
                info = self.registry.lookup(event.asset_id)  # a reload may have removed it since
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
                    category=category_for(self.rules.get(event.rule_id), info),
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
