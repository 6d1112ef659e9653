"""CSV and Excel downloads of the console's filtered lists (work orders, alarms).

CSV is UTF-8 with a byte-order mark, so Excel on a Chinese Windows opens 中文 correctly; Excel files are
written with openpyxl. A cell that a spreadsheet would run as a formula (=, +, -, @ first) is written as
text with a leading apostrophe: an order title typed by a resident must never become a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_ROWS = 50_000  # a year of a large estate; beyond that the API's paging is the tool


def _safe(value: object) -> str:
    text = "" if value is None else str(value)
    text = "".join(ch if ch.isprintable() or ch in "\t\n" else " " for ch in text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def table_file(header: Sequence[str], rows: Sequence[Sequence[object]], fmt: str, name: str) -> Response:
    """The table as a download `name.csv` / `name.xlsx`; 404 for another format."""
    if fmt not in FORMATS:
        return Response(f"no export format {fmt!r}; use csv or xlsx", status_code=404, media_type="text/plain")
    cells = [[_safe(v) for v in row] for row in rows[:MAX_ROWS]]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(cells)
        body = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet(name[:31])
        sheet.append(list(header))
        for row in cells:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        body = out.getvalue()
    filename = f"{name}.{fmt}"
    disposition = (
        f"attachment; filename=\"{filename.encode('ascii', 'replace').decode()}\"; filename*=UTF-8''{quote(filename)}"
    )
    return Response(
        body, media_type=FORMATS[fmt], headers={"Content-Disposition": disposition, "Cache-Control": "no-store"}
    )
