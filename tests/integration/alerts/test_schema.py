"""The hand-written migration 0006 creates exactly what alerts/orm.py describes, on both backends."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command

from alerts.orm import TABLES
from storage.database import alembic_config, make_engine, upgrade
from tests.support.schema import schema_differences as shared_schema_differences


def schema_differences(url: str) -> list[object]:
    return shared_schema_differences(url, TABLES)


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    assert schema_differences(database_url) == []


def test_the_branch_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    command.downgrade(alembic_config(url), "alerts@-1")
    engine = make_engine(url)
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert TABLES.isdisjoint(tables) and "work_orders" in tables  # only our branch went
    upgrade(url)
    assert schema_differences(url) == []
