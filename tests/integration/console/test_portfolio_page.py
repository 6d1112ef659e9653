"""/console/portfolio: one row per site the viewer may see, sorted by a column's heading link (no JavaScript),
in the console's two languages; crews are refused as they are from the monthly report."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from access.orders import Actor
from access.roles import Role
from core.portfolio import load_portfolio
from storage.store import StoreUnavailable
from tests.support.console_rig import PASSWORD, ConsoleRig, console_rig, login_data
from tests.support.patrols import firing
from workorders import service
from workorders.unit_of_work import SqlAlchemyUnitOfWork
from workorders.values import Category, Priority

pytestmark = pytest.mark.integration

PORTFOLIO = load_portfolio(Path(__file__).resolve().parents[3] / "examples" / "portfolio" / "portfolio.toml")
BASE = "http://hub.test"


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleRig]:
    with console_rig(tmp_path_factory.mktemp("portfolio-page")) as rig:
        uow = lambda: SqlAlchemyUnitOfWork(rig.sessions)  # noqa: E731
        for site_id, count in (("lakeview", 1), ("harbour", 3)):
            for _ in range(count):
                service.create_resident_request(
                    uow(), site_id=site_id, category=Category.PLUMBING, priority=Priority.NORMAL, title="漏水",
                    description="", reporter="resident", actor="desk", clock=rig.clock,
                )  # fmt: skip
        for asset in ("BOILER-G", "A-0101-W"):
            firing(rig.sessions, "tianshan", "silence", asset, rig.clock.now() - timedelta(hours=1))

        rig.app.state.deps = replace(rig.deps, portfolio=PORTFOLIO)
        yield rig


def signed_in(rig: ConsoleRig, username: str) -> TestClient:
    client = TestClient(rig.app, base_url=BASE)
    answer = client.post("/console/login", data=login_data(client, username=username, password=PASSWORD))
    assert answer.status_code == 200, answer.text
    return client


def rows(page: str) -> list[list[str]]:
    """The table's body as text, one list of cells per site."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td data-label=\"[^\"]*\">([^<]*)</td>", row) for row in body.split("</tr>") if "<td" in row]


def test_staff_see_every_site_with_its_figures_in_the_portfolios_order(rig: ConsoleRig) -> None:
    page = signed_in(rig, "lina").get("/console/portfolio?month=2026-11")

    assert page.status_code == 200, page.text
    assert "公司总览 · 湖景物业 Lakeview Property Services" in page.text
    assert rows(page.text) == [
        ["湖景花園 Lakeview Gardens", "1", "100% · 1 单", "0", "0", "—", "— (上月 —)", "— (上月 —)", "— (上月 —)"],
        ["海港苑 Harbour Court", "3", "100% · 3 单", "0", "0", "—", "— (上月 —)", "— (上月 —)", "—"],
        ["天山雅苑 Tianshan Gardens", "0", "— · 0 单", "0", "2", "—", "— (上月 —)", "— (上月 —)", "— (上月 —)"],
    ]


def test_a_headings_link_sorts_by_it_and_a_second_click_the_other_way(rig: ConsoleRig) -> None:
    client = signed_in(rig, "lina")
    first = client.get("/console/portfolio?month=2026-11&sort=open_orders&desc=0")

    assert [row[0] for row in rows(first.text)] == ["天山雅苑 Tianshan Gardens", "湖景花園 Lakeview Gardens",
                                                     "海港苑 Harbour Court"]  # fmt: skip
    assert 'href="?month=2026-11&amp;sort=open_orders&amp;desc=1"' in first.text  # the same heading: the other way
    assert 'href="?month=2026-11&amp;sort=alarms&amp;desc=0"' in first.text
    second = client.get("/console/portfolio?month=2026-11&sort=open_orders&desc=1")
    assert [row[0] for row in rows(second.text)] == ["海港苑 Harbour Court", "湖景花園 Lakeview Gardens",
                                                      "天山雅苑 Tianshan Gardens"]  # fmt: skip
    by_alarms = client.get("/console/portfolio?month=2026-11&sort=alarms&desc=1")
    assert rows(by_alarms.text)[0][0] == "天山雅苑 Tianshan Gardens"


