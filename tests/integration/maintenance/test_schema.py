"""The migrated maintenance tables are exactly what maintenance/orm.py describes."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import maintenance.orm
from storage.database import Base, make_engine

pytestmark = pytest.mark.integration


def test_migration_matches_the_model(database_url: str) -> None:
    engine = make_engine(database_url)

    def ours(_object: object, name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
        return type_ != "table" or name in maintenance.orm.TABLES

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": ours, "compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()
