"""Schemathesis for every role, request by request and in stateful sequences (create → act → read):
no 5xx, no 2xx where the permission matrix says 403, and no 403 where it says yes.

The expectation is worked out here, not by the code under test: the route's permissions from the literal table
in test_auth_matrix, the role's from `access.roles`, and for crew field work on an order whether the order was
theirs just before the request (their team `water`, assigned to the key's name, or neither team nor assignee:
this hub has no alerts routing). In the stateful runs the service centre (a staff key) records the requests
(POST …/work-orders) and the role under test does everything else, as on a real site.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, cast

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from access.roles import Role, allows
from api.app import create_app
from api.ports import ApiDependencies
from api.workorder_deps import WORK_ORDER_CONFLICTS
from core.reading import Reading
from facilities.hub import HUB_ROUTERS
from storage.embedded import EmbeddedStore
from storage.points import to_point
from tests.unit.api.harness import CREW_TEAM, NOW, Api, running_api
from tests.unit.api.test_auth_matrix import ROUTES
from tests.unit.api.test_schemathesis import send
from tests.unit.api.workorders_harness import order_in
from workorders.lifecycle import Status
from workorders.queries import find_order_id
from workorders.repository import SqlAlchemyWorkOrderRepository

ORDER = "/sites/{site_id}/work-orders/{code}"
# The routes on which crew work their own orders only (access.roles.OWN_ORDERS_ONLY, written out).
OWN_ORDER_ROUTES = {("POST", f"{ORDER}/{action}") for action in ("acknowledge", "arrive", "resolve", "comments")}
CREATE = ("POST", "/sites/{site_id}/work-orders")
ROLES = ("staff", "crew", "crew without team", "fee_module")  # the admin's run is test_schemathesis.py

OPENAPI = create_app(cast(ApiDependencies, object()), routers=HUB_ROUTERS).openapi()
schema = schemathesis.openapi.from_dict(OPENAPI)
# For the stateful runs: sequences on this hub's one site, and requests whose place fields are left out (a
# random asset, unit or building id only ever answers 422, which the request-by-request run covers), so
# orders get created and acted on. Only the work-order routes take part: with every route of the hub in the
# draw, a dozen sequences of six steps seldom reached the create (the request-by-request run covers the rest).
stateful_schema = schemathesis.openapi.from_dict(OPENAPI).include(path_regex=r"^/sites/\{site_id\}/work-orders")


@stateful_schema.hook
def map_path_parameters(context: schemathesis.HookContext, path_parameters: dict[str, Any]) -> dict[str, Any]:
    if path_parameters and "site_id" in path_parameters:
        path_parameters["site_id"] = "lakeview"
    return path_parameters


@stateful_schema.hook
def map_body(context: schemathesis.HookContext, body: Any) -> Any:
    operation = context.operation
    if operation is not None and (operation.method.upper(), operation.path) == CREATE and isinstance(body, dict):
        return {key: value for key, value in body.items() if key not in ("asset_id", "building_id", "unit_id")}
    return body


@dataclass(frozen=True)
class Caller:
    role: Role
    headers: dict[str, str]
    name: str
    team: str | None


@dataclass(frozen=True)
class Before:
    """Whose the order in the path was just before the request; None when there is no such order."""

    team: str | None
    assignee: str | None


def hub_api(folder: Any) -> Iterator[tuple[Api, dict[str, Caller]]]:
    """The API as the hub builds it over stored readings, a dead letter and orders in every state."""
    with running_api(folder) as running:
        store = running.deps.store
        assert isinstance(store, EmbeddedStore)
        for asset_id, fields in (("B1-0101-W", {"total": 12.5}), ("B1-L1", {"state": "idle", "floor": 3})):
            info = running.deps.registry.get(asset_id)
            store.write([to_point(Reading(asset_id, NOW - timedelta(minutes=m), fields), info) for m in (5, 65)])
        running.spool.reject(source="test", payload=b"\xff{", error="malformed JSON")
        for status in Status:
            order_in(running, status)
        deps = replace(running.deps, baseline_resetter=lambda rule_id, asset_id: True)
        app = create_app(deps, routers=HUB_ROUTERS, conflicts=WORK_ORDER_CONFLICTS)
        _, teamless = running.new_key(Role.CREW, "crew phone li")
        callers = {
            role.value: Caller(
                role, running.as_role(role), f"{role.value} key", CREW_TEAM if role is Role.CREW else None
            )
            for role in Role
        }
        callers["crew without team"] = Caller(Role.CREW, {"X-API-Key": teamless}, "crew phone li", None)
        with TestClient(app) as client:
            yield replace(running, app=app, client=client, deps=deps), callers


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, dict[str, Caller]]]:
    yield from hub_api(tmp_path_factory.mktemp("schemathesis-roles"))


@pytest.fixture
def fresh(tmp_path: Any) -> Iterator[tuple[Api, dict[str, Caller]]]:
    """One app per stateful run: an admin's run may revoke keys."""
    yield from hub_api(tmp_path)


