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


def test_replicas_starting_together_upgrade_one_at_a_time() -> None:
    """Three replicas start at once against an empty PostgreSQL: each upgrade succeeds, the schema is whole.

    Without the advisory lock two of them race to create the same tables and one start fails.
    """
    from concurrent.futures import ThreadPoolExecutor

    from tests.support.postgres import sqlalchemy_url, throwaway_database

    with throwaway_database("facilities_upgrade_race") as dsn:
        url = sqlalchemy_url(dsn)
        with ThreadPoolExecutor(3) as pool:
            results = [pool.submit(upgrade, url) for _ in range(3)]
            errors = [future.exception(timeout=300) for future in results]
        assert errors == [None, None, None]
        assert current_revisions(url) == head_revisions()
