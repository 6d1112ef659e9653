"""Migrations run on both backends we support, and twice in a row without harm."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from storage.database import make_engine, upgrade


def current_revisions(url: str) -> set[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        revisions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    return {str(r) for r in revisions}


def head_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from storage.database import alembic_config

    heads = set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())
    assert heads
    return heads


def test_sqlite_upgrades_to_head_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/facilities.db"
    upgrade(url)
    upgrade(url)
    assert current_revisions(url) == head_revisions()


def test_postgres_upgrades_to_head(postgres_url: str) -> None:
    upgrade(postgres_url)
    assert current_revisions(postgres_url) == head_revisions()
