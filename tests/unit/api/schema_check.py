"""Compares the `api_keys` model with the table its migration built (shared by unit and integration tests)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from api.keys_table import ApiKey


def api_keys_differences(engine: Engine) -> list[Any]:
    """What autogenerate would change in `api_keys` to match the model; empty when they agree."""

    def only_api_keys(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return getattr(table, "name", name) == ApiKey.__tablename__

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": only_api_keys, "compare_type": True})
        return list(compare_metadata(context, ApiKey.metadata))
