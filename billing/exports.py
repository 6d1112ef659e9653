"""Files for the fee module: CSV (one row per statement line, for Excel) and JSON (whole statements).

The CSV is UTF-8 with a byte-order mark, which is what makes Excel on a Chinese Windows read 中文 instead
of mojibake; headers are Chinese or English. Amounts and registers are written exactly as stored (no float
formatting), times in the site's local time, quantities to the register quantum (0.001) throughout. With
Chinese headers every word is Chinese too: utilities, states, how registers were read, how use was estimated
and why a line waits for review (`billing.zh_text`). The site and building columns show their names (the
ids follow in their own columns at the end) when the site is given.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from billing.config import CsvHeaders
from billing.statements import BoundaryReading, Statement, StatementLine
from billing.zh_text import METHODS, to_zh
from core.site import Site

# (English header, Chinese header) per column, in order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("statement_id", "账单编号"),
    ("period", "账期"),
    ("site", "小区"),
    ("building", "楼栋"),
    ("unit", "房号"),
    ("kind", "类型"),
    ("status", "状态"),
    ("meter", "表号"),
    ("utility", "类别"),
    ("uom", "单位"),
    ("start_reading", "起始读数"),
    ("start_time", "起始时间"),
    ("start_method", "起始读数方式"),
    ("end_reading", "结束读数"),
    ("end_time", "结束时间"),
    ("end_method", "结束读数方式"),
    ("consumption", "用量"),
    ("tiers", "阶梯明细"),
    ("amount", "金额"),
    ("statement_total", "账单合计"),
    ("currency", "币种"),
    ("estimated", "估算"),
    ("estimate_method", "估算方法"),
    ("review", "待复核原因"),
    ("vacant", "空置"),
    ("adjusts", "调整的账单"),
    ("fingerprint", "校验码"),
    ("site_id", "小区编号"),
    ("building_id", "楼栋编号"),
)
_QUANTITY = Decimal("0.001")


@dataclass(frozen=True)
class Names:
    """Display names of a site and its buildings, for the CSV's 小区 and 楼栋 columns."""

    site: str
    buildings: Mapping[str, str]

    @classmethod
    def of(cls, site: Site) -> Names:
        return cls(site.info.name, {b.id: b.name or b.id for b in site.buildings.values()})


_ZH_WORDS = {
    "water": "水",
    "electricity": "电",
    "gas": "燃气",
    "regular": "正常",
    "adjustment": "调整",
    "draft": "草稿",
    "final": "已确认",
    True: "是",
    False: "否",
}
_EN_WORDS: dict[Any, str] = {True: "yes", False: "no"}
# Spreadsheet formula prefixes: free text starting with one is quoted so Excel shows it instead of running it.
_FORMULA = ("=", "+", "-", "@")


def write_csv(
    statements: Sequence[Statement],
    out: TextIO,
    *,
    timezone: str = "Asia/Shanghai",
    headers: CsvHeaders = CsvHeaders.ZH,
    names: Names | None = None,
) -> int:
    """Write one row per line of every statement to `out`; returns the number of rows (without the header)."""
    zh = headers is CsvHeaders.ZH
    zone = ZoneInfo(timezone)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([zh_name if zh else en_name for en_name, zh_name in COLUMNS])
    rows = 0
    for statement in statements:
        for line in statement.lines:
            writer.writerow(_row(statement, line, zone, zh, names))
            rows += 1
    return rows


def export_csv(
    statements: Sequence[Statement],
    path: str | Path,
    *,
    timezone: str = "Asia/Shanghai",
    headers: CsvHeaders = CsvHeaders.ZH,
    names: Names | None = None,
) -> int:
    """Write the CSV file (UTF-8 with BOM, CRLF lines, for Excel); returns the number of line rows."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as out:
        return write_csv(statements, out, timezone=timezone, headers=headers, names=names)


def csv_bytes(
    statements: Sequence[Statement],
    *,
    timezone: str = "Asia/Shanghai",
    headers: CsvHeaders = CsvHeaders.ZH,
    names: Names | None = None,
) -> bytes:
    """The CSV file's bytes (with BOM), for an HTTP download."""
    buffer = io.StringIO()
    write_csv(statements, buffer, timezone=timezone, headers=headers, names=names)
    return buffer.getvalue().encode("utf-8-sig")


def statements_json(statements: Sequence[Statement]) -> str:
    """The statements as a JSON document: {"statements": [...]}, decimals as strings so nothing is rounded."""
    return json.dumps({"statements": [s.to_dict() for s in statements]}, ensure_ascii=False, indent=2)


def export_json(statements: Sequence[Statement], path: str | Path) -> None:
    """Write `statements_json` to a file (UTF-8)."""
    Path(path).write_text(statements_json(statements) + "\n", encoding="utf-8")


def _row(statement: Statement, line: StatementLine, zone: ZoneInfo, zh: bool, names: Names | None) -> list[str]:
    words = _ZH_WORDS if zh else _EN_WORDS

    def word(value: Any) -> str:
        return words.get(value, str(value))

    def free(text: str | None) -> str:
        return _text(to_zh(text) if zh and text else text)

    tiers = "; ".join(f"{c.name} {quantity(c.quantity)} × {c.unit_price} = {c.amount}" for c in line.charges)
    site_name = names.site if names else statement.site_id
    building_name = (
        names.buildings.get(statement.building_id, statement.building_id) if names else statement.building_id
    )
    return [
        str(statement.id),
        str(statement.period),
        site_name,
        building_name,
        statement.unit_id,
        word(statement.kind.value),
        word(statement.status.value),
        line.meter_id,
        word(line.utility.value),
        line.uom,
        *_reading(line.start, zone, zh),
        *_reading(line.end, zone, zh),
        "" if line.consumption is None else quantity(line.consumption),
        tiers,
        str(line.amount),
        str(statement.total),
        statement.currency,
        word(line.estimated),
        free(line.estimate_method),
        free(line.review),
        word(statement.vacant),
        str(statement.adjusts) if statement.adjusts else "",
        statement.fingerprint,
        statement.site_id,
        statement.building_id,
    ]


def quantity(value: Decimal) -> str:
    """A quantity to at least the register quantum: 80 and 80.000 both print as 80.000."""
    return str(value.quantize(_QUANTITY) if value.as_tuple().exponent > _QUANTITY.as_tuple().exponent else value)  # type: ignore[operator]


def _reading(reading: BoundaryReading | None, zone: ZoneInfo, zh: bool) -> list[str]:
    if reading is None:
        return ["", "", ""]
    method = METHODS.get(reading.method, reading.method) if zh else reading.method
    return [str(reading.value), _local(reading.ts, zone), method]


def _local(when: datetime, zone: ZoneInfo) -> str:
    # "2026-10-01 00:00:00": the form Excel recognises as a date-time, in the site's time zone.
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _text(value: str | None) -> str:
    if not value:
        return ""
    return f"'{value}" if value.startswith(_FORMULA) else value