def before(api: Api, case: schemathesis.Case) -> Before | None:
    if "{code}" not in case.path:
        return None
    site, code = (case.path_parameters or {}).get("site_id"), (case.path_parameters or {}).get("code")
    if site != "lakeview" or not isinstance(code, str):
        return None
    with api.sessions() as session:
        if find_order_id(session, site_id=site, code=code) is None:
            return None
        order = SqlAlchemyWorkOrderRepository(session).get_by_code(site_id=site, code=code)
    return None if order is None else Before(order.team, order.assignee)


def matrix_allows(caller: Caller, route: tuple[str, str], prior: Before | None) -> bool:
    """Whether the permission table lets `caller` through on `route` (with the order as it was, for crew)."""
    needed = ROUTES.get(route)
    if needed is None:  # a method the route does not have (schemathesis tries TRACE, PUT …): 405, never 2xx
        return False
    if not all(allows(caller.role, permission) for permission in needed):
        return False
    if caller.role is not Role.CREW or route not in OWN_ORDER_ROUTES or prior is None:
        return True
    own_team = caller.team is not None and prior.team == caller.team
    return own_team or prior.assignee == caller.name or (prior.team is None and prior.assignee is None)


def check(caller: Caller, case: schemathesis.Case, response: httpx.Response, prior: Before | None) -> None:
    route = (case.method.upper(), case.path)
    allowed = matrix_allows(caller, route, prior)
    status = response.status_code
    assert status < 500, response.text
    if not allowed:
        assert not 200 <= status < 300, f"{caller.name}: {route} answered {status} where the matrix says 403"
    else:
        assert status != 403, f"{caller.name}: {route} answered 403 where the matrix says yes: {response.text}"


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.parametrize("role", ROLES)
def test_no_input_fails_the_api_or_oversteps_the_matrix(
    case: schemathesis.Case, shared: tuple[Api, dict[str, Caller]], role: str
) -> None:
    api, callers = shared
    caller = callers[role]
    prior = before(api, case)
    response = send(api, case, caller.headers)
    case.validate_response(response, checks=[not_a_server_error])
    check(caller, case, response, prior)


@pytest.mark.parametrize("role", ["admin", *ROLES])
def test_stateful_sequences_keep_to_the_matrix(fresh: tuple[Api, dict[str, Caller]], role: str) -> None:
    api, callers = fresh
    caller, desk = callers[role], callers["staff"]
    steps: list[tuple[str, int]] = []

    class Workflow(stateful_schema.as_state_machine()):  # type: ignore[misc]
        def call(self, case: schemathesis.Case, **kwargs: Any) -> schemathesis.Response:
            who = desk if (case.method.upper(), case.path) == CREATE else caller
            prior = before(api, case)
            response = send(api, case, who.headers)
            check(who, case, response, prior)
            steps.append((f"{case.method} {case.path}", response.status_code))
            return schemathesis.Response.from_any(response)

        def validate_response(self, response: Any, case: schemathesis.Case, *args: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=[not_a_server_error])

    # The generated sequences differ with what ran before in the same process (seen in the full suite: 12
    # sequences without one valid create); so a run without a created order is followed by a longer one.
    for examples in (12, 48):
        Workflow.run(
            settings=settings(
                max_examples=examples,
                stateful_step_count=6,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,  # the same sequences every run: a failure here is never luck
            )
        )
        if ("POST /sites/{site_id}/work-orders", 201) in steps:
            break
    # The runs did chain: orders were created, then acted on through the schema's links (by whoever may).
    assert ("POST /sites/{site_id}/work-orders", 201) in steps
    acted = [status for step, status in steps if step.startswith(f"POST {ORDER}/")]
    assert acted
    if caller.role is not Role.FEE_MODULE:
        # Some action reached a created order (not 404, not refused input): a 2xx, or a 409 for a move its
        # state does not allow, or 403 where the matrix says no. Which one depends on the generated sequence,
        # and the generation differs with what ran before in the same process, so only the chaining is asserted;
        # every step was checked against the matrix above.
        assert any(status not in (400, 404, 422) for status in acted), steps
