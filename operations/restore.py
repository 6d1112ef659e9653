"""`facilities restore ARCHIVE`: rebuild an installation from one archive, after checking every checksum.

Onto an empty installation (no tables, no readings, no data files); a live one is refused unless `force`,
so that a mistyped command never replaces a running site's data. The hub must be stopped while it runs.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import Settings
from operations.archive import Manifest, unpack_archive
from operations.backup import SPOOL_FILE
from operations.database_backup import clear_database, database_in_use, restore_database
from operations.files import files_in_use, restore_files
from operations.sqlite_copy import copy_sqlite
from operations.timeseries_backup import restore_timeseries, timeseries_in_use


class InstallationInUse(Exception):
    """The target installation holds data; the message lists what and how to proceed."""


@dataclass
class Restored:
    manifest: Manifest
    files: list[Path] = field(default_factory=list)


def in_use(settings: Settings) -> list[str]:
    """What of the target installation already holds data, as sentences."""
    found = []
    if database_in_use(settings.database_url):
        found.append("the database has tables (FACILITIES_DATABASE_URL)")
    if timeseries_in_use(settings):
        found.append("the reading store holds readings (FACILITIES_INFLUX_* or the embedded store)")
    if (settings.data_dir / SPOOL_FILE).exists():
        found.append(f"{settings.data_dir / SPOOL_FILE} exists")
    found += [f"{path} exists" for path in files_in_use(settings)]
    return found


def restore_backup(
    archive: Path, settings: Settings, *, force: bool = False, influx_rpc: str | None = None
) -> Restored:
    """Check `archive`, refuse a live installation without `force`, then restore every part."""
    with tempfile.TemporaryDirectory(prefix="facilities-restore-") as unpacked_name:
        unpacked = Path(unpacked_name)
        manifest = unpack_archive(archive, unpacked)  # a corrupted archive stops here, before anything changes
        live = in_use(settings)
        if live and not force:
            raise InstallationInUse(
                "refusing to restore onto a live installation: "
                + "; ".join(live)
                + ". Stop the hub and restore onto an empty installation, or pass --force to replace its data"
            )
        if force:
            clear_database(settings.database_url)
            for suffix in ("", "-wal", "-shm"):
                (settings.data_dir / f"{SPOOL_FILE}{suffix}").unlink(missing_ok=True)
        restore_database(settings.database_url, unpacked, manifest.parts["database"])
        restore_timeseries(settings, unpacked, manifest.parts["timeseries"], rpc=influx_rpc)
        if "spool" in manifest.parts:
            copy_sqlite(unpacked / manifest.parts["spool"]["file"], settings.data_dir / SPOOL_FILE)
        written = restore_files(settings, unpacked, manifest.parts.get("files", {}))
        return Restored(manifest, written)
