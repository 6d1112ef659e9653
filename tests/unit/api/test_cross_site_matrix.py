"""Every route under /sites/{site_id} × every role × the key's own site or another: each cell written below.

Keys here hold their role on one site only (issue 23). The hub serves `lakeview`; an "own site" key holds its
role on lakeview, an "other site" key the same role on hillside only, and both call lakeview's routes. A key
with no role on the site answers 403 naming the site, and nothing is done: the database reads the same before
and after. A route added under /sites without a row below fails `test_every_site_route_has_its_row`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from access.grant_store import grant
from access.grants import Principal, SiteRole
from access.roles import Role
from api.app import create_app
from api.keys_crud import create_key
from api.workorder_deps import WORK_ORDER_CONFLICTS
from facilities.hub import HUB_ROUTERS
from tests.unit.api.harness import CREW_TEAM, Api, running_api
from tests.unit.api.test_auth_matrix import ROUTES, SAMPLES
from tests.unit.api.test_order_access_matrix import ORDER_SAMPLES, make_order

OWN, OTHER = "lakeview", "hillside"
ORDER = "/sites/{site_id}/work-orders/{code}"
BILLING = "/sites/{site_id}/billing"
ROLES = (Role.ADMIN, Role.STAFF, Role.CREW, Role.FEE_MODULE)

# Status class per cell: own site (admin staff crew fee_module) | other site (admin staff crew fee_module).
# "ok" is the sample's 2xx; crew's order samples are on orders nobody has taken yet (its own to work).
TABLE: dict[tuple[str, str], str] = {
    ("GET", "/sites/{site_id}"):                          "ok  ok  ok  403 | 403 403 403 403",
    ("GET", "/sites/{site_id}/buildings"):                "ok  ok  ok  403 | 403 403 403 403",
    ("GET", "/sites/{site_id}/buildings/{building_id}"):  "ok  ok  ok  403 | 403 403 403 403",
    ("GET", "/sites/{site_id}/units"):                    "ok  ok  ok  403 | 403 403 403 403",
    ("GET", "/sites/{site_id}/units/{unit_id}"):          "ok  ok  ok  403 | 403 403 403 403",
    ("GET", "/sites/{site_id}/areas"):                    "ok  ok  ok  403 | 403 403 403 403",
    ("GET", "/sites/{site_id}/areas/{area_id}"):          "ok  ok  ok  403 | 403 403 403 403",
    ("GET", "/sites/{site_id}/work-orders"):              "ok  ok  ok  403 | 403 403 403 403",
    ("POST", "/sites/{site_id}/work-orders"):             "ok  ok  403 403 | 403 403 403 403",
    ("GET", ORDER):                                       "ok  ok  ok  403 | 403 403 403 403",
    ("POST", f"{ORDER}/acknowledge"):                     "ok  ok  ok  403 | 403 403 403 403",
    ("POST", f"{ORDER}/arrive"):                          "ok  ok  ok  403 | 403 403 403 403",
    ("POST", f"{ORDER}/resolve"):                         "ok  ok  ok  403 | 403 403 403 403",
    ("POST", f"{ORDER}/comments"):                        "ok  ok  ok  403 | 403 403 403 403",
    ("POST", f"{ORDER}/close"):                           "ok  ok  403 403 | 403 403 403 403",
    ("POST", f"{ORDER}/cancel"):                          "ok  ok  403 403 | 403 403 403 403",
    ("POST", f"{ORDER}/assign"):                          "ok  ok  403 403 | 403 403 403 403",
    ("POST", f"{ORDER}/follow-up"):                       "ok  ok  403 403 | 403 403 403 403",
    ("GET", "/sites/{site_id}/alarms"):                   "ok  ok  ok  403 | 403 403 403 403",
    ("GET", "/sites/{site_id}/sla/statistics"):           "ok  ok  403 403 | 403 403 403 403",
    ("GET", "/sites/{site_id}/sla/breaches"):             "ok  ok  403 403 | 403 403 403 403",
    ("GET", "/sites/{site_id}/alert-deliveries"):         "ok  ok  ok  403 | 403 403 403 403",
    ("GET", f"{BILLING}/periods"):                        "ok  ok  403 ok  | 403 403 403 403",
    ("GET", f"{BILLING}/statements"):                     "ok  ok  403 ok  | 403 403 403 403",
    ("GET", f"{BILLING}/statements.csv"):                 "ok  ok  403 ok  | 403 403 403 403",
    ("GET", f"{BILLING}/statements/{{statement_id}}"):    "ok  ok  403 ok  | 403 403 403 403",
    ("POST", f"{BILLING}/finalize"):                      "ok  ok  403 403 | 403 403 403 403",
    ("POST", f"{BILLING}/replacements"):                  "ok  ok  403 403 | 403 403 403 403",
    ("POST", f"{BILLING}/readings"):                      "ok  ok  403 403 | 403 403 403 403",
    ("POST", "/sites/{site_id}/rules/{rule_id}/assets/{asset_id}/baseline/reset"):
                                                          "ok  ok  403 403 | 403 403 403 403",
}  # fmt: skip

# Routes not under a site, for a key that holds admin on lakeview only: they need a role on every site ('*'),
# except the schema, which any role on any site may read, the company view, which lists the sites where the key
# reads reports (`test_the_company_view_lists_the_sites_the_key_reads_reports_on`), and /health, which is open.
GLOBAL_FOR_SITE_ADMIN: dict[tuple[str, str], int] = {
    ("GET", "/health"): 200, ("GET", "/health/live"): 200, ("GET", "/health/ready"): 200,
    ("GET", "/openapi.json"): 200, ("GET", "/sites"): 403,
    ("GET", "/assets"): 403, ("GET", "/assets/{asset_id}"): 403,
    ("GET", "/assets/{asset_id}/readings/latest"): 403, ("GET", "/assets/{asset_id}/readings/history"): 403,
    ("GET", "/dead-letters"): 403, ("GET", "/devices"): 403, ("GET", "/devices/discovered"): 403,
    ("POST", "/devices/adopt"): 403, ("GET", "/metrics"): 403,
    ("GET", "/keys"): 403, ("POST", "/keys"): 403, ("POST", "/keys/{key_id}/revoke"): 403,
    ("GET", "/audit/sign-ins"): 403, ("POST", "/admin/reload"): 403,
    ("GET", "/portfolio/summary"): 200,  # the company view, listing only the sites it holds reports:read on
}  # fmt: skip

SITE_ROUTES = sorted(key for key in ROUTES if key[1].startswith("/sites/{site_id}"))


def cell(route_key: tuple[str, str], role: Role, where: str) -> str:
    own, other = TABLE[route_key].split("|")
    return (own if where == OWN else other).split()[ROLES.index(role)]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_api(tmp_path_factory.mktemp("cross-site")) as running:
        deps = replace(running.deps, baseline_resetter=lambda rule_id, asset_id: True)
        app = create_app(deps, routers=HUB_ROUTERS, conflicts=WORK_ORDER_CONFLICTS)
        with TestClient(app) as client:
            yield replace(running, app=app, client=client, deps=deps)


def site_key(api: Api, role: Role, *sites: str, name: str | None = None) -> str:
    team = CREW_TEAM if role is Role.CREW else None
    with api.sessions() as session:
        _, secret = create_key(
            session=session, role=role, name=name or f"{role.value} of {'+'.join(sites)}", team=team, sites=sites,
            now=api.clock.now(),
        )  # fmt: skip
    return secret


@pytest.fixture(scope="module")
def keys(api: Api) -> dict[tuple[Role, str], dict[str, str]]:
    return {(role, where): {"X-API-Key": site_key(api, role, where)} for role in ROLES for where in (OWN, OTHER)}


def database_dump(api: Api) -> list[str]:
    """Every row of the hub's database, to show that a refused request changed nothing."""
    engine = api.sessions.kw["bind"]
    path = Path(str(engine.url.database))
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


