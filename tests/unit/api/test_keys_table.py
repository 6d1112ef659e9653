"""Migration 0003 builds exactly the table the model describes, on its own branch, and goes back down."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.exc import IntegrityError

from storage.database import alembic_config, make_engine, upgrade
from tests.unit.api.schema_check import api_keys_differences


def test_the_migration_branches_from_base() -> None:
    revision = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision("0003_api_keys")
    assert revision is not None
    assert revision.down_revision == "0001_base"


def test_migrated_table_matches_the_model(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/db.sqlite"
    upgrade(url)
    engine = make_engine(url)
    assert api_keys_differences(engine) == []
    engine.dispose()


def test_the_database_refuses_an_unknown_role(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/db.sqlite"
    upgrade(url)
    engine = make_engine(url)
    row = (
        "INSERT INTO api_keys (name, role, prefix, salt, key_hash, created_at) "
        "VALUES ('x', :role, :p, 's', 'h', '2026-01-01')"
    )
    with engine.begin() as connection:
        connection.execute(sa.text(row), {"role": "crew", "p": "aaaaaaaa"})
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(sa.text(row), {"role": "root", "p": "bbbbbbbb"})
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(sa.text(row), {"role": "crew", "p": "aaaaaaaa"})  # the lookup prefix is unique
    engine.dispose()


def test_downgrade_removes_the_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/db.sqlite"
    upgrade(url)
    command.downgrade(alembic_config(url), "api_keys@0001_base")
    engine = make_engine(url)
    assert "api_keys" not in sa.inspect(engine).get_table_names()
    engine.dispose()
