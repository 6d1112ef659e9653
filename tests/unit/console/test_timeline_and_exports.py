"""The state timeline's runs and markup, and the exports' formula guard and formats."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from console.exports import table_file
from console.timeline import MAX_SEGMENTS, render_timeline, segments

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_runs_of_one_value_merge_and_the_last_reaches_the_end() -> None:
    points = [(at(2), "stopped"), (at(0), "moving"), (at(1), "moving"), (at(3), "stopped")]
    assert segments(points, at(5)) == [(at(0), at(2), "moving"), (at(2), at(5), "stopped")]


def test_a_flapping_value_keeps_only_the_latest_runs() -> None:
    points = [(at(i / 10), "open" if i % 2 else "closed") for i in range(1000)]
    runs = segments(points, at(200))
    assert len(runs) == MAX_SEGMENTS and runs[-1][1] == at(200)


def test_the_timeline_escapes_hostile_values_and_marks_the_alarm() -> None:
    svg = render_timeline(
        {"state": [(at(0), "<script>alert(1)</script>"), (at(5), "stopped")]},
        alarm_at=at(4), end=at(10), tz=SHANGHAI, labels={"state": "运行状态"}, alarm_label="报警",
        empty_text="暂无读数",
    )  # fmt: skip
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'class="alarm"' in svg and "报警 16:04" in svg and "运行状态" in svg


def test_an_empty_timeline_says_so() -> None:
    svg = render_timeline({}, alarm_at=at(0), end=at(1), tz=SHANGHAI, labels={}, alarm_label="a", empty_text="暂无读数")
    assert "暂无读数" in svg and "<rect" not in svg


def test_a_cell_that_would_be_a_formula_is_written_as_text() -> None:
    rows = [['=HYPERLINK("http://evil")', "+1", "-2", "@SUM(A1)", "厨房漏水", None, "a\x00b"]]
    answer = table_file(["a", "b", "c", "d", "e", "f", "g"], rows, "csv", "orders")
    assert answer.body.startswith(b"\xef\xbb\xbf")
    [_, row] = list(csv.reader(io.StringIO(answer.body.decode("utf-8-sig"))))
    assert row == ['\'=HYPERLINK("http://evil")', "'+1", "'-2", "'@SUM(A1)", "厨房漏水", "", "a b"]
    book = load_workbook(io.BytesIO(table_file(["a"], [["=1+1"]], "xlsx", "工单").body))
    assert book.active["A2"].value == "'=1+1" and book.active["A2"].data_type == "s"
    assert (
        "filename*=UTF-8''%E5%B7%A5%E5%8D%95.xlsx"
        in table_file(["a"], [], "xlsx", "工单").headers["content-disposition"]
    )


def test_an_unknown_format_is_404() -> None:
    assert table_file(["a"], [], "pdf", "x").status_code == 404
