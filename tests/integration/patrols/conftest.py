"""Patrols on a migrated SQLite file and on the session's PostgreSQL database, each test in a site of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from storage.database import make_engine

CLEANUP = (
    "DELETE FROM patrols WHERE site_id = :site",
    "DELETE FROM patrol_notices WHERE site_id = :site",
    "DELETE FROM alert_outbox WHERE site_id = :site",
    "DELETE FROM work_orders WHERE site_id = :site",
    "DELETE FROM work_order_code_counters WHERE site_id = :site",
)


@pytest.fixture
def engine(database_url: str, site_id: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    with engine.begin() as conn:
        for statement in CLEANUP:
            conn.execute(sa.text(statement), {"site": site_id})
    engine.dispose()
