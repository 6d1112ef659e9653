"""The hand-written migration 0007 creates exactly what console/orm.py describes, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from console.orm import TABLES
from storage.database import Base, alembic_config, make_engine, upgrade

pytestmark = pytest.mark.integration


def schema_differences(url: str) -> list[object]:
    engine = make_engine(url)

    def ours(_object: object, name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
        return type_ != "table" or name in TABLES  # the other capabilities check their own tables

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": ours})
        differences: list[object] = compare_metadata(context, Base.metadata)
    engine.dispose()
    return differences


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
