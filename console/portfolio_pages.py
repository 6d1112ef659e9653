"""The company-wide page: one row per site the viewer may see, sortable by any column without JavaScript.

Needs `reports:read` (admin, staff), as the monthly report does; the figures are `reports.portfolio`'s.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from access.roles import Permission
from console.portfolio_words import WORDS
from console.web import app_deps, render, site_zone, staff_or_login, words_for
from reports.portfolio import SORT_KEYS, SiteFigures, UnitConsumption, portfolio_summary, sorted_sites

router = APIRouter(prefix="/console/portfolio", include_in_schema=False)
MONTHS = 13  # this month and the twelve before
COLUMNS = ("site", "open_orders", "sla", "breaches", "alarms", "maintenance")
UNIT_NAMES = {"m3": "m³", "kWh": "kWh"}


@router.get("")
def portfolio_page(
    request: Request, month: str | None = None, sort: str = "", desc: str = "0"
) -> Response:  # fmt: skip
    viewer = staff_or_login(request, Permission.READ_REPORTS)
    if isinstance(viewer, Response):
        return viewer
    deps, words = app_deps(request), WORDS[words_for(request).lang]
    today = deps.clock.now().astimezone(site_zone(request))
    months, year, number = [], today.year, today.month
    for _ in range(MONTHS):
        months.append(f"{year:04d}-{number:02d}")
        year, number = (year - 1, 12) if number == 1 else (year, number - 1)
    period = month or months[0]
    if period not in months or (sort and sort not in SORT_KEYS) or desc not in ("0", "1"):
        text = f"month: one of {months[-1]} … {months[0]}; sort: one of {', '.join(SORT_KEYS)}; desc: 0 or 1"
        return render(request, "message.html", 422, viewer=viewer, title_key="invalid", text=text)
    company, sites = deps.company_sites(viewer.identity)
    if viewer.staff is not None:  # a person of some sites compares those where their role reads reports
        sites = {i: site for i, site in sites.items() if viewer.staff.grants.holds(i, Permission.READ_REPORTS)}
    summary = portfolio_summary(company, sites, deps.session_factory, deps.store_of, period, clock=deps.clock)
    descending = desc == "1"
    columns = [*COLUMNS, *summary.utilities]

    def heading(key: str) -> tuple[str, str, str]:
        """(words, link, arrow): a column's heading sorts by it, a second click the other way round."""
        flip = "1" if key == sort and not descending else "0"
        arrow = ("▼" if descending else "▲") if key == sort else ""
        return words[key], "?" + urlencode({"month": period, "sort": key, "desc": flip}), arrow

    ordered = sorted_sites(summary.sites, sort, descending=descending) if sort else summary.sites  # else: the file's
    rows = [_cells(site, summary.utilities, words) for site in ordered]
    return render(
        request, "portfolio.html", viewer=viewer, p=words, company=summary.company, period=period, months=months,
        sort=sort, desc=desc, headings=[heading(key) for key in columns], rows=rows,
        sort_choices=[(words[key], key) for key in columns],  # the headings are hidden on a phone: sort here too
        # Run by replicas (docs/scaling.md), the front serves one site's console at a time: a link to each.
        switch=[(s.site_id, s.site_name) for s in summary.sites] if getattr(deps, "portfolio", None) else [],
    )  # fmt: skip


def _cells(site: SiteFigures, utilities: tuple[str, ...], words: dict[str, str]) -> list[tuple[str, str]]:
    """(column's words, the site's text in it), for one row of the table."""
    cells = [
        (words["site"], site.site_name),
        (words["open_orders"], str(site.open_orders)),
        (words["sla"], _share(site.sla_rate) + f" · {words['orders_of'].format(n=site.orders)}"),
        (words["breaches"], str(site.breaches)),
        (words["alarms"], str(site.open_alarms)),
        (words["maintenance"], _share(site.maintenance_rate)),
    ]
    for utility in utilities:
        used = _used(site.per_unit(utility), words["previous"])
        cells.append((words[utility], words["unavailable"] if site.consumption_unavailable else used))
    return cells


def _share(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def _used(line: UnitConsumption | None, previous: str) -> str:
    if line is None:
        return "—"
    unit = UNIT_NAMES.get(line.unit, line.unit)

    def amount(value: Decimal | None) -> str:
        return "—" if value is None else f"{value} {unit}"

    return f"{amount(line.this_month)} ({previous} {amount(line.previous_month)})"
