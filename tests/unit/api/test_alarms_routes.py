"""Open alarms: read from the rule state the engine keeps, filtered, with the work order handling each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from access.roles import Role
from rules.events import alarm_id
from rules.state_store import SqlRuleStateStore, StoredState
from tests.unit.api.harness import NOW
from tests.unit.api.workorders_harness import OrdersApi, orders_api
from workorders import service
from workorders.alarms import AlarmFacts
from workorders.unit_of_work import SqlAlchemyUnitOfWork
from workorders.values import Category

MINUTE = timedelta(minutes=1)
ALARMS = "/sites/lakeview/alarms"


# Nobody acknowledged or shelved these, and no maintenance window runs (console /console/alarms records those).
UNHANDLED = {"acknowledged_by": None, "acknowledged_at": None, "shelved_until": None, "shelved_reason": None,
             "in_maintenance": False}  # fmt: skip


def state(rule_id: str, asset_id: str, severity: str, raised_min: int, status: str = "firing") -> StoredState:
    raised = NOW + raised_min * MINUTE
    return StoredState(
        rule_id=rule_id, asset_id=asset_id, status=status, severity=severity, updated_at=raised,
        since=raised - 2 * MINUTE, raised_at=raised, alarm_id=alarm_id(rule_id, asset_id, raised),
        message_key=rule_id, evidence={"minutes": 2, "floor": 3.5},
    )  # fmt: skip


class FakeAlarms:
    def __init__(self, alarms: Sequence[StoredState]) -> None:
        self.alarms = list(alarms)

    def open_alarms(self) -> list[StoredState]:
        return self.alarms


def engine_of(api: OrdersApi) -> Engine:
    bind = api.base.sessions().get_bind()
    assert isinstance(bind, Engine)
    return bind


def test_without_a_port_the_rule_state_of_the_same_database_is_read(tmp_path: Path) -> None:
    with orders_api(tmp_path) as api:
        store = SqlRuleStateStore(engine_of(api), "lakeview")
        store.save(
            [
                state("elevator-entrapment", "B1-L1", "critical", 5),
                state("water-running", "B2-0101-W", "warning", 1),
                state("lights-left-on", "GARAGE-LIGHT", "warning", 3, status="cleared"),
            ]
        )
        SqlRuleStateStore(engine_of(api), "elsewhere").save([state("water-running", "B1-0101-W", "warning", 0)])
        facts = AlarmFacts(
            rule_id="elevator-entrapment", asset_id="B1-L1", severity="critical", raised_at=NOW + 5 * MINUTE,
            message="Passenger trapped", site_id="lakeview", building_id="B1", category=Category.ELEVATOR,
        )  # fmt: skip
        ref = service.open_from_alarm(SqlAlchemyUnitOfWork(api.base.sessions), facts, clock=api.clock)

        status, page = api.call(Role.CREW, "GET", ALARMS)

    assert status == 200
    assert page["total"] == 2
    assert page["items"] == [
        {
            "alarm_id": "water-running:B2-0101-W:20261126T080100Z", "rule_id": "water-running",
            "asset_id": "B2-0101-W", "severity": "warning", "started_at": "2026-11-26T07:59:00Z",
            "raised_at": "2026-11-26T08:01:00Z", "message_key": "water-running",
            "evidence": {"minutes": 2, "floor": 3.5}, "building": "B2", "unit": "B2-0101", "area": None,
            "work_order": None, **UNHANDLED,
        },
        {
            "alarm_id": "elevator-entrapment:B1-L1:20261126T080500Z", "rule_id": "elevator-entrapment",
            "asset_id": "B1-L1", "severity": "critical", "started_at": "2026-11-26T08:03:00Z",
            "raised_at": "2026-11-26T08:05:00Z", "message_key": "elevator-entrapment",
            "evidence": {"minutes": 2, "floor": 3.5}, "building": "B1", "unit": None, "area": None,
            "work_order": ref.code, **UNHANDLED,
        },
    ]  # fmt: skip


def test_a_given_source_is_filtered_and_paginated(tmp_path: Path) -> None:
    source = FakeAlarms(
        [
            state("water-running", "B1-0101-W", "warning", 0),
            state("lights-left-on", "GARAGE-LIGHT", "warning", 1),
            state("elevator-entrapment", "B2-L1", "critical", 2),
            state("water-running", "B2-0703-W", "major", 3),
            state("elevator-noise", "GONE-L9", "warning", 4),  # an asset no longer in the site file
        ]
    )
    with orders_api(tmp_path, alarms=source) as api:

        def assets(query: str) -> list[str]:
            status, page = api.call(Role.STAFF, "GET", f"{ALARMS}?{query}")
            assert status == 200, page
            return [item["asset_id"] for item in page["items"]]

        assert assets("") == ["B1-0101-W", "GARAGE-LIGHT", "B2-L1", "B2-0703-W", "GONE-L9"]
        assert assets("severity=warning") == ["B1-0101-W", "GARAGE-LIGHT", "GONE-L9"]
        assert assets("rule=water-running") == ["B1-0101-W", "B2-0703-W"]
        assert assets("rule=water-running&building=B2") == ["B2-0703-W"]
        assert assets("asset=B2-L1") == ["B2-L1"]
        assert assets("limit=2&offset=1") == ["GARAGE-LIGHT", "B2-L1"]
        gone = api.call(Role.STAFF, "GET", f"{ALARMS}?asset=GONE-L9")[1]["items"][0]
        assert (gone["building"], gone["unit"], gone["area"]) == (None, None, None)
        assert api.call(Role.STAFF, "GET", f"{ALARMS}?limit=1")[1]["total"] == 5

        status, body = api.call(Role.STAFF, "GET", f"{ALARMS}?severity=fatal")
        assert (status, body["error"]["details"][0]["location"]) == (422, "query.severity")
        assert api.call(Role.STAFF, "GET", "/sites/elsewhere/alarms")[0] == 404
        assert api.call(Role.FEE_MODULE, "GET", ALARMS)[0] == 403
