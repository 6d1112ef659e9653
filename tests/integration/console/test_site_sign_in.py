"""A console signs people in for its own site (issue 23): with their role there, or not at all.

Two consoles share one database: lakeview's (the example site) and hillside's (the same site file under
another id, as a second hub would serve it). A user granted on lakeview signs in there, not on hillside; a
grant added later lets them in, with the role of that site; a revoked grant ends the session's use at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from access.grant_store import grant, revoke
from access.grants import Principal, SiteRole
from access.roles import Role
from api.app import create_app
from api.workorder_deps import WORK_ORDER_CONFLICTS
from console.pages import mount_console
from console.users import NoRoleOnSite, create_user, sign_in
from tests.support.console_rig import NOW, PASSWORD, ConsoleRig, console_rig, login_data

pytestmark = pytest.mark.integration
BASE = "http://hub.test"


@dataclasses.dataclass
class TwoSites:
    rig: ConsoleRig
    lakeview: TestClient
    hillside: TestClient
    chen_id: int


@pytest.fixture
def consoles(tmp_path: Path) -> Iterator[TwoSites]:
    with console_rig(tmp_path / "hub") as rig:
        info = rig.site.info.model_copy(update={"id": "hillside", "name": "山景苑"})
        hillside_site = dataclasses.replace(rig.site, info=info)
        hillside_app = mount_console(
            create_app(dataclasses.replace(rig.deps, site=hillside_site), conflicts=WORK_ORDER_CONFLICTS), rig.config
        )
        with rig.sessions() as session:
            chen = create_user(
                session, username="chen", display_name="陈经理", role="staff", password=PASSWORD, team=None,
                now=NOW, sites=["lakeview"],
            )  # fmt: skip
            session.commit()
        yield TwoSites(rig, TestClient(rig.app, base_url=BASE), TestClient(hillside_app, base_url=BASE), chen.user_id)


def attempt(browser: TestClient, username: str) -> tuple[int, str]:
    answer = browser.post(
        "/console/login", data=login_data(browser, username=username, password=PASSWORD), follow_redirects=False
    )
    return answer.status_code, answer.text


def test_a_user_of_one_site_signs_in_there_and_not_on_another(consoles: TwoSites) -> None:
    assert attempt(consoles.lakeview, "chen")[0] == 303
    assert consoles.lakeview.get("/console/stats", follow_redirects=False).status_code == 200  # staff there

    status, page = attempt(consoles.hillside, "chen")
    assert status == 403
    assert "此账号在本小区（山景苑）没有角色" in page
    assert consoles.hillside.get("/console/my", follow_redirects=False).status_code == 303  # to the sign-in page


def test_an_all_sites_account_signs_in_on_both(consoles: TwoSites) -> None:
    assert attempt(consoles.lakeview, "lina")[0] == 303
    assert attempt(consoles.hillside, "lina")[0] == 303


def test_the_pages_use_the_role_held_on_the_consoles_site(consoles: TwoSites) -> None:
    with consoles.rig.sessions() as session:
        grant(session, Principal.USER, consoles.chen_id, "hillside", SiteRole(Role.CREW, "elevator-crew"), now=NOW)
        session.commit()
    assert attempt(consoles.hillside, "chen")[0] == 303
    assert attempt(consoles.lakeview, "chen")[0] == 303
    # Statistics are the service centre's: staff on lakeview reads them, crew on hillside may not.
    assert consoles.lakeview.get("/console/stats", follow_redirects=False).status_code == 200
    assert consoles.hillside.get("/console/stats", follow_redirects=False).status_code == 403
    assert consoles.hillside.get("/console/my", follow_redirects=False).status_code == 200


def test_a_revoked_grant_ends_the_sessions_use_on_that_site_at_once(consoles: TwoSites) -> None:
    assert attempt(consoles.lakeview, "chen")[0] == 303
    assert consoles.lakeview.get("/console/my", follow_redirects=False).status_code == 200
    with consoles.rig.sessions() as session:
        assert revoke(session, Principal.USER, consoles.chen_id, "lakeview")
        session.commit()
    answer = consoles.lakeview.get("/console/my", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"].split("?")[0]) == (303, "/console/login")
    assert attempt(consoles.lakeview, "chen")[0] == 403


def test_the_refusal_is_told_only_for_the_right_password_and_is_audited(consoles: TwoSites) -> None:
    with consoles.rig.sessions() as session:
        assert sign_in(session, "chen", "not the password", site_id="hillside") is None
        with pytest.raises(NoRoleOnSite, match="has no role on site 'hillside' \\(holds lakeview=staff\\)"):
            sign_in(session, "chen", PASSWORD, site_id="hillside")
    attempt(consoles.hillside, "chen")
    with consoles.rig.sessions() as session:
        from access.audit import entries

        rows, _ = entries(session, limit=5, username="chen")
    assert (rows[0].event, rows[0].detail) == ("failed", "no role on site hillside")


def test_the_company_page_lists_the_sites_where_the_user_reads_reports(consoles: TwoSites) -> None:
    from core.portfolio import load_portfolio
    from tests.conftest import EXAMPLE_SITE

    portfolio = load_portfolio(EXAMPLE_SITE.parent / "portfolio" / "portfolio.toml")
    names = {site_id: entry.site.info.name for site_id, entry in portfolio.sites.items()}
    rig = consoles.rig
    app = mount_console(
        create_app(dataclasses.replace(rig.deps, portfolio=portfolio), conflicts=WORK_ORDER_CONFLICTS), rig.config
    )
    with rig.sessions() as session:
        grant(session, Principal.USER, consoles.chen_id, "harbour", SiteRole(Role.CREW), now=NOW)
        grant(session, Principal.USER, consoles.chen_id, "tianshan", SiteRole(Role.STAFF), now=NOW)
        session.commit()
    browser = TestClient(app, base_url=BASE)
    assert attempt(browser, "chen")[0] == 303
    page = browser.get("/console/portfolio", follow_redirects=False)
    assert page.status_code == 200, page.text[:300]
    shown = {site_id for site_id, name in names.items() if name in page.text}
    assert shown == {"lakeview", "tianshan"}  # crew on harbour reads no reports there