def test_the_page_speaks_english_too(rig: ConsoleRig) -> None:
    page = signed_in(rig, "lina").get("/console/portfolio?month=2026-11&lang=en")

    assert "Company overview · 湖景物业 Lakeview Property Services" in page.text
    assert ">Open orders</a>" in page.text and ">Water per unit</a>" in page.text
    assert rows(page.text)[1][2] == "100% · 3 orders"


def test_only_the_sites_the_viewer_may_see_are_rows(rig: ConsoleRig) -> None:
    asked: list[Actor] = []

    def visible(who: Actor) -> set[str] | None:
        asked.append(who)
        return {"harbour"}

    deps = rig.app.state.deps
    rig.app.state.deps = replace(deps, visible_sites=visible)
    try:
        page = signed_in(rig, "lina").get("/console/portfolio?month=2026-11")
    finally:
        rig.app.state.deps = deps

    assert [row[0] for row in rows(page.text)] == ["海港苑 Harbour Court"]
    assert [(who.role, "lina" in who.names) for who in asked] == [(Role.STAFF, True)]


@pytest.mark.parametrize("query", ["month=2025-01", "month=2026-11&sort=owner", "month=2026-11&desc=yes"])
def test_a_month_or_sort_out_of_the_list_is_refused(rig: ConsoleRig, query: str) -> None:
    page = signed_in(rig, "lina").get(f"/console/portfolio?{query}")

    assert page.status_code == 422
    assert "sort: one of site, open_orders, sla, breaches, alarms, maintenance, water, electricity, gas" in page.text


def test_the_default_month_is_this_one_and_crews_are_refused(rig: ConsoleRig) -> None:
    page = signed_in(rig, "lina").get("/console/portfolio")
    assert page.status_code == 200 and '<option value="2026-11" selected>' in page.text
    assert signed_in(rig, "wang").get("/console/portfolio").status_code == 403
    anonymous = TestClient(rig.app, base_url=BASE).get("/console/portfolio", follow_redirects=False)
    assert anonymous.headers["location"].startswith("/console/login")


def test_the_form_sorts_too_where_a_phone_hides_the_headings(rig: ConsoleRig) -> None:
    page = signed_in(rig, "lina").get("/console/portfolio?month=2026-11&sort=alarms&desc=1")

    assert '<option value="alarms" selected>当前报警</option>' in page.text
    assert '<option value="1" selected>从大到小</option>' in page.text


class SilentStore:
    """A reading store that does not answer (InfluxDB down)."""

    def last_before(self, *_args: object) -> None:
        raise StoreUnavailable("connection refused")


def test_a_site_whose_store_does_not_answer_says_so_and_the_page_still_shows(rig: ConsoleRig) -> None:
    deps = rig.app.state.deps
    stores = {"harbour": SilentStore(), "lakeview": rig.store, "tianshan": rig.store}
    rig.app.state.deps = replace(deps, portfolio_stores=stores.get)
    try:
        page = signed_in(rig, "lina").get("/console/portfolio?month=2026-11")
    finally:
        rig.app.state.deps = deps

    assert page.status_code == 200
    harbour = rows(page.text)[1]
    assert harbour[0] == "海港苑 Harbour Court" and harbour[6:] == ["读数暂不可用"] * 3


def test_under_a_portfolio_each_site_links_to_its_console_on_the_replicas_front(rig: ConsoleRig) -> None:
    page = signed_in(rig, "lina").get("/console/portfolio?month=2026-11").text
    links = re.findall(r'<a href="(/replica/choose\?site=[^"]+)" class="site-link">([^<]+)</a>', page)
    assert links == [
        ("/replica/choose?site=lakeview", "湖景花園 Lakeview Gardens"),
        ("/replica/choose?site=harbour", "海港苑 Harbour Court"),
        ("/replica/choose?site=tianshan", "天山雅苑 Tianshan Gardens"),
    ]
