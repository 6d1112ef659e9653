"""The hand-written migration 0017_site_leases creates exactly what cluster/orm.py describes, on both backends."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command

from cluster.orm import TABLES
from storage.database import alembic_config, make_engine, upgrade
from tests.support.schema import schema_differences


def test_migrated_schema_matches_the_models(lease_url: str) -> None:
    assert schema_differences(lease_url, TABLES) == []


def test_the_branch_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    command.downgrade(alembic_config(url), "cluster@-1")
    engine = make_engine(url)
    assert TABLES.isdisjoint(sa.inspect(engine).get_table_names())
    engine.dispose()
    upgrade(url)
    assert schema_differences(url, TABLES) == []
