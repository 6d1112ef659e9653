"""CSV and JSON for the fee module, and the monthly report, from statements written out by hand."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import uuid
from pathlib import Path

from billing.config import CsvHeaders
from billing.exports import COLUMNS, Names, csv_bytes, export_csv, export_json
from billing.report import monthly_report, render_text
from billing.statements import BoundaryReading, Charge, Statement, StatementKind, StatementLine
from core.site import Utility
from tests.unit.billing.sample import OCTOBER, D, cst

STATEMENT_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
WATER = StatementLine(
    meter_id="W-0101",
    utility=Utility.WATER,
    uom="m3",
    start=BoundaryReading(D("250.000"), cst(2026, 9, 30, 23, 50), "reading"),
    end=BoundaryReading(D("280.000"), cst(2026, 11, 1), "interpolated"),
    consumption=D("30.000"),
    charges=(
        Charge("第一阶梯", D("16"), D("2.90"), D("46.40")),
        Charge("第二阶梯", D("14.000"), D("3.85"), D("53.90")),
    ),
    amount=D("100.30"),
)
GAS = StatementLine(
    meter_id="G-0101",
    utility=Utility.GAS,
    uom="m3",
    start=None,
    end=None,
    consumption=None,
    charges=(),
    amount=D("0"),
    estimated=True,
    estimate_method="no readings: nothing to measure or estimate from",
    review="=no readings to find the start and end register",
)
STATEMENT = Statement(
    id=STATEMENT_ID,
    site_id="test-site",
    unit_id="B1-0101",
    building_id="B1",
    period=OCTOBER,
    currency="CNY",
    lines=(WATER, GAS),
    created_at=cst(2026, 11, 2),
)


def test_csv_is_utf8_with_bom_and_chinese_headers_for_excel(tmp_path: Path) -> None:
    path = tmp_path / "2026-10.csv"
    assert export_csv([STATEMENT], path) == 2
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:5] == ["账单编号", "账期", "小区", "楼栋", "房号"]
    water = dict(zip(rows[0], rows[1], strict=True))
    assert water["类别"] == "水" and water["状态"] == "草稿" and water["类型"] == "正常"
    # registers and money exactly as stored; times in the site's local time
    assert (water["起始读数"], water["起始时间"], water["结束时间"]) == (
        "250.000",
        "2026-09-30 23:50:00",
        "2026-11-01 00:00:00",
    )
    # quantities to the register quantum throughout (issue 22: "16" printed beside "14.000")
    assert water["阶梯明细"] == "第一阶梯 16.000 × 2.90 = 46.40; 第二阶梯 14.000 × 3.85 = 53.90"
    assert (water["用量"], water["金额"], water["账单合计"], water["估算"]) == ("30.000", "100.30", "100.30", "否")
    gas = dict(zip(rows[0], rows[2], strict=True))
    assert (gas["起始读数"], gas["用量"], gas["估算"]) == ("", "", "是")
    # free text starting like a formula is shown as text, not run by Excel
    assert gas["待复核原因"] == "'=无读数，起码和止码均无法确定"


def test_csv_with_english_headers() -> None:
    text = csv_bytes([STATEMENT], headers=CsvHeaders.EN).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [english for english, _ in COLUMNS]
    assert (rows[0]["utility"], rows[0]["status"], rows[1]["estimated"]) == ("water", "draft", "yes")
    assert rows[0]["statement_id"] == str(STATEMENT_ID)


def test_json_keeps_decimals_exact(tmp_path: Path) -> None:
    path = tmp_path / "2026-10.json"
    export_json([STATEMENT], path)
    data = json.loads(path.read_text(encoding="utf-8"))
    (exported,) = data["statements"]
    assert exported["id"] == str(STATEMENT_ID) and exported["status"] == "draft"
    assert exported["total"] == "100.30"
    assert exported["lines"][0]["charges"][1] == {
        "name": "第二阶梯",
        "quantity": "14.000",
        "unit_price": "3.85",
        "amount": "53.90",
        "start": None,
        "end": None,
    }
    assert exported["lines"][1]["consumption"] is None
    assert exported["fingerprint"] == STATEMENT.fingerprint


def test_monthly_report() -> None:
    vacant = dataclasses.replace(
        STATEMENT,
        id=uuid.uuid4(),
        unit_id="B1-0102",
        vacant=True,
        lines=(dataclasses.replace(WATER, meter_id="W-0102", consumption=D("2.500"), amount=D("7.25")),),
    )
    # B1-0101's water was 2 m³ short: the adjusting line carries +2.000 m³ for 2 × 3.85 = +7.70
    more = dataclasses.replace(WATER, consumption=D("2.000"), amount=D("7.70"), charges=())
    correction = dataclasses.replace(STATEMENT, kind=StatementKind.ADJUSTMENT, sequence=1, lines=(more,))
    report = monthly_report("test-site", OCTOBER, [STATEMENT, vacant, correction])
    # the adjustment counts (issue 22): 100.30 + 7.25 + 7.70 = 115.25, the export's net total
    assert (report.statements, report.adjustments, report.total) == (2, 1, D("115.25"))
    water = next(b for b in report.by_building if b.utility == "water")
    # 30.000 + 2.000 + 2.500 = 34.500 m³ on two meters for 115.25
    assert (water.meters, water.consumption, water.amount) == (2, D("34.500"), D("115.25"))
    assert report.top_consumers["water"][0].consumption == D("32.000")
    assert [i.meter_id for i in report.top_consumers["water"]] == ["W-0101", "W-0102"]
    assert [i.meter_id for i in report.estimated] == ["G-0101"]
    assert [i.meter_id for i in report.to_review] == ["G-0101"]
    assert [i.unit_id for i in report.vacant_with_use] == ["B1-0102"]
    assert report.to_dict()["total"] == "115.25"
    assert "Meters needing review: 1" in render_text(report)


def test_report_leaves_out_a_negative_line_held_for_review() -> None:
    # Issue 22: -950 kWh after an unrecorded meter swap is held for review, not added into the building
    swap = StatementLine(
        meter_id="E-0101",
        utility=Utility.ELECTRICITY,
        uom="kWh",
        start=BoundaryReading(D("1000.000"), cst(2026, 9, 30, 23, 50), "reading"),
        end=BoundaryReading(D("50.000"), cst(2026, 10, 31, 23, 50), "reading"),
        consumption=D("-950.000"),
        charges=(),
        amount=D("0"),
        review="register went down by 950.000",
    )
    other = dataclasses.replace(swap, meter_id="E-0102", consumption=D("120.000"), amount=D("64.56"), review=None)
    held = dataclasses.replace(STATEMENT, lines=(swap,))
    fine = dataclasses.replace(STATEMENT, id=uuid.uuid4(), unit_id="B1-0102", lines=(other,))
    report = monthly_report("test-site", OCTOBER, [held, fine])
    (electricity,) = report.by_building
    assert (electricity.consumption, electricity.amount, electricity.to_review) == (D("120.000"), D("64.56"), 1)
    assert [i.meter_id for i in report.top_consumers["electricity"]] == ["E-0102"]
    assert [i.meter_id for i in report.to_review] == ["E-0101"]


def test_csv_shows_names_and_every_word_in_chinese() -> None:
    # Issue 22: ids instead of names, and 读数方式 / 估算方法 / 待复核原因 in English.
    estimated = dataclasses.replace(
        WATER,
        end=BoundaryReading(D("280.000"), cst(2026, 11, 1), "extrapolated"),
        estimated=True,
        estimate_method=(
            "end: extrapolated (last reading 2026-10-26T00:00:00+08:00 + 10.000/day, "
            "the average from 2026-10-16T00:00:00+08:00)"
        ),
        review=(
            "register went down by 5.000: start register 300.000 at 2026-09-30T23:50:00+08:00 to end register "
            "295.000 at 2026-10-31T23:50:00+08:00; record the meter replacement or check the meter, then bill again"
        ),
    )
    names = Names("翠苑小区", {"B1": "1号楼"})
    text = csv_bytes([dataclasses.replace(STATEMENT, lines=(estimated,))], names=names).decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(text))
    assert (row["小区"], row["楼栋"], row["小区编号"], row["楼栋编号"]) == ("翠苑小区", "1号楼", "test-site", "B1")
    assert (row["起始读数方式"], row["结束读数方式"]) == ("实抄读数", "按日均用量外推（估算）")
    assert row["估算方法"] == (
        "止码：按日均用量外推（估算）（末次读数 2026-10-26T00:00:00+08:00 + 每日 10.000"
        "（自 2026-10-16T00:00:00+08:00 起的日均用量））"
    )
    assert row["待复核原因"] == (
        "表码下降 5.000：起码 300.000（2026-09-30T23:50:00+08:00）至止码 295.000（2026-10-31T23:50:00+08:00）"
        "；请登记换表或检查表计后重新出账"
    )
    # English headers keep the English words and the ids when no names are given
    english = next(csv.DictReader(io.StringIO(csv_bytes([STATEMENT], headers=CsvHeaders.EN).decode("utf-8-sig"))))
    assert (english["site"], english["start_method"]) == ("test-site", "reading")
