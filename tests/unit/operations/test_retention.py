"""Retention: the newest archive of each of the last N days and M months is kept; other files are never touched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from operations.archive import archive_name
from operations.retention import archive_time, prune, to_delete


def names(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_keeps_newest_per_day_and_per_month(tmp_path: Path) -> None:
    start = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    made = []
    for day in range(90):  # two archives a day for 90 days
        for hour in (3, 15):
            path = tmp_path / archive_name(start + timedelta(days=day, hours=hour - 3))
            path.write_bytes(b"x")
            made.append(path)
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "facilities-backup-garbage.tar.gz").write_text("not dated")
    deleted = prune(tmp_path, keep_daily=3, keep_monthly=2)
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert len(deleted) == 180 - 4
    assert kept == [
        "facilities-backup-20260228T150000Z.tar.gz",  # February's newest
        "facilities-backup-20260329T150000Z.tar.gz",  # the last three days, the last also March's newest
        "facilities-backup-20260330T150000Z.tar.gz",
        "facilities-backup-20260331T150000Z.tar.gz",
        "facilities-backup-garbage.tar.gz",
        "notes.txt",
    ]


def test_the_newest_is_always_kept_and_zero_daily_is_refused(tmp_path: Path) -> None:
    only = tmp_path / archive_name(datetime(2026, 5, 1, tzinfo=UTC))
    assert to_delete([only], keep_daily=1, keep_monthly=0) == []
    with pytest.raises(ValueError, match="keep_daily"):
        to_delete([only], keep_daily=0, keep_monthly=0)


@pytest.mark.parametrize("name", ["facilities-backup-2026.tar.gz", "other-20260101T000000Z.tar.gz", "x"])
def test_foreign_names_are_not_archives(name: str) -> None:
    assert archive_time(Path(name)) is None
