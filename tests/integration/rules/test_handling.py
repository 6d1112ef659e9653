"""Alarm handling on both backends: the migration 0013 matches rules/handling.py; acknowledge once, shelve
with a reason until a time, maintenance windows; hostile input refused with the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from rules import handling
from rules.handling import HandlingRefused
from storage.database import alembic_config, make_engine, upgrade
from tests.support.schema import schema_differences

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
EPISODE = {"alarm_id": "elevator-entrapment:B1-L1:2026-12-05T08:58:00Z", "rule_id": "elevator-entrapment",
           "asset_id": "B1-L1"}  # fmt: skip


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    assert schema_differences(database_url, handling.TABLES) == []


def test_the_branch_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    command.downgrade(alembic_config(url), "alarm_handling@0001_base")
    engine = make_engine(url)
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert handling.TABLES.isdisjoint(tables) and "rule_state" in tables
    upgrade(url)
    assert schema_differences(url, handling.TABLES) == []


def test_an_episode_is_acknowledged_once_and_shelved_with_a_reason(database_url: str, site_id: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        assert handling.acknowledge(session, site_id=site_id, actor="李娜 (lina)", now=NOW, **EPISODE)
        assert not handling.acknowledge(session, site_id=site_id, actor="王师傅 (wang)", now=NOW, **EPISODE)
        handling.shelve(session, site_id=site_id, actor="李娜 (lina)", reason="  电梯  年检 ", now=NOW,
                        until=NOW + timedelta(hours=2), **EPISODE)  # fmt: skip
        session.commit()
    with Session(engine) as session:
        record = handling.handling_of(session, site_id, [EPISODE["alarm_id"], "other"])
    engine.dispose()
    found = record[EPISODE["alarm_id"]]
    assert found.acknowledged is not None and found.acknowledged.actor == "李娜 (lina)"
    shelf = found.shelved(NOW + timedelta(hours=1))
    assert shelf is not None and shelf.reason == "电梯 年检" and shelf.until == NOW + timedelta(hours=2)
    assert found.shelved(NOW + timedelta(hours=2)) is None  # the shelf has run out: the alarm is back
    assert "other" not in record


@pytest.mark.parametrize(
    ("reason", "until", "problem"),
    [
        ("", NOW + timedelta(hours=1), "reason is required"),
        ("x" * 501, NOW + timedelta(hours=1), "at most 500"),
        ("bad\x00text", NOW + timedelta(hours=1), "control characters"),
        ("年检", NOW, "after now"),
        ("年检", NOW + timedelta(days=31), "at most 30 days"),
        ("年检", datetime(2026, 12, 5, 10, 0), "time zone"),
    ],
)
def test_a_bad_shelf_is_refused_with_its_reason(tmp_path: Path, reason: str, until: datetime, problem: str) -> None:
    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session, pytest.raises(HandlingRefused, match=problem):
        handling.shelve(session, site_id="s", actor="a", reason=reason, until=until, now=NOW, **EPISODE)
    engine.dispose()


def test_maintenance_windows_cover_their_asset_only_while_they_run(database_url: str, site_id: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        handling.plan_maintenance(session, site_id=site_id, asset_id="B1-L1", starts_at=NOW,
                                  ends_at=NOW + timedelta(hours=4), reason="季度保养", actor="李娜 (lina)",
                                  now=NOW)  # fmt: skip
        with pytest.raises(HandlingRefused, match="end after it starts"):
            handling.plan_maintenance(session, site_id=site_id, asset_id="B1-L1", starts_at=NOW, ends_at=NOW,
                                      reason="x", actor="a", now=NOW)  # fmt: skip
        with pytest.raises(HandlingRefused, match="already ended"):
            handling.plan_maintenance(session, site_id=site_id, asset_id="B1-L1", starts_at=NOW - timedelta(days=2),
                                      ends_at=NOW - timedelta(days=1), reason="x", actor="a", now=NOW)  # fmt: skip
        session.commit()
        windows = handling.maintenance_windows(session, site_id, ending_after=NOW)
    engine.dispose()
    assert [(w.asset_id, w.reason, w.created_by) for w in windows] == [("B1-L1", "季度保养", "李娜 (lina)")]
    assert handling.in_maintenance(windows, "B1-L1", NOW + timedelta(hours=1)) is not None
    assert handling.in_maintenance(windows, "B1-L2", NOW + timedelta(hours=1)) is None
    assert handling.in_maintenance(windows, "B1-L1", NOW + timedelta(hours=4)) is None
