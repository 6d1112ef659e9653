"""The monthly report as an Excel workbook (openpyxl): one sheet per section, charts on the orders and the use."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reports.model import MonthlyReport
from reports.render import CATEGORY, UTILITY


def _sheet(book: Workbook, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Worksheet:
    sheet: Worksheet = book.create_sheet(title)
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_safe(value) for value in row])
    for index, column in enumerate(sheet.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(
            12, min(40, max(len(str(c.value or "")) for c in column) + 2)
        )
    return sheet


def _safe(value: Any) -> Any:
    """Text that Excel would run as a formula is stored as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _bar(sheet: Worksheet, title: str, rows: int, columns: int, anchor: str) -> None:
    if rows == 0:
        return
    chart = BarChart()
    chart.title = title
    chart.add_data(Reference(sheet, min_col=2, max_col=columns, min_row=1, max_row=rows + 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=rows + 1))
    sheet.add_chart(chart, anchor)


def monthly_workbook(report: MonthlyReport, zone: ZoneInfo) -> bytes:
    book = Workbook()
    summary = book.create_sheet("小结 Summary", 0)
    book.remove(book.worksheets[1])  # the empty sheet a new workbook starts with
    for row in (
        ("站点 Site", report.site_name), ("月份 Period", report.period),
        ("工单 Work orders", report.order_total),
        ("巡检按时率 Patrols on time", report.patrol_rate),
        ("回访满意率 Satisfied", report.satisfied_share),
        ("计划保养完成率 Planned maintenance", report.planned.rate if report.planned else "no plans configured"),
    ):  # fmt: skip
        summary.append(list(row))
    orders = [(CATEGORY.get(o.category, o.category), o.count, o.resolved, o.within_sla, o.breaches,
               o.median_hours_to_resolve) for o in report.orders]  # fmt: skip
    header = ("category", "reported", "resolved", "within_sla", "sla_breaches", "median_h_to_fix")
    sheet = _sheet(book, "工单 Orders", header, orders)
    _bar(sheet, "Work orders by category", len(orders), 3, "H2")
    _sheet(book, "回访 Follow-up", ("satisfaction", "calls"), list(report.satisfaction.items()))
    _sheet(
        book, "巡检 Patrols", ("route", "name", "due", "on_time", "late", "missed", "missed_rounds"),
        [(p.route_id, p.route_name, p.due, p.on_time, p.late, len(p.missed),
          ", ".join(s.astimezone(zone).strftime("%m-%d %H:%M") for s in p.missed)) for p in report.patrols],
    )  # fmt: skip
    _sheet(book, "告警 Alarms", ("kind", "orders"), list(report.alarms.items()))
    use = [(f"{UTILITY.get(u.utility, u.utility)} ({u.unit})", _f(u.last_year), _f(u.previous_month), _f(u.this_month),
            u.meters, u.meters_without_data) for u in report.consumption]  # fmt: skip
    sheet = _sheet(book, "能耗 Consumption", ("utility", "last_year", "previous_month", "this_month", "meters",
                                              "without_data"), use)  # fmt: skip
    _bar(sheet, "Consumption", len(use), 4, "H2")
    _sheet(book, "重复 Recurring", ("place", "orders", "categories", "titles"),
           [(p.place, p.count, ", ".join(p.categories), "; ".join(p.titles)) for p in report.recurring])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _f(value: Any) -> float | None:
    return None if value is None else float(value)
