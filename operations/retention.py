"""Which archives to keep: the newest of each of the last N days and of the last M months; the rest go."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from operations.archive import PREFIX, STAMP, SUFFIX


def archive_time(path: Path) -> datetime | None:
    """The time in an archive's name, or None for a file that is not one of ours (never deleted)."""
    name = path.name
    if not (name.startswith(PREFIX) and name.endswith(SUFFIX)):
        return None
    try:
        return datetime.strptime(name[len(PREFIX) : -len(SUFFIX)], STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def to_delete(archives: list[Path], *, keep_daily: int, keep_monthly: int) -> list[Path]:
    """Archives outside the retention: the newest per day for `keep_daily` days and per month for `keep_monthly`
    months are kept."""
    if keep_daily < 1:
        raise ValueError("keep_daily must be at least 1: the newest archive is always kept")
    dated = sorted(((t, p) for p in archives if (t := archive_time(p)) is not None), reverse=True)
    keep: set[Path] = set()
    days: list[str] = []
    months: list[str] = []
    for at, path in dated:
        day, month = at.strftime("%Y-%m-%d"), at.strftime("%Y-%m")
        if day not in days and len(days) < keep_daily:
            days.append(day)
            keep.add(path)
        if month not in months and len(months) < keep_monthly:
            months.append(month)
            keep.add(path)
    return sorted(p for _, p in dated if p not in keep)


def prune(folder: Path, *, keep_daily: int, keep_monthly: int) -> list[Path]:
    """Delete the archives in `folder` outside the retention; returns what was deleted."""
    doomed = to_delete(sorted(folder.glob(f"{PREFIX}*{SUFFIX}")), keep_daily=keep_daily, keep_monthly=keep_monthly)
    for path in doomed:
        path.unlink()
    return doomed
