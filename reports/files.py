"""The monthly report written to the data folder (`<data>/reports/<site>-<YYYY-MM>.pdf` and `.xlsx`)."""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo

from reports.excel import monthly_workbook
from reports.model import MonthlyReport
from reports.render import monthly_pdf


def report_paths(folder: Path, site_id: str, period: str) -> tuple[Path, Path]:
    stem = folder / f"{site_id}-{period}"
    return stem.with_suffix(".pdf"), stem.with_suffix(".xlsx")


def write_monthly_files(report: MonthlyReport, zone: ZoneInfo, folder: Path) -> tuple[Path, Path]:
    """Both files, each written whole to a temporary name then renamed: a reader never sees half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = report_paths(folder, report.site_id, report.period)
    for path, content in zip(paths, (monthly_pdf(report, zone), monthly_workbook(report, zone)), strict=True):
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(content)
        os.replace(partial, path)
    return paths
