"""Every route × every caller: roles, no key, a revoked key, wrong keys; expectations from the permission table.

A route added without a sample request below (or, for a route on one work order, in
`test_order_access_matrix.ORDER_SAMPLES`, where own team and other team are tried too) fails
`test_every_route_has_a_sample`, so the matrix keeps covering the whole API as routers are added.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from access.roles import Permission, Role, allows
from api.app import create_app
from api.deps import route_permissions
from api.ports import ApiDependencies
from api.workorder_deps import WORK_ORDER_CONFLICTS
from billing.repository import StatementRepository
from billing.statements import Statement
from facilities.hub import HUB_ROUTERS
from facilities.reload import ReloadResult
from tests.unit.api.harness import Api, running_api
from tests.unit.api.test_order_access_matrix import ORDER_SAMPLES
from tests.unit.billing.sample import OCTOBER, cst


@dataclass(frozen=True)
class Sample:
    """A request that succeeds for a caller who is allowed in, and the status it then answers."""

    path: str | Callable[[Api], str]
    status: int = 200
    json: dict[str, Any] | None = field(default=None, hash=False)


def _fresh_key_to_revoke(api: Api) -> str:
    key_id, _ = api.new_key(Role.CREW, "victim")
    return f"/keys/{key_id}/revoke"


def _statement(api: Api) -> str:
    """The path of a fresh draft statement of lakeview (no lines: the matrix tests access, not billing)."""
    statement_id = uuid.uuid4()  # a unit of its own too: one regular statement per unit and period
    unit = f"U-{statement_id.hex[:8]}"
    statement = Statement(statement_id, "lakeview", unit, "B1", OCTOBER, "CNY", (), cst(2026, 11, 2))
    with api.sessions() as session:
        StatementRepository(session).add(statement)
        session.commit()
    return f"/sites/lakeview/billing/statements/{statement.id}"


ORDER = "/sites/{site_id}/work-orders/{code}"
BILLING = "/sites/{site_id}/billing"

SAMPLES: dict[tuple[str, str], Sample] = {
    ("GET", "/health"): Sample("/health"),
    ("GET", "/health/live"): Sample("/health/live"),
    ("GET", "/health/ready"): Sample("/health/ready"),
    ("GET", "/openapi.json"): Sample("/openapi.json"),
    ("GET", "/sites"): Sample("/sites"),
    ("GET", "/sites/{site_id}"): Sample("/sites/lakeview"),
    ("GET", "/sites/{site_id}/buildings"): Sample("/sites/lakeview/buildings"),
    ("GET", "/sites/{site_id}/buildings/{building_id}"): Sample("/sites/lakeview/buildings/B1"),
    ("GET", "/sites/{site_id}/units"): Sample("/sites/lakeview/units"),
    ("GET", "/sites/{site_id}/units/{unit_id}"): Sample("/sites/lakeview/units/B1-0101"),
    ("GET", "/sites/{site_id}/areas"): Sample("/sites/lakeview/areas"),
    ("GET", "/sites/{site_id}/areas/{area_id}"): Sample("/sites/lakeview/areas/garage"),
    ("GET", "/assets"): Sample("/assets"),
    ("GET", "/assets/{asset_id}"): Sample("/assets/B1-0101-W"),
    ("GET", "/assets/{asset_id}/readings/latest"): Sample("/assets/B1-0101-W/readings/latest"),
    ("GET", "/assets/{asset_id}/readings/history"): Sample("/assets/B1-0101-W/readings/history?field=total"),
    ("GET", "/dead-letters"): Sample("/dead-letters"),
    ("GET", "/devices"): Sample("/devices?building=B1&state=unknown"),
    ("GET", "/devices/discovered"): Sample("/devices/discovered"),
    ("POST", "/devices/adopt"): Sample(
        "/devices/adopt", 201, {"asset_id": "NEW-E", "kind": "electricity", "area": "garage"}
    ),
    ("GET", "/metrics"): Sample("/metrics"),
    ("GET", "/keys"): Sample("/keys"),
    ("POST", "/keys"): Sample("/keys", 201, {"name": "made in the matrix", "role": "crew"}),
    ("POST", "/keys/{key_id}/revoke"): Sample(_fresh_key_to_revoke),
    ("GET", "/audit/sign-ins"): Sample("/audit/sign-ins?username=lina"),
    ("GET", "/sites/{site_id}/work-orders"): Sample("/sites/lakeview/work-orders"),
    ("POST", "/sites/{site_id}/work-orders"): Sample(
        "/sites/lakeview/work-orders", 201, {"category": "other", "title": "made in the matrix"}
    ),
    ("GET", "/sites/{site_id}/alarms"): Sample("/sites/lakeview/alarms"),
    ("GET", "/sites/{site_id}/sla/statistics"): Sample("/sites/lakeview/sla/statistics?year=2026&month=11"),
    ("GET", "/sites/{site_id}/sla/breaches"): Sample("/sites/lakeview/sla/breaches"),
    ("GET", "/sites/{site_id}/alert-deliveries"): Sample("/sites/lakeview/alert-deliveries"),
    ("GET", f"{BILLING}/periods"): Sample("/sites/lakeview/billing/periods"),
    ("GET", f"{BILLING}/statements"): Sample("/sites/lakeview/billing/statements?period=2026-10"),
    ("GET", f"{BILLING}/statements.csv"): Sample("/sites/lakeview/billing/statements.csv?period=2026-10"),
    ("GET", f"{BILLING}/statements/{{statement_id}}"): Sample(_statement),
    ("POST", f"{BILLING}/finalize"): Sample("/sites/lakeview/billing/finalize?period=2026-10"),
    ("POST", f"{BILLING}/replacements"): Sample(
        "/sites/lakeview/billing/replacements",
        201,
        {"meter_id": "B1-0101-W", "replaced_at": "2026-10-20T10:00:00+08:00", "old_final": "540", "new_initial": "0"},
    ),
    ("POST", f"{BILLING}/readings"): Sample(
        "/sites/lakeview/billing/readings",
        201,
        {"meter_id": "B1-0101-W", "read_at": "2026-10-31T23:50:00+08:00", "value": "280.5"},
    ),
    ("POST", "/sites/{site_id}/rules/{rule_id}/assets/{asset_id}/baseline/reset"): Sample(
        "/sites/lakeview/rules/elevator-vibration/assets/B1-L1/baseline/reset"
    ),
    ("POST", "/admin/reload"): Sample("/admin/reload"),
    ("GET", "/portfolio/summary"): Sample("/portfolio/summary?period=2026-11"),
}

# Every route the hub serves with the permission it requires; create_app only stores deps, so a
# placeholder serves to list them.
ROUTES: dict[tuple[str, str], frozenset[Permission]] = route_permissions(
    create_app(cast(ApiDependencies, object()), routers=HUB_ROUTERS)
)

CALLERS = [*(role.value for role in Role), "no key", "revoked key", "unknown key", "tampered key", "malformed key"]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The app as the hub builds it (its extra routers, conflicts as 409); a rules engine that resets anything."""
    with running_api(tmp_path_factory.mktemp("matrix")) as running:
        deps = replace(
            running.deps,
            baseline_resetter=lambda rule_id, asset_id: True,
            site_reloader=lambda: ReloadResult(source="site.toml"),
            device_adopter=lambda adoption, unique_id: None,
        )
        app = create_app(deps, routers=HUB_ROUTERS, conflicts=WORK_ORDER_CONFLICTS)
        with TestClient(app) as client:
            yield replace(running, app=app, client=client, deps=deps)


