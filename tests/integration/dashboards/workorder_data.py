"""Work orders in a PostgreSQL database of their own, migrated with `storage.database.upgrade`.

The database is private to these tests (not the session's shared one) so the counts asserted
here and in the work-order tests cannot disturb each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from storage.database import make_engine, session_factory, upgrade
from tests.support.postgres import sqlalchemy_url, throwaway_database
from workorders.orm import SlaBreachRow, WorkOrderRow

SITE = "lakeview"
MINUTE = timedelta(minutes=1)


@contextmanager
def private_database() -> Iterator[str]:
    """A fresh PostgreSQL database (SQLAlchemy URL), dropped afterwards; skip or fail as the fixtures do."""
    with throwaway_database("facilities_dash") as dsn:
        yield sqlalchemy_url(dsn)


def _order(number: int, reported: datetime, **fields: Any) -> WorkOrderRow:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "code": f"WO-{number:04d}",
        "site_id": SITE,
        "building_id": "B1",
        "category": "plumbing",
        "priority": "normal",
        "source": "staff",
        "status": "open",
        "title": f"order {number}",
        "description": "",
        "reported_at": reported,
        "opened_at": reported,
        "alarm_count": 0,
        "updated_at": reported,
    }
    values.update(fields)
    return WorkOrderRow(**values)


def load(url: str, now: datetime) -> dict[str, Any]:
    """Migrate, then write open, finished and late orders; returns the facts the tests check."""
    upgrade(url)
    hour = timedelta(hours=1)
    day_ago = now - timedelta(days=1)
    orders = [
        # Open now: an elevator emergency, a high-priority leak in B2, a site-wide lighting order.
        _order(1, now - 2 * hour, category="elevator", priority="emergency", status="acknowledged",
               acknowledged_at=now - 2 * hour + timedelta(minutes=2), on_site_due_at=now - 2 * hour + 10 * MINUTE),
        _order(2, now - 5 * hour, building_id="B2", priority="high", status="open"),
        _order(3, now - 3 * hour, building_id=None, category="lighting", status="on_site",
               acknowledged_at=now - 3 * hour + 20 * MINUTE, arrived_at=now - 2 * hour),
        # Finished yesterday: arrival on time (8 min of 10) and late (40 min of 30).
        _order(4, day_ago, category="elevator", priority="emergency", status="closed",
               acknowledged_at=day_ago + MINUTE, arrived_at=day_ago + 8 * MINUTE,
               resolved_at=day_ago + 2 * hour, on_site_due_at=day_ago + 10 * MINUTE),
        _order(5, day_ago, status="resolved", acknowledged_at=day_ago + 30 * MINUTE,
               arrived_at=day_ago + 40 * MINUTE, resolved_at=day_ago + 4 * hour,
               on_site_due_at=day_ago + 30 * MINUTE),
    ]  # fmt: skip
    breaches = [
        SlaBreachRow(work_order_id=orders[4].id, kind="on_site", due_at=day_ago + 30 * MINUTE,
                     detected_at=day_ago + 30 * MINUTE),
        SlaBreachRow(work_order_id=orders[1].id, kind="acknowledge", due_at=now - 4 * hour,
                     detected_at=now - 4 * hour),
    ]  # fmt: skip
    engine = make_engine(url)
    with session_factory(engine)() as session, session.begin():
        session.add_all(orders)
        session.flush()
        session.add_all(breaches)
    engine.dispose()
    return {"open": 3, "open_in_b1": 1, "emergencies_open": 1, "breaches": 2, "on_time_percent": 50.0}
