"""The hand-written migration 0016_patrols creates exactly what patrols/orm.py describes, on both backends."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import patrols.orm  # noqa: F401  (the tables on the shared metadata)
from storage.database import Base, alembic_config, make_engine, upgrade

TABLES = {"patrols", "patrol_visits", "patrol_sensor_notes", "patrol_notices"}


def schema_differences(url: str) -> list[object]:
    engine = make_engine(url)

    def ours(_object: object, name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
        return type_ != "table" or name in TABLES

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": ours})
        differences: list[object] = compare_metadata(context, Base.metadata)
    engine.dispose()
    return differences


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    assert schema_differences(database_url) == []


def test_the_branch_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    command.downgrade(alembic_config(url), "patrols@-1")
    engine = make_engine(url)
    assert TABLES.isdisjoint(sa.inspect(engine).get_table_names())
    engine.dispose()
    upgrade(url)
    assert schema_differences(url) == []
