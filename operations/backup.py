"""`facilities backup`: one dated archive of everything needed to rebuild a site, taken while the hub runs.

Order matters for a running hub: the spool first, then the database, then the time series. The spool's rules
cursor is then never ahead of the saved rule state, so after a restore readings are judged again rather than
skipped (at least once; orders are idempotent), and readings the store had not yet confirmed are in the spool.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from core.clock import Clock
from core.settings import Settings
from operations.archive import Manifest, archive_name, write_archive
from operations.database_backup import dump_database
from operations.files import copy_files
from operations.sqlite_copy import copy_sqlite
from operations.timeseries_backup import dump_timeseries

SPOOL_FILE = "spool.db"


def hub_version() -> str:
    try:
        return version("facilities")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
        return "unknown"


def create_backup(settings: Settings, folder: Path, clock: Clock, *, influx_rpc: str | None = None) -> Path:
    """Write `folder/facilities-backup-<UTC time>.tar.gz` and return its path."""
    started: datetime = clock.now()
    folder.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(created_at=started.isoformat(), hub_version=hub_version())
    with tempfile.TemporaryDirectory(prefix=".staging-", dir=folder) as staging_name:
        staging = Path(staging_name)
        spool = settings.data_dir / SPOOL_FILE
        if spool.is_file():
            copy_sqlite(spool, staging / "spool" / SPOOL_FILE)
            manifest.parts["spool"] = {"file": f"spool/{SPOOL_FILE}"}
        manifest.parts["database"] = dump_database(settings.database_url, staging / "database")
        manifest.parts["timeseries"] = dump_timeseries(settings, staging / "timeseries", rpc=influx_rpc)
        manifest.parts["files"] = copy_files(settings, staging / "files")
        return write_archive(staging, manifest, folder / archive_name(started))
