"""Work orders, alarms and SLA reports over HTTP on PostgreSQL.

The session's database is shared with other tests, so these orders live on a day of their own
(4 March 2031, Shanghai) and are deleted afterwards, with their code counter and alarm state.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from access.roles import Role
from rules.state_store import SqlRuleStateStore, StoredState
from tests.unit.api.workorders_harness import ORDERS, OrdersApi, orders_api

pytestmark = pytest.mark.integration

T0 = datetime(2031, 3, 4, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
MINUTE = timedelta(minutes=1)
STAFF, CREW = Role.STAFF, Role.CREW


@pytest.fixture
def api(postgres_url: str, tmp_path: Path) -> Iterator[OrdersApi]:
    with orders_api(tmp_path, database_url=postgres_url) as running:
        running.clock.set(T0)
        yield running
        with running.base.sessions() as session, session.begin():
            day = {"site": "lakeview", "codes": "WO-20310304-%"}
            session.execute(sa.text("DELETE FROM work_orders WHERE site_id = :site AND code LIKE :codes"), day)
            counters = "DELETE FROM work_order_code_counters WHERE site_id = :site AND day = :day"
            session.execute(sa.text(counters), {"site": "lakeview", "day": T0.date()})
            session.execute(sa.text("DELETE FROM rule_state WHERE site_id = 'lakeview' AND rule_id = 'pg-test'"))


def test_a_request_worked_to_its_follow_up_on_postgres(api: OrdersApi) -> None:
    code = api.create(title="厨房水管漏水", unit_id="B1-0101", reporter="王女士", priority="high")
    assert code == "WO-20310304-0001"
    assert api.act(code, "arrive") == (
        409,
        {"error": {"code": "conflict", "message": f"work order {code} is open: it cannot become on_site; "
                   "from open it can become acknowledged, cancelled"}},
    )  # fmt: skip
    for minutes, role, action, body in [
        (20, CREW, "acknowledge", None),  # high priority: 15 min to acknowledge, so this one is late
        (21, CREW, "comments", {"text": "带了新阀芯\n马上到"}),
        (50, CREW, "arrive", None),
        (80, CREW, "resolve", {"resolution": "更换阀芯"}),
        (90, STAFF, "close", None),
        (24 * 60, STAFF, "follow-up", {"satisfaction": "very_satisfied", "feedback": "师傅很快"}),
    ]:
        api.clock.set(T0 + minutes * MINUTE)
        assert api.act(code, action, role, body)[0] in (200, 201), action
    # NUL would make PostgreSQL refuse the statement; the API refuses it first.
    assert api.act(code, "comments", CREW, {"text": "a\x00b"})[0] == 422

    order = api.call(CREW, "GET", f"{ORDERS}/{code}")[1]
    assert [(e["actor"], e["action"]) for e in order["audit"]] == [
        ("staff key", "opened"), ("crew key", "acknowledged"), ("system", "sla_breached"), ("crew key", "commented"),
        ("crew key", "arrived"), ("crew key", "resolved"), ("staff key", "closed"), ("staff key", "followed_up"),
    ]  # fmt: skip
    assert order["comments"][0]["text"] == "带了新阀芯\n马上到"
    assert (order["status"], order["breached"], order["follow_ups"][0]["feedback"]) == (
        "closed",
        ["acknowledge"],
        "师傅很快",
    )

    breaches = api.call(STAFF, "GET", "/sites/lakeview/sla/breaches?detected_from=2031-03-04T00:00:00%2B08:00")[1]
    assert [(b["code"], b["kind"], b["due_at"], b["detected_at"]) for b in breaches["items"]] == [
        (code, "acknowledge", "2031-03-04T02:15:00Z", "2031-03-04T02:20:00Z")
    ]
    stats = api.call(STAFF, "GET", "/sites/lakeview/sla/statistics?year=2031&month=3")[1]["categories"][1]
    assert stats == {
        "category": "plumbing", "count": 1, "breaches": 1,
        "breaches_by_kind": {"acknowledge": 1, "on_site": 0, "resolve": 0},
        "median_to_acknowledge_s": 1200.0, "median_to_arrive_s": 3000.0, "median_to_resolve_s": 4800.0,
    }  # fmt: skip


def test_filters_pagination_and_alarms_on_postgres(api: OrdersApi) -> None:
    made = []
    for minutes, fields in enumerate(
        [
            {"unit_id": "B1-0101"},
            {"category": "elevator", "asset_id": "B2-L1"},
            {"unit_id": "B1-0101", "priority": "low"},
        ]
    ):
        api.clock.set(T0 + minutes * 10 * MINUTE)
        made.append(api.create(**fields))
    assert api.act(made[1], "acknowledge")[0] == 200
    window = "created_from=2031-03-04T10:00:00%2B08:00&created_before=2031-03-04T10:30:00%2B08:00"

    def codes(query: str) -> tuple[list[str], int]:
        page = api.call(CREW, "GET", f"{ORDERS}?{window}&{query}")[1]
        return [item["code"] for item in page["items"]], page["total"]

    assert codes("") == (["WO-20310304-0003", "WO-20310304-0002", "WO-20310304-0001"], 3)
    assert codes("unit=B1-0101") == (["WO-20310304-0003", "WO-20310304-0001"], 2)
    assert codes("status=acknowledged&building=B2") == (["WO-20310304-0002"], 1)
    assert codes("limit=1&offset=1") == (["WO-20310304-0002"], 3)

    engine = api.base.sessions().get_bind()
    assert isinstance(engine, sa.Engine)
    raised = T0 + 5 * MINUTE
    SqlRuleStateStore(engine, "lakeview").save(
        [StoredState("pg-test", "B2-L1", "firing", "critical", updated_at=raised, raised_at=raised, since=raised)]
    )
    alarms = api.call(CREW, "GET", "/sites/lakeview/alarms?rule=pg-test")[1]["items"]
    assert [(a["asset_id"], a["building"], a["raised_at"]) for a in alarms] == [("B2-L1", "B2", "2031-03-04T02:05:00Z")]
