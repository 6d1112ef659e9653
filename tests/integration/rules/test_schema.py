"""The migrated rule_state table is exactly what the model describes, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.database import Base, make_engine, upgrade


def differences(url: str) -> list[object]:
    upgrade(url)
    engine = make_engine(url)

    def ours(_object: object, name: str | None, type_: str, _reflected: bool, _compare_to: object) -> bool:
        return type_ != "table" or name == "rule_state"

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": ours, "compare_type": True})
        found: list[object] = compare_metadata(context, Base.metadata)
    engine.dispose()
    return found


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_matches_the_model(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    import rules.state_store  # noqa: F401 (registers the table on the shared metadata)

    url = f"sqlite:///{tmp_path}/f.db" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    assert differences(url) == []
