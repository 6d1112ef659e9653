"""POST /sites/{site}/billing/replacements and /readings: staff enter a meter swap and manual readings (抄表)
that the next billing run uses; the audit trail names the key; hostile bodies answer 422 naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from access.roles import Role
from billing.manual_readings import list_manual_readings
from billing.run import run_billing
from billing.service import list_replacements
from core.clock import FakeClock
from tests.unit.api.harness import Api, running_api
from tests.unit.billing.sample import CONFIG, OCTOBER, SITE, D, cst, write

BILLING = "/sites/test-site/billing"
SWAP = {"meter_id": "G-0101", "replaced_at": "2026-10-20T10:00:00+08:00", "old_final": "540", "new_initial": "0"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with running_api(tmp_path / "api", site=SITE) as running:
        write(running.deps.store, "W-0101", [(cst(2025, 12, 31, 23, 50), 50.0), (cst(2026, 9, 30, 23, 50), 250.0)])
        write(running.deps.store, "G-0101", [(cst(2026, 9, 30, 23, 50), 500.0)])
        yield running


def post(api: Api, path: str, body: dict[str, Any], role: Role = Role.STAFF) -> Any:
    return api.client.post(f"{BILLING}{path}", json=body, headers=api.as_role(role))


def test_a_swap_and_manual_readings_are_billed(api: Api) -> None:
    swap = post(api, "/replacements", {**SWAP, "note": "WO-20261020-0001"})
    assert swap.status_code == 201, swap.text
    assert swap.json()["recorded_by"] == "staff key"
    assert post(api, "/replacements", SWAP).status_code == 201  # the same swap again: a retry, no second row
    for meter, value in (("W-0101", "280"), ("G-0101", "25")):
        body = {"meter_id": meter, "read_at": "2026-10-31T23:50:00+08:00", "value": value, "note": "月底抄表"}
        assert post(api, "/readings", body).status_code == 201
    assert isinstance(api.sessions, sessionmaker)
    assert [r.note for r in list_replacements(api.sessions, "test-site")["G-0101"]] == ["WO-20261020-0001"]
    readings = list_manual_readings(api.sessions, "test-site")
    assert sorted((r.meter_id, r.value, r.recorded_by, r.note) for r in readings) == [
        ("G-0101", D("25"), "staff key", "月底抄表"),
        ("W-0101", D("280"), "staff key", "月底抄表"),
    ]
    run = run_billing(SITE, api.deps.store, api.sessions, OCTOBER, CONFIG, clock=FakeClock(cst(2026, 11, 2, 3)))
    lines = {line.meter_id: line for s in run.statements for line in s.lines}
    # water 280 - 250 = 30 m³ after 200 this year: 100.30; gas (540 - 500) + (25 - 0) = 65 m³: 205.07
    assert (lines["W-0101"].consumption, lines["W-0101"].amount) == (D("30.000"), D("100.30"))
    assert (lines["G-0101"].consumption, lines["G-0101"].amount) == (D("65.000"), D("205.07"))


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/replacements", {**SWAP, "meter_id": "NOPE"}, 422, "no meter 'NOPE' in site test-site"),
        ("/replacements", {**SWAP, "replaced_at": "2026-10-20T10:00:00"}, 422, "needs a time zone"),
        ("/replacements", {**SWAP, "new_initial": "-1"}, 422, "greater than or equal to 0"),
        ("/replacements", {**SWAP, "old_final": "NaN"}, 422, "finite"),
        ("/replacements", {**SWAP, "old_final": "10000"}, 422, "above meter G-0101's register maximum 9999"),
        ("/replacements", {**SWAP, "surprise": 1}, 422, "Extra inputs are not permitted"),
        ("/readings", {"meter_id": "W-0101", "read_at": "2999-01-01T00:00:00+08:00", "value": "1"}, 422, "future"),
        ("/readings", {"meter_id": "W-0101", "read_at": "2026-10-01T00:00:00+08:00"}, 422, "Field required"),
    ],
)
def test_hostile_bodies_answer_422_naming_the_field(
    api: Api, path: str, body: dict[str, Any], status: int, message: str
) -> None:
    response = post(api, path, body)
    assert response.status_code == status, response.text
    assert message in response.text


def test_a_different_swap_at_the_same_time_is_a_conflict(api: Api) -> None:
    assert post(api, "/replacements", SWAP).status_code == 201
    clash = post(api, "/replacements", {**SWAP, "old_final": "541"})
    assert clash.status_code == 409
    assert "already recorded with old final 540" in clash.text
