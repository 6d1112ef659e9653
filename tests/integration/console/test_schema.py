"""The hand-written migrations 0007 and 0009 create exactly what console/orm.py describes, and 0010 what
access/audit.py does, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from access.audit import TABLES as AUDIT_TABLES
from console.orm import TABLES
from storage.database import Base, alembic_config, make_engine, upgrade
from tests.support.schema import schema_differences as shared_schema_differences

pytestmark = pytest.mark.integration


def schema_differences(url: str) -> list[object]:
    return shared_schema_differences(url, TABLES)


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_the_models_name_the_console_tables() -> None:
    assert {"console_users", "console_sessions", "resident_requests", "console_submissions"} == TABLES
    assert set(Base.metadata.tables) >= TABLES


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    assert table_names(database_url) >= TABLES
    assert schema_differences(database_url) == []


def test_the_branch_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    command.downgrade(alembic_config(url), "console@0001_base")  # 0009 (sessions), then 0007
    tables = table_names(url)
    assert TABLES.isdisjoint(tables) and {"work_orders", "alert_outbox"} <= tables  # only our branch went
    upgrade(url)
    assert table_names(url) >= TABLES
    assert schema_differences(url) == []


def test_the_sign_in_audit_table_matches_its_model(database_url: str) -> None:
    assert table_names(database_url) >= AUDIT_TABLES
    assert shared_schema_differences(database_url, AUDIT_TABLES) == []


def test_the_audit_branch_downgrades_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    command.downgrade(alembic_config(url), "access@0001_base")
    tables = table_names(url)
    assert AUDIT_TABLES.isdisjoint(tables) and tables >= TABLES
    upgrade(url)
    assert shared_schema_differences(url, AUDIT_TABLES) == []
