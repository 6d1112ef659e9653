"""The billing routes over statements made by the real billing run, from readings in an embedded store.

Prices (tests/unit/billing/sample.py): water annual tiers 216/300 m³ at 2.90/3.85/6.70; electricity monthly
tiers 230/400 kWh at 0.538/0.588/0.838; gas flat 3.00, 3.30 from 2026-10-16. Unit B1-0101 uses all three;
the vacant B1-0102's water register goes down, so its statement is held for review.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker

from access.roles import Role
from api.app import create_app
from billing.config import CsvHeaders
from billing.run import run_billing
from core.clock import FakeClock
from tests.unit.api.harness import Api, running_api
from tests.unit.billing.sample import CONFIG, OCTOBER, SITE, cst, write

BILLING = "/sites/test-site/billing"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with running_api(tmp_path / "api", site=SITE) as running:
        store = running.deps.store
        write(store, "W-0101", [(cst(2025, 12, 31, 23, 50), 50.0), (cst(2026, 9, 30, 23, 50), 250.0)])
        write(store, "W-0101", [(cst(2026, 10, 31, 23, 50), 280.0)])
        write(store, "E-0101", [(cst(2026, 9, 30, 23, 50), 1000.0), (cst(2026, 10, 31, 23, 50), 1450.5)])
        write(store, "G-0101", [(cst(2026, 9, 30, 23, 50), 500.0), (cst(2026, 10, 31, 23, 50), 562.0)])
        write(store, "W-0102", [(cst(2025, 12, 31, 23, 50), 290.0), (cst(2026, 9, 30, 23, 50), 300.0)])
        write(store, "W-0102", [(cst(2026, 10, 31, 23, 50), 295.0)])
        assert isinstance(running.sessions, sessionmaker)
        run = run_billing(SITE, store, running.sessions, OCTOBER, CONFIG, clock=FakeClock(cst(2026, 11, 2, 3)))
        assert run.counts == {"created": 2}
        yield running


def get(api: Api, path: str, role: Role = Role.FEE_MODULE) -> Any:
    response = api.client.get(f"{BILLING}{path}", headers=api.as_role(role))
    assert response.status_code == 200, response.text
    return response.json()


def statement_ids(api: Api) -> dict[str, str]:
    return {s["unit_id"]: s["id"] for s in get(api, "/statements?period=2026-10")["items"]}


def test_fee_module_lists_periods_and_statements(api: Api) -> None:
    # B1-0101: water 100.30 + electricity 266.02 + gas 195.60 = 561.92; B1-0102 charges nothing (review).
    assert get(api, "/periods") == [
        {"period": "2026-10", "statements": 2, "drafts": 2, "finals": 0, "adjustments": 0, "total": "561.92"}
    ]
    page = get(api, "/statements?period=2026-10")
    assert (page["total"], page["limit"], page["offset"]) == (2, 100, 0)
    summary = [(s["unit_id"], s["status"], s["total"], s["vacant"], s["needs_review"]) for s in page["items"]]
    assert summary == [("B1-0101", "draft", "561.92", False, False), ("B1-0102", "draft", "0", True, True)]
    assert [s["unit_id"] for s in get(api, "/statements?period=2026-10&unit=B1-0102")["items"]] == ["B1-0102"]
    assert get(api, "/statements?period=2026-10&status=final")["items"] == []
    assert get(api, "/statements?period=2026-10&limit=1&offset=1")["items"][0]["unit_id"] == "B1-0102"
    assert get(api, "/statements?period=2026-09")["total"] == 0


def test_one_statement_has_readings_consumption_tiers_and_amounts(api: Api) -> None:
    body = get(api, f"/statements/{statement_ids(api)['B1-0101']}")
    assert (body["site_id"], body["unit_id"], body["period"], body["currency"]) == (
        "test-site", "B1-0101", "2026-10", "CNY",
    )  # fmt: skip
    water, electricity, gas = body["lines"]
    # 200 m³ used earlier in the tariff year (50 → 250): October's 30 m³ = 16 at 2.90 (46.40) + 14 at 3.85 (53.90)
    assert water["start"] == {"value": "250.000", "ts": "2026-09-30T15:50:00Z", "method": "reading"}
    assert water["end"] == {"value": "280.000", "ts": "2026-10-31T15:50:00Z", "method": "reading"}
    assert water["consumption"] == "30.000"
    assert [(c["name"], c["quantity"], c["unit_price"], c["amount"]) for c in water["charges"]] == [
        ("tier 1", "16.000", "2.90", "46.40"),
        ("tier 2", "14.000", "3.85", "53.90"),
    ]
    assert (water["amount"], water["estimated"], water["review"]) == ("100.30", False, None)
    # 450.5 kWh: 230 × 0.538 = 123.74; 170 × 0.588 = 99.96; 50.5 × 0.838 = 42.319 → 42.32; 266.02
    assert [c["amount"] for c in electricity["charges"]] == ["123.74", "99.96", "42.32"]
    assert (electricity["consumption"], electricity["amount"]) == ("450.500", "266.02")
    # 62 m³ split by days: 15/31 → 30 m³ at 3.00 = 90.00 to the 16th, 16/31 → 32 m³ at 3.30 = 105.60
    assert [(c["quantity"], c["unit_price"], c["amount"], c["start"], c["end"]) for c in gas["charges"]] == [
        ("30.000", "3.00", "90.00", "2026-10-01", "2026-10-16"),
        ("32.000", "3.30", "105.60", "2026-10-16", "2026-11-01"),
    ]
    assert gas["amount"] == "195.60"
    assert body["total"] == "561.92"

    held = get(api, f"/statements/{statement_ids(api)['B1-0102']}")
    (line,) = held["lines"]
    assert (line["consumption"], line["amount"], line["charges"]) == ("-5.000", "0", [])
    assert line["review"].startswith("register went down by 5.000: start register 300.000")


def test_csv_download_is_utf8_with_bom_for_excel(api: Api) -> None:
    response = api.client.get(f"{BILLING}/statements.csv?period=2026-10", headers=api.as_role(Role.FEE_MODULE))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="billing-test-site-2026-10.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows[0][:11] == [
        "账单编号",
        "账期",
        "小区",
        "楼栋",
        "房号",
        "类型",
        "状态",
        "表号",
        "类别",
        "单位",
        "起始读数",
    ]
    assert len(rows) == 5  # header + 3 lines of B1-0101 + 1 of B1-0102
    water = dict(zip(rows[0], rows[1], strict=True))
    assert (water["房号"], water["表号"], water["类别"], water["状态"]) == ("B1-0101", "W-0101", "水", "草稿")
    # registers and money exactly as stored, times in Shanghai local time
    assert (water["起始读数"], water["起始时间"], water["结束读数"], water["结束时间"]) == (
        "250.000", "2026-09-30 23:50:00", "280.000", "2026-10-31 23:50:00",
    )  # fmt: skip
    assert water["阶梯明细"] == "tier 1 16.000 × 2.90 = 46.40; tier 2 14.000 × 3.85 = 53.90"
    assert (water["用量"], water["金额"], water["账单合计"], water["估算"]) == ("30.000", "100.30", "561.92", "否")
    assert [(row[4], row[7], row[18]) for row in rows[1:]] == [
        ("B1-0101", "W-0101", "100.30"),
        ("B1-0101", "E-0101", "266.02"),
        ("B1-0101", "G-0101", "195.60"),
        ("B1-0102", "W-0102", "0"),
    ]
    assert response.content.count(b"\r\n") == 5


def test_csv_headers_in_english_by_query_or_by_the_billing_file(api: Api) -> None:
    english = api.client.get(f"{BILLING}/statements.csv?period=2026-10&headers=en", headers=api.as_role(Role.STAFF))
    assert english.content.startswith(b"\xef\xbb\xbfstatement_id,period,site,building,unit,kind,status,meter,")
    export = CONFIG.export.model_copy(update={"csv_headers": CsvHeaders.EN})
    deps = replace(api.deps, billing_config=CONFIG.model_copy(update={"export": export}))
    with TestClient(create_app(deps)) as client:
        default = client.get(f"{BILLING}/statements.csv?period=2026-10", headers=api.as_role(Role.FEE_MODULE))
        chinese = client.get(f"{BILLING}/statements.csv?period=2026-10&headers=zh", headers=api.as_role(Role.ADMIN))
    assert default.content.startswith(b"\xef\xbb\xbfstatement_id,")
    assert chinese.content.startswith("\ufeff账单编号,".encode())


def test_crew_gets_403_and_fee_module_may_not_finalize(api: Api) -> None:
    for path in ("/periods", "/statements?period=2026-10", "/statements.csv?period=2026-10"):
        response = api.client.get(f"{BILLING}{path}", headers=api.as_role(Role.CREW))
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    for role in (Role.CREW, Role.FEE_MODULE):
        response = api.client.post(f"{BILLING}/finalize?period=2026-10", headers=api.as_role(role))
        assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    assert api.client.get(f"{BILLING}/periods").status_code == 401
    assert get(api, "/periods")[0]["drafts"] == 2  # nothing was finalised


def test_staff_finalize_holds_statements_to_review_and_a_second_time_changes_nothing(api: Api) -> None:
    ids = statement_ids(api)
    api.clock.set(cst(2026, 11, 3, 10))
    first = api.client.post(f"{BILLING}/finalize?period=2026-10", headers=api.as_role(Role.STAFF))
    assert first.status_code == 200, first.text
    reason = (
        f"statement {ids['B1-0102']} (unit B1-0102, 2026-10) has lines to review (W-0102); resolve them and bill again"
    )
    held = {
        "id": ids["B1-0102"],
        "unit_id": "B1-0102",
        "kind": "regular",
        "sequence": 0,
        "total": "0",
        "reason": reason,
    }
    assert first.json() == {
        "period": "2026-10",
        "finalized": [
            {"id": ids["B1-0101"], "unit_id": "B1-0101", "kind": "regular", "sequence": 0, "total": "561.92"}
        ],
        "held": [held],
        "already_final": 0,
    }
    final = get(api, f"/statements/{ids['B1-0101']}")
    assert (final["status"], final["finalized_at"]) == ("final", "2026-11-03T02:00:00Z")
    assert get(api, f"/statements/{ids['B1-0102']}")["status"] == "draft"

    api.clock.set(cst(2026, 11, 4))
    second = api.client.post(f"{BILLING}/finalize?period=2026-10", headers=api.as_role(Role.ADMIN))
    assert second.status_code == 200
    assert second.json() == {"period": "2026-10", "finalized": [], "held": [held], "already_final": 1}
    assert get(api, f"/statements/{ids['B1-0101']}") == final  # untouched: same finalized_at, same fingerprint
    assert get(api, "/periods") == [
        {"period": "2026-10", "statements": 2, "drafts": 1, "finals": 1, "adjustments": 0, "total": "561.92"}
    ]
    assert [s["unit_id"] for s in get(api, "/statements?period=2026-10&status=final")["items"]] == ["B1-0101"]


def test_errors_use_the_json_shape(api: Api) -> None:
    headers = api.as_role(Role.FEE_MODULE)

    def error(method: str, path: str, role_headers: dict[str, str] = headers) -> tuple[int, str]:
        response = api.client.request(method, path, headers=role_headers)
        return response.status_code, response.json()["error"]["code"]

    assert error("GET", f"{BILLING}/statements/00000000-0000-4000-8000-000000000001") == (404, "not_found")
    assert error("GET", f"{BILLING}/statements/not-a-uuid") == (422, "invalid_request")
    assert error("GET", f"{BILLING}/statements?period=2026-13") == (422, "invalid_request")
    assert error("GET", f"{BILLING}/statements?period=October") == (422, "invalid_request")
    assert error("GET", f"{BILLING}/statements") == (422, "invalid_request")
    assert error("GET", f"{BILLING}/statements.csv?period=2026-10&headers=fr") == (422, "invalid_request")
    assert error("POST", f"{BILLING}/finalize?period=2026-00", api.as_role(Role.STAFF)) == (422, "invalid_request")
    assert error("GET", "/sites/elsewhere/billing/periods") == (404, "not_found")
    month = api.client.get(f"{BILLING}/statements?period=2026-13", headers=headers).json()
    assert month["error"]["message"] == "month 13 is not 1 to 12"
