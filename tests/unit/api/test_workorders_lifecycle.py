"""A work order's life over HTTP: staff record it, crew work it, staff close it and call back; illegal moves are 409."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from access.roles import Role
from api.app import create_app
from api.workorder_deps import WORK_ORDER_CONFLICTS
from tests.unit.api.harness import CREW_TEAM, NOW
from tests.unit.api.workorders_harness import ORDERS, OrdersApi, orders_api
from workorders.events import SlaBreached, WorkOrderAcknowledged, WorkOrderOpened
from workorders.events import WorkOrderEvent as Event
from workorders.lifecycle import Status

MINUTE = timedelta(minutes=1)
STAFF, CREW = Role.STAFF, Role.CREW


@pytest.fixture
def api(tmp_path: Path) -> Iterator[OrdersApi]:
    with orders_api(tmp_path) as running:
        yield running


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrdersApi]:
    """One app for the many tests that each make their own order and leave the clock alone."""
    with orders_api(tmp_path_factory.mktemp("orders")) as running:
        yield running


def at(minutes: float) -> str:
    return (NOW + minutes * MINUTE).isoformat().replace("+00:00", "Z")


def test_a_resident_request_from_the_call_to_the_follow_up(api: OrdersApi) -> None:
    request = {
        "category": "plumbing", "title": "Kitchen tap leaking", "description": "Water under the sink",
        "reporter": "Mrs Wang, B1-0101", "unit_id": "B1-0101",
    }  # fmt: skip
    status, created = api.call(STAFF, "POST", ORDERS, request)
    assert status == 201
    code = created["code"]
    assert (code, created["status"], created["building_id"], created["source"]) == (
        "WO-20261126-0001", "open", "B1", "resident_request",
    )  # fmt: skip
    # Normal priority: taken within 1 h, on site within 24 h, fixed within 72 h of the call.
    assert created["deadlines"] == {"acknowledge_by": at(60), "on_site_by": at(24 * 60), "resolve_by": at(72 * 60)}

    steps = [
        (1, STAFF, "assign", {"team": "water"}),
        (5, CREW, "acknowledge", None),
        (6, CREW, "comments", {"text": "Bringing a new cartridge"}),
        (25, CREW, "arrive", None),
        (55, CREW, "resolve", {"resolution": "Replaced the tap cartridge"}),
        (60, STAFF, "close", None),
        (24 * 60, STAFF, "follow-up", {"satisfaction": "satisfied", "feedback": "Fixed quickly"}),
    ]
    for minutes, role, action, body in steps:
        api.clock.set(NOW + minutes * MINUTE)
        status, order = api.act(code, action, role, body)
        assert status == (201 if action in ("comments", "follow-up") else 200), order

    status, order = api.call(CREW, "GET", f"{ORDERS}/{code}")
    assert status == 200
    assert {k: order[k] for k in ("status", "assignee", "team", "resolution", "breached", "breaches")} == {
        "status": "closed", "assignee": "crew key", "team": "water", "resolution": "Replaced the tap cartridge",
        "breached": [], "breaches": [],
    }  # fmt: skip
    assert [order[k] for k in ("acknowledged_at", "arrived_at", "resolved_at", "closed_at")] == [
        at(5), at(25), at(55), at(60),
    ]  # fmt: skip
    assert order["comments"] == [{"at": at(6), "author": "crew key", "text": "Bringing a new cartridge"}]
    assert order["follow_ups"] == [
        {"at": at(24 * 60), "by": "staff key", "satisfaction": "satisfied", "feedback": "Fixed quickly"}
    ]
    assert [(e["at"], e["actor"], e["action"], e["from_status"], e["to_status"]) for e in order["audit"]] == [
        (at(0), "staff key", "opened", None, "open"),
        (at(1), "staff key", "assigned", None, None),
        (at(5), "crew key", "acknowledged", "open", "acknowledged"),
        (at(6), "crew key", "commented", None, None),
        (at(25), "crew key", "arrived", "acknowledged", "on_site"),
        (at(55), "crew key", "resolved", "on_site", "resolved"),
        (at(60), "staff key", "closed", "resolved", "closed"),
        (at(24 * 60), "staff key", "followed_up", None, None),
    ]
    assert order["audit"][1]["details"] == {"team": "water"}
    assert order["audit"][5]["details"] == {"resolution": "Replaced the tap cartridge"}


# What each state may become, as IllegalTransition words it.
LEGAL = {
    "open": "acknowledged, cancelled",
    "acknowledged": "cancelled, on_site",
    "on_site": "resolved",
    "resolved": "closed",
    "closed": "nothing (it is final)",
    "cancelled": "nothing (it is final)",
}
TARGET = {
    "acknowledge": "acknowledged", "arrive": "on_site", "resolve": "resolved", "close": "closed", "cancel": "cancelled",
}  # fmt: skip
ILLEGAL = [(state, action) for state in Status for action in TARGET if TARGET[action] not in LEGAL[state.value]]


def test_the_illegal_moves_are_the_24_the_lifecycle_forbids() -> None:
    assert len(ILLEGAL) == 6 * 5 - 6


@pytest.mark.parametrize(("state", "action"), ILLEGAL, ids=[f"{s.value}-{a}" for s, a in ILLEGAL])
def test_every_illegal_move_is_a_409_naming_from_and_to(shared: OrdersApi, state: Status, action: str) -> None:
    code = shared.order_in(state)
    before = shared.call(STAFF, "GET", f"{ORDERS}/{code}")[1]

    status, body = shared.act(code, action, STAFF)

    assert status == 409
    assert body == {
        "error": {
            "code": "conflict",
            "message": f"work order {code} is {state.value}: it cannot become {TARGET[action]}; "
            f"from {state.value} it can become {LEGAL[state.value]}",
        }
    }
    assert shared.call(STAFF, "GET", f"{ORDERS}/{code}")[1] == before  # nothing changed, nothing audited


def test_conflicts_that_are_not_moves_are_409_too(api: OrdersApi) -> None:
    on_site, closed = api.order_in(Status.ON_SITE), api.order_in(Status.CLOSED)
    assert api.act(on_site, "follow-up", STAFF, {"satisfaction": "neutral"}) == (
        409,
        {"error": {"code": "conflict", "message": f"work order {on_site} is on_site: "
                   "the follow-up call comes after it is resolved"}},
    )  # fmt: skip
    assert api.act(closed, "assign", STAFF, {"assignee": "Master Zhang"}) == (
        409,
        {"error": {"code": "conflict", "message": f"work order {closed} is closed: cannot assign it"}},
    )


def test_a_late_acknowledge_records_the_breach_and_publishes_it(api: OrdersApi) -> None:
    code = api.create(priority="high", category="electrical", title="Corridor sockets dead")  # taken within 15 min
    api.events.clear()
    api.clock.set(NOW + 16 * MINUTE)
    status, order = api.act(code, "acknowledge")
    assert status == 200
    assert (order["breached"], order["breaches"]) == (
        ["acknowledge"],
        [{"kind": "acknowledge", "due_at": at(15), "detected_at": at(16)}],
    )
    assert order["audit"][-1] == {
        "at": at(16), "actor": "system", "action": "sla_breached", "from_status": None, "to_status": None,
        "details": {"kind": "acknowledge", "due_at": (NOW + 15 * MINUTE).isoformat()},
    }  # fmt: skip
    assert [type(e) for e in api.events] == [WorkOrderAcknowledged, SlaBreached]


def test_the_events_of_a_new_order_are_published(api: OrdersApi) -> None:
    code = api.create()
    assert [(type(e), e.code) for e in api.events] == [(WorkOrderOpened, code)]


def test_a_failing_subscriber_does_not_undo_or_fail_the_command(
    api: OrdersApi, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(event: Event) -> None:
        raise RuntimeError("bus down")

    app = create_app(replace(api.base.deps, work_order_events=refuse), conflicts=WORK_ORDER_CONFLICTS)
    with TestClient(app) as client:
        response = client.post(ORDERS, headers=api.base.as_role(STAFF), json={"category": "other", "title": "Gate"})
    assert (response.status_code, response.json()["status"]) == (201, "open")
    assert "publishing WorkOrderOpened for work order WO-20261126-0001 failed" in caplog.text
    assert api.call(STAFF, "GET", f"{ORDERS}/WO-20261126-0001")[0] == 200


def test_crew_works_orders_but_may_not_create_dispatch_or_follow_up(api: OrdersApi) -> None:
    code = api.order_in(Status.RESOLVED, team=CREW_TEAM)
    forbidden = "Role 'crew' on site 'lakeview' lacks the permission '{}' this endpoint needs"
    for method, path, body, permission in [
        ("POST", ORDERS, {"category": "other", "title": "x"}, "work_orders:create"),
        ("POST", f"{ORDERS}/{code}/assign", {"assignee": "me"}, "work_orders:assign"),
        ("POST", f"{ORDERS}/{code}/follow-up", {"satisfaction": "satisfied"}, "work_orders:follow_up"),
        ("GET", "/sites/lakeview/sla/statistics?year=2026&month=11", None, "sla:read"),
        ("GET", "/sites/lakeview/sla/breaches", None, "sla:read"),
    ]:
        expected = (403, {"error": {"code": "forbidden", "message": forbidden.format(permission)}})
        assert api.call(CREW, method, path, body) == expected, path
    assert api.call(STAFF, "GET", f"{ORDERS}?limit=10")[1]["total"] == 1  # the refused create made nothing
    assert api.act(code, "comments", CREW, {"text": "Left spare bulbs"})[0] == 201
    # Closing is the service centre's sign-off, even on the crew's own team's order (issue 17: crew closed any).
    assert api.act(code, "close", CREW) == (
        403, {"error": {"code": "forbidden", "message": forbidden.format("work_orders:close")}},
    )  # fmt: skip
    assert api.act(code, "close", STAFF)[0] == 200


def test_fee_module_and_strangers_reach_nothing_here(api: OrdersApi) -> None:
    code = api.order_in(Status.OPEN)
    for path in (ORDERS, f"{ORDERS}/{code}", "/sites/lakeview/alarms", "/sites/lakeview/sla/breaches"):
        assert api.call(Role.FEE_MODULE, "GET", path)[0] == 403
        assert api.call(None, "GET", path)[0] == 401
    assert api.act(code, "acknowledge", Role.FEE_MODULE)[0] == 403
    assert api.call(None, "POST", f"/sites/nowhere/work-orders/{code}/acknowledge")[0] == 401  # key before site


def test_the_order_in_the_path_must_exist_in_this_site(api: OrdersApi) -> None:
    missing = "WO-20261126-0099"
    assert api.call(STAFF, "GET", f"{ORDERS}/{missing}") == (
        404,
        {"error": {"code": "not_found", "message": f"Work order {missing} not found in site lakeview"}},
    )
    assert api.act(missing, "acknowledge")[0] == 404
    assert api.call(STAFF, "GET", "/sites/elsewhere/work-orders") == (
        404,
        {"error": {"code": "not_found", "message": "Site elsewhere not found"}},
    )
    status, body = api.call(STAFF, "GET", f"{ORDERS}/WO-1")
    assert (status, body["error"]["details"][0]["location"]) == (422, "path.code")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "   "}, "title must not be empty"),
        ({"asset_id": "B9-L1"}, "asset_id: no asset B9-L1 in site lakeview"),
        ({"unit_id": "B1-9999"}, "unit_id: no unit B1-9999 in site lakeview"),
        ({"building_id": "B7"}, "building_id: no building B7 in site lakeview"),
        ({"unit_id": "B1-0101", "building_id": "B2"}, "building_id: unit B1-0101 is in B1, not B2"),
        ({"asset_id": "B2-L1", "building_id": "B1"}, "building_id: asset B2-L1 is in B2, not B1"),
        ({"source": "rule"}, "body.source: Input should be 'resident_request' or 'staff'"),
        ({"colour": "red"}, "body.colour: Extra inputs are not permitted"),
    ],
)
def test_a_request_that_cannot_be_recorded_is_a_422(shared: OrdersApi, fields: dict[str, str], message: str) -> None:
    status, body = shared.call(STAFF, "POST", ORDERS, {"category": "elevator", "title": "Lift stuck", **fields})
    assert (status, body["error"]["code"], body["error"]["message"]) == (422, "invalid_request", message)


def test_blank_notes_are_a_422_naming_the_field(api: OrdersApi) -> None:
    code = api.order_in(Status.ON_SITE, team=CREW_TEAM)
    assert api.act(code, "resolve", json={"resolution": "  \n "}) == (
        422,
        {"error": {"code": "invalid_request", "message": "resolution notes must not be empty"}},
    )
    assert api.act(code, "comments", json={"text": "\t"})[1]["error"]["message"] == "comment must not be empty"
    assert api.act(code, "resolve", json={})[1]["error"]["message"] == "body.resolution: Field required"


def test_an_order_for_an_asset_takes_its_place_from_the_registry(api: OrdersApi) -> None:
    code = api.create(asset_id="B2-0703-W", category="metering", title="Meter reads backwards", source="staff")
    order = api.call(STAFF, "GET", f"{ORDERS}/{code}")[1]
    assert (order["asset_id"], order["unit_id"], order["building_id"], order["source"], order["reporter"]) == (
        "B2-0703-W", "B2-0703", "B2", "staff", "staff key",
    )  # fmt: skip
