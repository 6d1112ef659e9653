"""Figures for the System dashboard that no component counts itself: SLA breaches and open orders today.

Computed from the database at scrape time (one indexed query per scrape); a database that does not answer
yields no sample rather than a wrong zero, and the `database` health gauge says why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from core.clock import Clock
from workorders.orm import SlaBreachRow, WorkOrderRow

log = logging.getLogger(__name__)


def start_of_day(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight of `now`'s day on the site's wall clock (what "today" means to the service centre)."""
    return datetime.combine(now.astimezone(zone).date(), time(), tzinfo=zone)


class WorkOrderMetrics(Collector):
    def __init__(self, sessions: sessionmaker[Any], site_id: str, zone: ZoneInfo, clock: Clock) -> None:
        self.sessions, self.site_id, self.zone, self.clock = sessions, site_id, zone, clock

    def collect(self) -> Iterator[Metric]:
        since = start_of_day(self.clock.now(), self.zone)
        breaches = (
            select(func.count())
            .select_from(SlaBreachRow)
            .join(WorkOrderRow, WorkOrderRow.id == SlaBreachRow.work_order_id)
            .where(WorkOrderRow.site_id == self.site_id, SlaBreachRow.detected_at >= since)
        )
        try:
            with self.sessions() as session:
                count = session.scalar(breaches) or 0
        except SQLAlchemyError as exc:
            log.warning("SLA breach count for the metrics failed: %s", exc)
            return
        gauge = GaugeMetricFamily(
            "facilities_sla_breaches_today", "SLA steps missed since midnight, site time", labels=["site"]
        )
        gauge.add_metric([self.site_id], count)
        yield gauge