def sample_path(api: Api, route_key: tuple[str, str]) -> tuple[str, dict[str, object] | None]:
    if route_key in ORDER_SAMPLES:
        sample = ORDER_SAMPLES[route_key]
        code = make_order(api, sample.state, team=None, assignee=None)
        return f"/sites/lakeview/work-orders/{code}" + (f"/{sample.action}" if sample.action else ""), sample.json
    plain = SAMPLES[route_key]
    return (plain.path(api) if callable(plain.path) else plain.path), plain.json


def test_every_site_route_has_its_row() -> None:
    assert set(TABLE) == set(SITE_ROUTES)
    assert all(len(own.split()) == len(other.split()) == 4 for own, other in (r.split("|") for r in TABLE.values()))
    assert set(GLOBAL_FOR_SITE_ADMIN) == set(ROUTES) - set(SITE_ROUTES)
    # The check reads the site from the path parameter `site_id`: every route about a site has it there.
    assert all(("{site_id}" in path) == path.startswith("/sites/{site_id}") for _, path in ROUTES)


@pytest.mark.parametrize("where", (OWN, OTHER))
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
@pytest.mark.parametrize("route_key", SITE_ROUTES, ids=lambda k: f"{k[0]} {k[1]}")
def test_a_site_route_answers_as_the_table_says(
    api: Api, keys: dict[tuple[Role, str], dict[str, str]], route_key: tuple[str, str], role: Role, where: str
) -> None:
    path, body = sample_path(api, route_key)
    expected = cell(route_key, role, where)
    before = database_dump(api) if expected == "403" else []

    response = api.client.request(route_key[0], path, headers=keys[role, where], json=body)

    if expected == "ok":
        assert 200 <= response.status_code < 300, response.text
        return
    assert response.status_code == 403, response.text
    message = response.json()["error"]["message"]
    if where == OTHER:
        assert message.startswith(f"API key '{role.value} of hillside' has no role on site 'lakeview'"), message
    else:
        assert f"Role '{role.value}' on site 'lakeview' lacks the permission" in message, message
    assert database_dump(api) == before


