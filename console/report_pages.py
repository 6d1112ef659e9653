"""The monthly operations report (月度小结) in the console: the last twelve months, each as PDF or Excel.

Generated on request from the same data as `facilities report monthly` (needs `reports:read`: admin, staff).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from access.roles import Permission
from console.web import app_deps, console_config, render, site_zone, staff_or_login, words_for
from reports.excel import monthly_workbook
from reports.gather import build_monthly_report, parse_period
from reports.model import MonthlyReport
from reports.render import monthly_pdf

router = APIRouter(prefix="/console/reports", include_in_schema=False)
MONTHS = 12
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("")
def reports_page(request: Request) -> Response:
    viewer = staff_or_login(request, Permission.READ_REPORTS)
    if isinstance(viewer, Response):
        return viewer
    today = app_deps(request).clock.now().astimezone(site_zone(request))
    months = []
    year, month = today.year, today.month
    for _ in range(MONTHS):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        months.append(f"{year:04d}-{month:02d}")
    title = "月度小结" if words_for(request).lang == "zh-CN" else "Monthly operations report"
    return render(request, "reports.html", viewer=viewer, months=months, title=title)


def _report(request: Request, period: str) -> MonthlyReport:
    deps = app_deps(request)
    return build_monthly_report(
        deps.site, deps.session_factory, deps.store, period, book=console_config(request).patrols, clock=deps.clock
    )


@router.get("/{period}.pdf")
def report_pdf(request: Request, period: str) -> Response:
    return _download(request, period, "pdf")


@router.get("/{period}.xlsx")
def report_xlsx(request: Request, period: str) -> Response:
    return _download(request, period, "xlsx")


def _download(request: Request, period: str, kind: str) -> Response:
    viewer = staff_or_login(request, Permission.READ_REPORTS)
    if isinstance(viewer, Response):
        return viewer
    try:
        year, month = parse_period(period)
    except ValueError as exc:
        return render(request, "message.html", 422, viewer=viewer, title_key="not_found", text=str(exc))
    if datetime(year, month, 1, tzinfo=site_zone(request)) > app_deps(request).clock.now():
        return render(request, "message.html", 422, viewer=viewer, title_key="not_found", text="a month to come")
    report = _report(request, period)
    zone = site_zone(request)
    body, media = (
        (monthly_pdf(report, zone), "application/pdf") if kind == "pdf" else (monthly_workbook(report, zone), XLSX)
    )
    name = f"{report.site_id}-{report.period}.{kind}"
    return Response(body, media_type=media, headers={"Content-Disposition": f"attachment; filename={name}"})
