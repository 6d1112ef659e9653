"""`facilities backup` and `facilities restore`, registered on the main app by facilities/cli.py."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
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
    daily_at: Annotated[
        str | None,
        typer.Option("--daily-at", help="Keep running and back up every day at HH:MM (UTC), as the compose service."),
    ] = None,
) -> None:
    """Write one dated archive (database, time series, spool, site/alerts/billing files, secrets, uploads)."""
    settings, backups = _settings()
    folder = to or backups.dir
    if daily_at is not None:
        _every_day(daily_at, lambda: _backup_once(settings, backups, folder, prune_old))
        return
    _backup_once(settings, backups, folder, prune_old)


def _every_day(at: str, job: Callable[[], None]) -> None:
    """Run `job` every day at `at` (UTC) until stopped; a failed run is reported and the next day tried again."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    try:
        when = datetime.strptime(at, "%H:%M")
    except ValueError:
        raise _fail(f"--daily-at {at!r}: write the time as HH:MM, e.g. 03:00") from None
    hour, minute = when.hour, when.minute

    def guarded() -> None:
        with suppress(typer.Exit):  # already reported on stderr; the next day tries again
            job()

    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(guarded, "cron", hour=hour, minute=minute, misfire_grace_time=3600, coalesce=True)
    typer.echo(f"backing up every day at {hour:02d}:{minute:02d} UTC")
    scheduler.start()


def _backup_once(settings: Settings, backups: BackupSettings, folder: Path, prune_old: bool) -> None:
    try:
        archive = create_backup(settings, folder, SystemClock(), influx_rpc=backups.influx_rpc)
    except (BackupError, OSError) as exc:
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