@pytest.mark.parametrize("route_key", SITE_ROUTES, ids=lambda k: f"{k[0]} {k[1]}")
def test_a_site_the_hub_does_not_serve_is_refused_not_hidden(
    api: Api, keys: dict[tuple[Role, str], dict[str, str]], route_key: tuple[str, str]
) -> None:
    """403 naming the site comes before the 404 of a site this hub does not serve (nothing learnt, nothing done)."""
    path, body = sample_path(api, route_key)
    response = api.client.request(
        route_key[0], path.replace("/sites/lakeview", "/sites/eastgate"), headers=keys[Role.ADMIN, OWN], json=body
    )
    assert response.status_code == 403, response.text
    assert "has no role on site 'eastgate'" in response.json()["error"]["message"]


@pytest.mark.parametrize("route_key", sorted(GLOBAL_FOR_SITE_ADMIN), ids=lambda k: f"{k[0]} {k[1]}")
def test_routes_not_under_a_site_need_a_role_on_every_site(
    api: Api, keys: dict[tuple[Role, str], dict[str, str]], route_key: tuple[str, str]
) -> None:
    plain = SAMPLES[route_key]
    path = plain.path(api) if callable(plain.path) else plain.path
    response = api.client.request(route_key[0], path, headers=keys[Role.ADMIN, OWN], json=plain.json)
    assert response.status_code == GLOBAL_FOR_SITE_ADMIN[route_key], response.text
    if response.status_code == 403:
        assert "needs a role on every site ('*')" in response.json()["error"]["message"]


