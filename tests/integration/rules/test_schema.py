"""The migrated rule_state table is exactly what the model describes, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.database import upgrade
from tests.support.schema import schema_differences


def differences(url: str) -> list[object]:
    upgrade(url)
    return schema_differences(url, {"rule_state"})


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_matches_the_model(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    import rules.state_store  # noqa: F401 (registers the table on the shared metadata)

    url = f"sqlite:///{tmp_path}/f.db" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    assert differences(url) == []
