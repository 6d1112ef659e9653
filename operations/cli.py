"""`facilities backup` and `facilities restore`, registered on the main app by facilities/cli.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from core.clock import SystemClock
from core.settings import Settings
from operations.archive import ArchiveError
from operations.backup import create_backup
from operations.restore import InstallationInUse, restore_backup
from operations.retention import prune
from operations.settings import BackupSettings
from operations.tools import BackupError


def _fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


def _settings() -> tuple[Settings, BackupSettings]:
    try:
        return Settings(), BackupSettings()
    except ValidationError as exc:
        raise _fail(f"bad FACILITIES_* environment setting:\n{exc}") from None


def backup(
    to: Annotated[
        Path | None, typer.Option("--to", help="Folder for the archive; default $FACILITIES_BACKUP_DIR.")
    ] = None,
    prune_old: Annotated[bool, typer.Option("--prune/--no-prune", help="Apply the retention afterwards.")] = True,
) -> None:
    """Write one dated archive (database, time series, spool, site/alerts/billing files, secrets, uploads)."""
    settings, backups = _settings()
    folder = to or backups.dir
    try:
        archive = create_backup(settings, folder, SystemClock(), influx_rpc=backups.influx_rpc)
    except BackupError as exc:
        raise _fail(f"backup failed: {exc}") from None
    typer.echo(f"backup written: {archive} ({archive.stat().st_size} bytes)")
    if prune_old:
        for gone in prune(folder, keep_daily=backups.keep_daily, keep_monthly=backups.keep_monthly):
            typer.echo(f"deleted (retention {backups.keep_daily} daily, {backups.keep_monthly} monthly): {gone}")


def restore(
    archive: Annotated[Path, typer.Argument(help="A facilities-backup-*.tar.gz archive.")],
    force: Annotated[bool, typer.Option("--force", help="Replace the data of a live installation.")] = False,
) -> None:
    """Restore an archive onto an empty installation (stop the hub first); checksums are checked first."""
    settings, backups = _settings()
    try:
        restored = restore_backup(archive, settings, force=force, influx_rpc=backups.influx_rpc)
    except (ArchiveError, InstallationInUse, BackupError) as exc:
        raise _fail(f"restore refused: {exc}") from None
    typer.echo(
        f"restored {archive} (taken {restored.manifest.created_at} by facilities {restored.manifest.hub_version}); "
        "start the hub: it migrates the database if this release is newer"
    )
