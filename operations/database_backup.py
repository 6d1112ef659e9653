"""The work-order and billing database: pg_dump / pg_restore for PostgreSQL, the online-backup API for SQLite."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from operations.sqlite_copy import copy_sqlite
from operations.tools import BackupError, run_tool
from storage.database import make_engine


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"FACILITIES_DATABASE_URL={url}: an in-memory database cannot be backed up")
    return Path(database)


def _libpq_env(url: str) -> dict[str, str]:
    """libpq's variables for the URL, so the password never appears on a command line."""
    parsed = make_url(url)
    env = dict(os.environ)
    for name, value in (
        ("PGHOST", parsed.host),
        ("PGPORT", parsed.port),
        ("PGUSER", parsed.username),
        ("PGPASSWORD", parsed.password),
        ("PGDATABASE", parsed.database),
    ):
        if value is not None:
            env[name] = str(value)
    return env


def kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in {"postgresql", "sqlite"}:
        raise BackupError(f"FACILITIES_DATABASE_URL: {backend} is not supported; use PostgreSQL or SQLite")
    return backend


def dump_database(url: str, destination: Path) -> dict[str, str]:
    """Write a consistent snapshot of the database into `destination`; returns the manifest's part."""
    destination.mkdir(parents=True, exist_ok=True)
    if kind(url) == "sqlite":
        copy_sqlite(_sqlite_path(url), destination / "facilities.db")
        return {"kind": "sqlite", "file": "database/facilities.db"}
    # Custom format: one consistent snapshot (pg_dump runs in one repeatable-read transaction); no owners, so
    # the restore works under another role name.
    run_tool(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={destination / 'facilities.dump'}"],
        what="database backup",
        env=_libpq_env(url),
    )
    return {"kind": "postgresql", "file": "database/facilities.dump"}


def database_in_use(url: str) -> bool:
    """Whether the database holds any table of ours (an empty installation holds none)."""
    if kind(url) == "sqlite" and not _sqlite_path(url).is_file():
        return False
    engine = make_engine(url)
    try:
        return bool(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def clear_database(url: str) -> None:
    """Drop every table (restore --force onto a live installation)."""
    if kind(url) == "sqlite":
        _sqlite_path(url).unlink(missing_ok=True)
        return
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def restore_database(url: str, unpacked: Path, part: dict[str, str]) -> None:
    """Load the archive's database into the (empty) database at `url`."""
    source = unpacked / part["file"]
    if part["kind"] != kind(url):
        raise BackupError(
            f"the archive holds a {part['kind']} database and FACILITIES_DATABASE_URL is {kind(url)}; "
            "restore onto the same kind of database"
        )
    if part["kind"] == "sqlite":
        copy_sqlite(source, _sqlite_path(url))
        return
    run_tool(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={_libpq_env(url)['PGDATABASE']}",
            str(source),
        ],
        what="database restore",
        env=_libpq_env(url),
    )
