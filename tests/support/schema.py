"""Whether a migrated database holds exactly the tables a capability's models describe."""

from __future__ import annotations

from collections.abc import Collection

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.database import Base, make_engine


def schema_differences(url: str, tables: Collection[str]) -> list[object]:
    """Alembic's differences between the database at `url` and the models, for `tables` only."""
    engine = make_engine(url)

    def ours(_object: object, name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
        return type_ != "table" or name in tables  # the other capabilities check their own tables

    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": ours})
            differences: list[object] = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    return differences
