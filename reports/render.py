"""The monthly report as HTML and PDF (WeasyPrint): tables, key figures and bar charts, in Chinese and English."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from reports.charts import bar_chart
from reports.model import MonthlyReport

TEMPLATES = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html"]))
CATEGORY = {
    "elevator": "电梯 Elevator", "plumbing": "给排水 Plumbing", "electrical": "电气 Electrical",
    "lighting": "照明 Lighting", "metering": "计量 Metering", "other": "其他 Other",
}  # fmt: skip
SATISFACTION = {
    "very_satisfied": "非常满意", "satisfied": "满意", "neutral": "一般", "dissatisfied": "不满意",
    "very_dissatisfied": "非常不满意", "unreachable": "未接通",
}  # fmt: skip
UTILITY = {"water": "水 Water", "electricity": "电 Electricity", "gas": "气 Gas"}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _num(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _change(now: Decimal | None, before: Decimal | None) -> str:
    if now is None or before is None or before == 0:
        return "—"
    return f"{(now - before) / before:+.0%}"


def monthly_html(report: MonthlyReport, zone: ZoneInfo) -> str:
    def local(when: datetime) -> str:
        return when.astimezone(zone).strftime("%m-%d %H:%M")

    orders = [(CATEGORY.get(o.category, o.category), float(o.count)) for o in report.orders if o.count]
    alarms = [(kind, float(count)) for kind, count in report.alarms.items()]
    use_charts = []  # one chart per utility: kWh and m³ share no scale
    for u in report.consumption:
        bars = [
            (f"{UTILITY.get(u.utility, u.utility)} {label}", float(value))
            for label, value in (("去年同月", u.last_year), ("上月", u.previous_month), ("本月", u.this_month))
            if value is not None
        ]
        if bars:
            use_charts.append(bar_chart(bars, unit=f" {u.unit}"))
    return TEMPLATES.get_template("monthly.html").render(
        r=report, generated=local(report.generated_at), pct=_pct, num=_num, change=_change, local=local,
        cat=CATEGORY, sat=SATISFACTION, util=UTILITY, order_chart=bar_chart(orders) if orders else "",
        alarm_chart=bar_chart(alarms), consumption_chart="".join(use_charts),
    )  # fmt: skip


def monthly_pdf(report: MonthlyReport, zone: ZoneInfo) -> bytes:
    from weasyprint import HTML  # loading pango takes a moment the other commands need not wait for

    pdf: bytes = HTML(string=monthly_html(report, zone)).write_pdf()
    return pdf