def test_a_key_of_two_sites_works_on_both_and_no_third(api: Api) -> None:
    two = {"X-API-Key": site_key(api, Role.CREW, "lakeview", "hillside", name="crew of two")}
    assert api.client.get("/sites/lakeview/work-orders", headers=two).status_code == 200
    code = make_order(api, ORDER_SAMPLES[("POST", f"{ORDER}/acknowledge")].state, team=None, assignee=None)
    taken = api.client.post(f"/sites/lakeview/work-orders/{code}/acknowledge", headers=two)
    assert (taken.status_code, taken.json()["assignee"]) == (200, "crew of two")
    # Hillside is not served by this hub: a role there gets past the check, then the site is not found.
    assert api.client.get("/sites/hillside/work-orders", headers=two).status_code == 404
    assert api.client.get("/sites/eastgate/work-orders", headers=two).status_code == 403


def test_a_key_acts_with_the_role_it_holds_on_that_site(api: Api) -> None:
    """Staff on one site and crew on another: closing on lakeview follows the lakeview role only."""
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    manager = site_key(api, Role.STAFF, "lakeview", name="manager here")
    field_hand = site_key(api, Role.CREW, "lakeview", name="crew here")
    with api.sessions() as session:
        for secret, there in ((manager, SiteRole(Role.CREW, CREW_TEAM)), (field_hand, SiteRole(Role.STAFF))):
            key_id = _key_id(api, secret)
            grant(session, Principal.KEY, key_id, "hillside", there, now=now)
        session.commit()
    close = ORDER_SAMPLES[("POST", f"{ORDER}/close")]
    for secret, expected in ((manager, 200), (field_hand, 403)):
        code = make_order(api, close.state, team=None, assignee=None)
        answer = api.client.post(f"/sites/lakeview/work-orders/{code}/close", headers={"X-API-Key": secret})
        assert answer.status_code == expected, answer.text
    refused = api.client.post(
        f"/sites/lakeview/work-orders/{make_order(api, close.state, team=None, assignee=None)}/close",
        headers={"X-API-Key": field_hand},
    )
    assert refused.json()["error"]["message"] == (
        "Role 'crew' on site 'lakeview' lacks the permission 'work_orders:close' this endpoint needs"
    )


def test_an_all_sites_key_keeps_working_everywhere(api: Api) -> None:
    """Keys issued without a site (every key before issue 23) answer as they did: the hub's keys are such."""
    staff = api.as_role(Role.STAFF)
    assert api.client.get("/sites/lakeview/work-orders", headers=staff).status_code == 200
    assert api.client.get("/metrics", headers=staff).status_code == 200
    assert api.client.get("/sites/eastgate/work-orders", headers=staff).status_code == 404


def _key_id(api: Api, secret: str) -> int:
    from api.auth import authenticate

    with api.sessions() as session:
        holder = authenticate(session, secret)
    assert holder is not None
    return holder.key_id


def test_the_company_view_lists_the_sites_the_key_reads_reports_on(api: Api) -> None:
    """A manager of two of the company's three sites compares those two; crew on a third adds nothing."""
    from core.portfolio import load_portfolio

    portfolio = load_portfolio(Path(__file__).resolve().parents[3] / "examples" / "portfolio" / "portfolio.toml")
    client = TestClient(create_app(replace(api.deps, portfolio=portfolio), routers=HUB_ROUTERS))
    regional = site_key(api, Role.STAFF, "lakeview", "harbour", name="regional manager")
    with api.sessions() as session:
        grant(session, Principal.KEY, _key_id(api, regional), "tianshan", SiteRole(Role.CREW), now=api.clock.now())
        session.commit()

    def listed(headers: dict[str, str]) -> list[str] | int:
        answer = client.get("/portfolio/summary?period=2026-11", headers=headers)
        return [site["site_id"] for site in answer.json()["sites"]] if answer.status_code == 200 else answer.status_code

    assert listed({"X-API-Key": regional}) == ["lakeview", "harbour"]
    assert listed(api.as_role(Role.ADMIN)) == ["lakeview", "harbour", "tianshan"]  # every site (*)
    assert listed({"X-API-Key": site_key(api, Role.CREW, "lakeview", "harbour")}) == 403  # crew reads no reports
