"""A consistent copy of a live SQLite file through SQLite's online-backup API (no torn pages, writers continue)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path


def copy_sqlite(source: Path, destination: Path) -> None:
    """Copy `source` into `destination` (created or overwritten) while other connections keep writing."""
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such SQLite file to back up")
    destination.parent.mkdir(parents=True, exist_ok=True)
    with (
        # Not read-only: a reader of a WAL database may need to create its shared-memory file.
        closing(sqlite3.connect(source, timeout=30)) as src,
        closing(sqlite3.connect(destination)) as dst,
    ):
        src.backup(dst)


def sqlite_has_rows(path: Path, table: str) -> bool:
    """Whether `table` exists in the file at `path` and holds a row (an empty or missing file: no)."""
    if not path.is_file():
        return False
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
        exists = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()
        return bool(exists) and db.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone() is not None  # noqa: S608
