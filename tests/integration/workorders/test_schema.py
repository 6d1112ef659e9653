"""The hand-written migration creates exactly what the models describe, on both backends."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.database import Base, alembic_config, make_engine, upgrade
from workorders.orm import TABLES


def schema_differences(url: str) -> list[object]:
    engine = make_engine(url)

    def ours(_object: object, name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
        # Other capabilities' tables live in the same database and metadata; they are theirs to check.
        # include_object filters both sides (include_name would only filter the reflected one).
        return type_ != "table" or name in TABLES

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": ours})
        differences: list[object] = compare_metadata(context, Base.metadata)
    engine.dispose()
    return differences


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    assert schema_differences(database_url) == []


def test_the_comparison_notices_a_difference(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_work_orders_status"))
    engine.dispose()
    assert [d[0] for d in schema_differences(url) if isinstance(d, tuple)] == ["add_index"]


def test_the_branch_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    command.downgrade(alembic_config(url), "workorders@base")  # every revision of the branch
    engine = make_engine(url)
    assert TABLES.isdisjoint(sa.inspect(engine).get_table_names())
    engine.dispose()
    upgrade(url)
    assert schema_differences(url) == []
