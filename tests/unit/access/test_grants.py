"""Roles per site: which grant answers on a site and off-site, and what a grant may say."""

from __future__ import annotations

import pytest

from access.grants import GrantError, Grants, SiteRole, checked_grant, checked_site
from access.roles import Permission, Role

CREW = SiteRole(Role.CREW, "elevator-crew")
STAFF = SiteRole(Role.STAFF)


def test_a_sites_own_grant_comes_before_the_all_sites_one() -> None:
    grants = Grants({"*": CREW, "lakeview": STAFF})
    assert (grants.at("lakeview"), grants.at("hillside")) == (STAFF, CREW)
    assert Grants({"lakeview": STAFF}).at("hillside") is None
    assert Grants().at("lakeview") is None


def test_off_site_only_the_all_sites_grant_counts_except_for_the_schema() -> None:
    one_site = Grants({"lakeview": SiteRole(Role.ADMIN)})
    assert one_site.for_global(Permission.MANAGE_KEYS) is None
    assert one_site.for_global(Permission.READ_SITE) is None
    assert one_site.for_global(Permission.READ_API_SCHEMA) == SiteRole(Role.ADMIN)
    assert Grants({"*": CREW, "lakeview": STAFF}).for_global(Permission.READ_METRICS) == CREW
    assert Grants().for_global(Permission.READ_API_SCHEMA) is None


def test_grants_describe_themselves_all_sites_first() -> None:
    assert Grants({"lakeview": CREW, "*": STAFF, "hillside": STAFF}).describe() == (
        "*=staff, hillside=staff, lakeview=crew/elevator-crew"
    )
    assert Grants().describe() == "no site"


def test_grants_cannot_be_changed_behind_the_checks_back() -> None:
    source = {"lakeview": STAFF}
    grants = Grants(source)
    source["hillside"] = STAFF
    assert grants.at("hillside") is None
    with pytest.raises(TypeError):
        grants.by_site["hillside"] = STAFF  # type: ignore[index]


@pytest.mark.parametrize("bad", ["", "lake view", "-lakeview", "湖景", "a" * 65, "*lakeview", "lakeview/../x"])
def test_a_site_id_is_the_site_files_id_or_star(bad: str) -> None:
    assert checked_site(" lakeview ") == "lakeview"
    assert checked_site("*") == "*"
    with pytest.raises(GrantError, match="use the site's id from its site file"):
        checked_site(bad)


def test_a_grant_names_a_known_role_and_a_well_formed_team() -> None:
    assert checked_grant("crew", " elevator-crew ") == CREW
    assert checked_grant(Role.STAFF, "") == STAFF
    with pytest.raises(GrantError, match="role 'boss': choose one of admin, staff, crew, fee_module"):
        checked_grant("boss", None)
    with pytest.raises(GrantError, match=r"role 'fee_module': choose one of admin, staff, crew$"):
        checked_grant("fee_module", None, allowed=[Role.ADMIN, Role.STAFF, Role.CREW])
    with pytest.raises(GrantError, match="team 'a team'"):
        checked_grant("crew", "a team")


def test_the_company_view_lets_in_a_role_of_any_site_and_lists_the_sites_it_reads_reports_on() -> None:
    grants = Grants({"lakeview": CREW, "harbour": STAFF})
    assert grants.for_global(Permission.READ_REPORTS) == STAFF
    assert grants.for_global(Permission.READ_METRICS) is None  # not a listing: every site's role needed
    assert [site for site in ("lakeview", "harbour", "tianshan") if grants.holds(site, Permission.READ_REPORTS)] == [
        "harbour"
    ]
    assert Grants({"lakeview": CREW}).for_global(Permission.READ_REPORTS) is None
    everywhere_but = Grants({"*": STAFF, "lakeview": CREW})
    assert everywhere_but.holds("tianshan", Permission.READ_REPORTS)
    assert not everywhere_but.holds("lakeview", Permission.READ_REPORTS)
