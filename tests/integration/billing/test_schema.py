"""The migrated billing tables are exactly what billing/orm.py describes, and the immutability triggers exist."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import billing.manual_readings
import billing.orm
from storage.database import Base, make_engine

pytestmark = pytest.mark.integration


def test_migration_matches_the_model(database_url: str) -> None:
    engine = make_engine(database_url)

    def ours(_object: object, name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
        return type_ != "table" or name in billing.orm.TABLES | billing.manual_readings.TABLES

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": ours, "compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        if database_url.startswith("sqlite"):
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'billing%'"
        else:
            query = "SELECT DISTINCT trigger_name FROM information_schema.triggers WHERE trigger_name LIKE 'billing%'"
        triggers = set(conn.execute(sa.text(query)).scalars())
    engine.dispose()
    expected = (
        {
            "billing_statements_final_no_update",
            "billing_statements_final_no_delete",
            "billing_lines_final_no_insert",
            "billing_lines_final_no_update",
            "billing_lines_final_no_delete",
        }
        if database_url.startswith("sqlite")
        else {"billing_statements_final_immutable", "billing_statement_lines_final_immutable"}
    )
    assert triggers == expected
