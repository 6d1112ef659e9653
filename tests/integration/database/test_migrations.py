"""Migrations run on both backends we support, and twice in a row without harm."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from storage.database import make_engine, upgrade


def current_revision(url: str) -> str:
    engine = make_engine(url)
    with engine.connect() as conn:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    return str(revision)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    from storage.database import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def test_sqlite_upgrades_to_head_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    upgrade(url)
    assert current_revision(url) == head_revision()


def test_postgres_upgrades_to_head(postgres_url: str) -> None:
    upgrade(postgres_url)
    assert current_revision(postgres_url) == head_revision()