@pytest.fixture(scope="module")
def caller_headers(api: Api) -> dict[str, dict[str, str]]:
    admin = api.keys[Role.ADMIN]
    return {
        **{role.value: api.as_role(role) for role in Role},
        "no key": {},
        "revoked key": {"X-API-Key": api.revoked_key(Role.ADMIN)},
        "unknown key": {"X-API-Key": "fac_" + "A" * 43},
        # The admin key's lookup prefix with a different secret part.
        "tampered key": {"X-API-Key": admin[:-4] + ("AAAA" if not admin.endswith("AAAA") else "BBBB")},
        "malformed key": {"X-API-Key": "not-a-key"},
    }


def expected_status(needed: frozenset[Permission], sample: Sample, caller: str) -> int:
    if not needed:
        return sample.status
    if caller not in {role.value for role in Role}:
        return 401
    return sample.status if all(allows(Role(caller), permission) for permission in needed) else 403


def test_every_route_has_a_sample() -> None:
    assert set(ROUTES) == set(SAMPLES) | set(ORDER_SAMPLES)
    assert not set(SAMPLES) & set(ORDER_SAMPLES)


def test_only_health_is_open() -> None:
    open_routes = {key for key, needed in ROUTES.items() if not needed}
    assert open_routes == {("GET", "/health"), ("GET", "/health/live"), ("GET", "/health/ready")}


