"""`facilities backup` and `facilities restore` on the default installation: SQLite and the embedded store."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from facilities.cli import app
from storage.database import upgrade
from storage.embedded import EmbeddedStore
from tests.unit.billing.sample import SITE_TOML, cst, make_site, write

runner = CliRunner()


def env_for(root: Path) -> dict[str, str]:
    return {
        "FACILITIES_DATA_DIR": str(root / "data"),
        "FACILITIES_DATABASE_URL": f"sqlite:///{root}/data/facilities.db",
        "FACILITIES_SITE_FILE": str(root / "site.toml"),
        "FACILITIES_BILLING_FILE": str(root / "billing.toml"),
        "FACILITIES_BACKUP_DIR": str(root / "backups"),
    }


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql).fetchall()


def test_backup_and_restore_from_the_command_line(tmp_path: Path) -> None:
    source, target = tmp_path / "src", tmp_path / "dst"
    (source / "data").mkdir(parents=True)
    (source / "site.toml").write_text(SITE_TOML)
    upgrade(f"sqlite:///{source}/data/facilities.db")
    with EmbeddedStore(source / "data" / "readings.db") as store:
        write(store, "W-0101", [(cst(2026, 10, n, 12), 10.0 * n) for n in range(1, 29)], make_site("test-site"))
    (source / "data" / "console-secret").write_text("s" * 48)

    made = runner.invoke(app, ["backup"], env=env_for(source))
    assert made.exit_code == 0, made.output
    [archive] = (source / "backups").glob("facilities-backup-*.tar.gz")
    assert f"backup written: {archive}" in made.output

    restored = runner.invoke(app, ["restore", str(archive)], env=env_for(target))
    assert restored.exit_code == 0, restored.output
    count = "SELECT count(*) FROM points"
    assert rows(target / "data" / "readings.db", count) == rows(source / "data" / "readings.db", count) == [(28,)]
    revisions = "SELECT version_num FROM alembic_version ORDER BY 1"
    assert rows(target / "data" / "facilities.db", revisions) == rows(source / "data" / "facilities.db", revisions)
    assert (target / "site.toml").read_text() == SITE_TOML
    assert (target / "data" / "console-secret").read_text() == "s" * 48

    again = runner.invoke(app, ["restore", str(archive)], env=env_for(target))
    assert again.exit_code == 2
    assert "refusing to restore onto a live installation" in again.output
    assert "console-secret exists" in again.output


@pytest.mark.parametrize("at", ["3am", "25:00", "03:60"])
def test_a_bad_daily_time_is_refused(tmp_path: Path, at: str) -> None:
    result = runner.invoke(app, ["backup", "--daily-at", at], env=env_for(tmp_path))
    assert result.exit_code == 2 and "write the time as HH:MM" in result.output


def test_a_missing_archive_is_named(tmp_path: Path) -> None:
    result = runner.invoke(app, ["restore", str(tmp_path / "nope.tar.gz")], env=env_for(tmp_path))
    assert result.exit_code == 2 and "nope.tar.gz: no such archive" in result.output
