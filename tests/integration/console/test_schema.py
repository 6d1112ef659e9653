"""The hand-written migration 0007 creates exactly what console/orm.py describes, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from console.orm import TABLES
from storage.database import Base, alembic_config, make_engine, upgrade
from tests.support.schema import schema_differences as shared_schema_differences

pytestmark = pytest.mark.integration


def schema_differences(url: str) -> list[object]:
    return shared_schema_differences(url, TABLES)


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_the_models_name_the_console_tables() -> None:
    assert {"console_users", "resident_requests", "console_submissions"} == TABLES
    assert set(Base.metadata.tables) >= TABLES


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    assert table_names(database_url) >= TABLES
    assert schema_differences(database_url) == []


def test_the_branch_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    command.downgrade(alembic_config(url), "console@-1")
    tables = table_names(url)
    assert TABLES.isdisjoint(tables) and {"work_orders", "alert_outbox"} <= tables  # only our branch went
    upgrade(url)
    assert table_names(url) >= TABLES
    assert schema_differences(url) == []