def test_routes_require_the_permissions_we_mean() -> None:
    site, readings = {Permission.READ_SITE}, {Permission.READ_READINGS}
    orders, move = {Permission.READ_WORK_ORDERS}, {Permission.TRANSITION_WORK_ORDERS}
    # Issue 17: close and cancel needed `move` too, so every crew key could close or cancel any order.
    declared = ROUTES
    assert declared == {
        ("GET", "/health"): set(),
        ("GET", "/health/live"): set(),
        ("GET", "/health/ready"): set(),
        ("GET", "/openapi.json"): {Permission.READ_API_SCHEMA},
        ("GET", "/sites"): site,
        ("GET", "/sites/{site_id}"): site,
        ("GET", "/sites/{site_id}/buildings"): site,
        ("GET", "/sites/{site_id}/buildings/{building_id}"): site,
        ("GET", "/sites/{site_id}/units"): site,
        ("GET", "/sites/{site_id}/units/{unit_id}"): site,
        ("GET", "/sites/{site_id}/areas"): site,
        ("GET", "/sites/{site_id}/areas/{area_id}"): site,
        ("GET", "/assets"): site,
        ("GET", "/assets/{asset_id}"): site,
        ("GET", "/assets/{asset_id}/readings/latest"): readings,
        ("GET", "/assets/{asset_id}/readings/history"): readings,
        ("GET", "/dead-letters"): {Permission.READ_DEAD_LETTERS},
        ("GET", "/devices"): site,
        ("GET", "/devices/discovered"): site,
        ("POST", "/devices/adopt"): {Permission.ADOPT_DEVICES},
        ("GET", "/metrics"): {Permission.READ_METRICS},
        ("GET", "/keys"): {Permission.MANAGE_KEYS},
        ("POST", "/keys"): {Permission.MANAGE_KEYS},
        ("POST", "/keys/{key_id}/revoke"): {Permission.MANAGE_KEYS},
        ("GET", "/audit/sign-ins"): {Permission.MANAGE_KEYS},
        ("GET", "/sites/{site_id}/work-orders"): orders,
        ("POST", "/sites/{site_id}/work-orders"): {Permission.CREATE_WORK_ORDERS},
        ("GET", ORDER): orders,
        ("POST", f"{ORDER}/acknowledge"): move,
        ("POST", f"{ORDER}/arrive"): move,
        ("POST", f"{ORDER}/resolve"): move,
        ("POST", f"{ORDER}/close"): {Permission.CLOSE_WORK_ORDERS},
        ("POST", f"{ORDER}/cancel"): {Permission.CANCEL_WORK_ORDERS},
        ("POST", f"{ORDER}/assign"): {Permission.ASSIGN_WORK_ORDERS},
        ("POST", f"{ORDER}/comments"): {Permission.COMMENT_WORK_ORDERS},
        ("POST", f"{ORDER}/follow-up"): {Permission.FOLLOW_UP_WORK_ORDERS},
        ("GET", "/sites/{site_id}/alarms"): {Permission.READ_ALARMS},
        ("GET", "/sites/{site_id}/sla/statistics"): {Permission.READ_SLA},
        ("GET", "/sites/{site_id}/sla/breaches"): {Permission.READ_SLA},
        ("GET", "/sites/{site_id}/alert-deliveries"): {Permission.READ_WORK_ORDERS},
        ("GET", f"{BILLING}/periods"): {Permission.READ_BILLING},
        ("GET", f"{BILLING}/statements"): {Permission.READ_BILLING},
        ("GET", f"{BILLING}/statements.csv"): {Permission.READ_BILLING},
        ("GET", f"{BILLING}/statements/{{statement_id}}"): {Permission.READ_BILLING},
        ("POST", f"{BILLING}/finalize"): {Permission.RUN_BILLING},
        ("POST", f"{BILLING}/replacements"): {Permission.RUN_BILLING},
        ("POST", f"{BILLING}/readings"): {Permission.RUN_BILLING},
        ("POST", "/sites/{site_id}/rules/{rule_id}/assets/{asset_id}/baseline/reset"): {Permission.RESET_BASELINES},
        ("POST", "/admin/reload"): {Permission.RELOAD_SITE},
        ("GET", "/portfolio/summary"): {Permission.READ_REPORTS},
    }


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route_key", sorted(SAMPLES), ids=lambda k: f"{k[0]} {k[1]}")
def test_route_answers_the_caller_as_the_table_says(
    api: Api, caller_headers: dict[str, dict[str, str]], route_key: tuple[str, str], caller: str
) -> None:
    needed, sample = ROUTES[route_key], SAMPLES[route_key]
    path = sample.path(api) if callable(sample.path) else sample.path
    response = api.client.request(route_key[0], path, headers=caller_headers[caller], json=sample.json)
    assert response.status_code == expected_status(needed, sample, caller), response.text
    if response.status_code in (401, 403):
        assert response.json()["error"]["code"] == {401: "unauthorized", 403: "forbidden"}[response.status_code]


def test_the_matrix_in_numbers(api: Api, caller_headers: dict[str, dict[str, str]]) -> None:
    """A literal view of the same matrix for the read endpoints: who gets 200 from /assets and /metrics."""
    answers = {
        (caller, path): api.client.get(path, headers=headers).status_code
        for caller, headers in caller_headers.items()
        for path in ("/assets", "/metrics", "/dead-letters", "/keys", "/health")
    }
    assert {caller: answers[caller, "/assets"] for caller in caller_headers} == {
        "admin": 200, "staff": 200, "crew": 200, "fee_module": 403,
        "no key": 401, "revoked key": 401, "unknown key": 401, "tampered key": 401, "malformed key": 401,
    }  # fmt: skip
    assert {caller: answers[caller, "/metrics"] for caller in Role} == {
        "admin": 200, "staff": 200, "crew": 403, "fee_module": 403,
    }  # fmt: skip
    assert {caller: answers[caller, "/dead-letters"] for caller in Role} == {
        "admin": 200, "staff": 200, "crew": 403, "fee_module": 403,
    }  # fmt: skip
    assert {caller: answers[caller, "/keys"] for caller in Role} == {
        "admin": 200, "staff": 403, "crew": 403, "fee_module": 403,
    }  # fmt: skip
    assert {answers[caller, "/health"] for caller in caller_headers} == {200}
