"""PostgreSQL for the billing dashboard, on the tables of `billing/orm.py` (migration 0005).

Amounts and quantities are stored as exact decimal text, so every sum casts them to `numeric`.
A billing period is a month written `YYYY-MM`; the monthly panels place it at the first of the month
and keep the months whose start lies in the time range, the per-period panels take `$period`.
Template variables as in `dashboards/sql.py`: `$site` and `$period` unquoted single values,
`$building` a quoted list whose All value is `'__all'`.
"""

# ruff: noqa: S608  -- query templates for Grafana built from constants and enum values

from __future__ import annotations

from billing.statements import StatementStatus
from core.site import Utility
from dashboards.i18n import Lang, Text
from dashboards.sql import ALL_BUILDINGS, label

# Each statement with its month as a timestamp, so `$__timeFilter` gets a plain column.
STATEMENTS = "(SELECT *, to_timestamp(period, 'YYYY-MM') AS month FROM billing_statements) s"
LINES = f"billing_statement_lines l JOIN {STATEMENTS} ON s.id = l.statement_id"
SITE = "s.site_id = '$site'"
BUILDING = f"({ALL_BUILDINGS} IN ($building) OR s.building_id IN ($building))"
PERIOD = "s.period = '$period'"
MONTH = "s.month"
IN_RANGE = f"$__timeFilter({MONTH})"

UTILITY = {
    Utility.WATER: Text("水", "Water"),
    Utility.ELECTRICITY: Text("电", "Electricity"),
    Utility.GAS: Text("燃气", "Gas"),
}
REVIEW = "review"  # not a stored status: a draft with a line flagged for review, which cannot be finalised
STATES = {
    StatementStatus.DRAFT.value: Text("草稿", "Draft"),
    REVIEW: Text("待复核", "Held for review"),
    StatementStatus.FINAL.value: Text("已定稿", "Final"),
}
HELD = "EXISTS (SELECT 1 FROM billing_statement_lines r WHERE r.statement_id = s.id AND r.review IS NOT NULL)"
STATE = (
    f"CASE WHEN s.status = '{StatementStatus.FINAL.value}' THEN '{StatementStatus.FINAL.value}' "
    f"WHEN {HELD} THEN '{REVIEW}' ELSE '{StatementStatus.DRAFT.value}' END"
)


def _where(*conditions: str) -> str:
    return " AND ".join((SITE, BUILDING, *conditions))


def amount_per_building_per_month() -> str:
    """Billed amount (regular and adjusting statements) per month, one series per building."""
    return (
        f'SELECT {MONTH} AS "time", s.building_id AS "metric", sum(s.total::numeric) AS "amount" '
        f"FROM {STATEMENTS} WHERE {_where(IN_RANGE)} GROUP BY 1, 2 ORDER BY 1, 2"
    )


def consumption_per_month(lang: Lang) -> str:
    """Per month, building and utility: consumption (in the meters' unit) and amount, newest month first."""
    utility = label("l.utility", UTILITY, lang)
    return (
        f'SELECT s.period AS "period", s.building_id AS "building", {utility} AS "utility", l.uom AS "uom", '
        f'sum(l.consumption::numeric) AS "consumption", sum(l.amount::numeric) AS "amount" '
        f"FROM {LINES} WHERE {_where(IN_RANGE)} GROUP BY s.period, s.building_id, l.utility, l.uom "
        f"ORDER BY s.period DESC, s.building_id, l.utility, l.uom"
    )


def top_units(limit: int = 10) -> str:
    """The units billed most in `$period` (their statements and adjustments together)."""
    return (
        f'SELECT s.unit_id AS "unit", s.building_id AS "building", sum(s.total::numeric) AS "amount" '
        f"FROM {STATEMENTS} WHERE {_where(PERIOD)} GROUP BY s.unit_id, s.building_id "
        f"ORDER BY 3 DESC, 1 LIMIT {limit}"
    )


def statements_by_state(lang: Lang) -> str:
    """Statements of `$period` that are draft, held for review, final: every state, with 0 if none."""
    states = ", ".join(f"({rank}, '{key}', '{text(lang)}')" for rank, (key, text) in enumerate(STATES.items()))
    inner = f"SELECT s.id, {STATE} AS state FROM {STATEMENTS} WHERE {_where(PERIOD)}"
    return (
        f'SELECT k.name AS "status", count(x.id) AS "statements" FROM (VALUES {states}) AS k(rank, state, name) '
        f"LEFT JOIN ({inner}) AS x ON x.state = k.state GROUP BY k.rank, k.name ORDER BY k.rank"
    )


def total(*conditions: str) -> str:
    """Sum of the statement totals of `$period`."""
    return f'SELECT coalesce(sum(s.total::numeric), 0) AS "total" FROM {STATEMENTS} WHERE {_where(PERIOD, *conditions)}'


FINAL = f"s.status = '{StatementStatus.FINAL.value}'"


def sites() -> str:
    return "SELECT DISTINCT site_id FROM billing_statements ORDER BY 1"


def buildings() -> str:
    return "SELECT DISTINCT building_id FROM billing_statements WHERE site_id = '$site' ORDER BY 1"


def periods() -> str:
    """Billed periods of the site, newest first (the default)."""
    return "SELECT DISTINCT period FROM billing_statements WHERE site_id = '$site' ORDER BY 1 DESC"
