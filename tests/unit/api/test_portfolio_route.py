"""GET /portfolio/summary: the company's sites side by side, only those the caller may see, staff and admin only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from access.orders import Actor
from access.roles import Role
from api.app import create_app
from core.portfolio import load_portfolio
from tests.support.patrols import firing
from tests.unit.api.harness import NOW, Api, running_api
from workorders import service
from workorders.unit_of_work import SqlAlchemyUnitOfWork
from workorders.values import Category, Priority

PORTFOLIO = Path(__file__).resolve().parents[3] / "examples" / "portfolio" / "portfolio.toml"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_api(tmp_path_factory.mktemp("portfolio")) as running:
        uow = lambda: SqlAlchemyUnitOfWork(running.sessions)  # noqa: E731
        for site_id in ("lakeview", "harbour", "harbour"):
            service.create_resident_request(
                uow(), site_id=site_id, category=Category.PLUMBING, priority=Priority.NORMAL, title="漏水",
                description="", reporter="resident", actor="desk", clock=running.clock,
            )  # fmt: skip
        firing(running.sessions, "tianshan", "silence", "BOILER-G", NOW)
        yield running


def client_for(api: Api, **changes: object) -> TestClient:
    return TestClient(create_app(replace(api.deps, **changes)))  # type: ignore[arg-type]


def summary(client: TestClient, api: Api, role: Role = Role.STAFF, period: str = "2026-11") -> dict[str, object]:
    answer = client.get(f"/portfolio/summary?period={period}", headers=api.as_role(role))
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def figures(body: dict[str, object]) -> dict[str, tuple[object, ...]]:
    sites = body["sites"]
    assert isinstance(sites, list)
    return {s["site_id"]: (s["timezone"], s["open_orders"], s["orders"], s["open_alarms"]) for s in sites}


def test_without_a_portfolio_the_company_is_this_hubs_site(api: Api) -> None:
    body = summary(api.client, api)

    assert (body["company"], body["period"]) == ("湖景花園 Lakeview Gardens", "2026-11")
    assert figures(body) == {"lakeview": ("Asia/Shanghai", 1, 1, 0)}


def test_a_portfolio_lists_every_site_in_its_order_with_its_own_figures(api: Api) -> None:
    client = client_for(api, portfolio=load_portfolio(PORTFOLIO))

    body = summary(client, api, Role.ADMIN)

    assert body["company"] == "湖景物业 Lakeview Property Services"
    assert list(figures(body).items()) == [
        ("lakeview", ("Asia/Shanghai", 1, 1, 0)),
        ("harbour", ("Asia/Hong_Kong", 2, 2, 0)),
        ("tianshan", ("Asia/Urumqi", 0, 0, 1)),
    ]
    harbour = body["sites"][1]  # type: ignore[index]
    assert harbour["sla_rate"] == 1.0 and harbour["maintenance_rate"] is None
    assert [line["utility"] for line in harbour["consumption"]] == ["electricity", "water"]
    assert harbour["consumption"][1] == {
        "utility": "water", "unit": "m3", "this_month": None, "previous_month": None, "change": None, "meters": 48,
    }  # fmt: skip


def test_only_the_sites_a_caller_may_see_are_listed(api: Api) -> None:
    asked: list[Actor] = []

    def visible(who: Actor) -> set[str] | None:
        asked.append(who)
        return None if who.role is Role.ADMIN else {"harbour", "nowhere"}

    client = client_for(api, portfolio=load_portfolio(PORTFOLIO), visible_sites=visible)

    assert list(figures(summary(client, api, Role.STAFF))) == ["harbour"]
    assert list(figures(summary(client, api, Role.ADMIN))) == ["lakeview", "harbour", "tianshan"]
    assert [(who.role, who.names) for who in asked] == [
        (Role.STAFF, frozenset({"staff key"})), (Role.ADMIN, frozenset({"admin key"}))
    ]  # fmt: skip


def test_a_caller_who_may_see_no_site_gets_an_empty_company(api: Api) -> None:
    client = client_for(api, portfolio=load_portfolio(PORTFOLIO), visible_sites=lambda who: set())

    assert summary(client, api)["sites"] == []


@pytest.mark.parametrize("period", ["2026-13", "November", "1999-12", ""])
def test_a_period_that_is_no_month_is_refused_naming_it(api: Api, period: str) -> None:
    answer = api.client.get(f"/portfolio/summary?period={period}", headers=api.as_role(Role.STAFF))

    assert answer.status_code == 422, answer.text
    assert "period" in answer.text


@pytest.mark.parametrize(("role", "status"), [(Role.CREW, 403), (Role.FEE_MODULE, 403), (Role.ADMIN, 200)])
def test_crews_and_the_fee_module_may_not_compare_sites(api: Api, role: Role, status: int) -> None:
    answer = api.client.get("/portfolio/summary?period=2026-11", headers=api.as_role(role))

    assert answer.status_code == status, answer.text
