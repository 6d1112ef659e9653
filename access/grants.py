"""Roles per site: who (an API key or a console user) holds which role, with which team, on which site.

One deployment runs many communities. A principal holds at most one role per site; the site `*` stands for
every site, so a key issued before grants existed (migration `0019_site_grants` gave it `*`) or without
`--site` works everywhere as before. On a site the site's own grant decides, else the `*` grant; without
either the principal has no role there. Routes not under `/sites/{site_id}` need the `*` grant
(`Grants.for_global`), so a manager of ten communities cannot reach keys, metrics or the dead letters of all;
the schema and the company view (which lists only the sites the principal may see) are the exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from access.orders import TEAM_ID
from access.roles import ROLE_PERMISSIONS, Permission, Role

ALL_SITES = "*"
SITE_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"  # a site id as a grant names it (the site file's id)
_SITE_ID = re.compile(SITE_ID)
_TEAM_ID = re.compile(TEAM_ID)

# Permissions that are not about any one site's data: a global route needing only these lets in a principal
# with a role on any site that holds them (every key may read the OpenAPI document).
SITE_FREE_PERMISSIONS: frozenset[Permission] = frozenset({Permission.READ_API_SCHEMA})
# Permissions of global routes that show sites side by side (the company view, `reports:read`): a role on any
# site that holds one lets the principal in, and the route lists only the sites where it holds it
# (`Grants.holds`), so a manager of ten communities compares those ten.
LISTED_PER_SITE: frozenset[Permission] = frozenset({Permission.READ_REPORTS})


class Principal(StrEnum):
    KEY = "key"  # a row of api_keys
    USER = "user"  # a row of console_users


class GrantError(ValueError):
    """A grant that cannot be (unknown role, bad site id, a malformed team); nothing changed."""


@dataclass(frozen=True, slots=True)
class SiteRole:
    """The role a principal holds on one site, and for crew the alerts team whose orders it works."""

    role: Role
    team: str | None = None


@dataclass(frozen=True)
class Grants:
    """A principal's roles by site id (`*`: every site without a grant of its own)."""

    by_site: Mapping[str, SiteRole] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_site", MappingProxyType(dict(self.by_site)))

    def at(self, site_id: str) -> SiteRole | None:
        """The role on `site_id`: the site's own grant, else the all-sites one, else None (no role there)."""
        return self.by_site.get(site_id) or self.by_site.get(ALL_SITES)

    def for_global(self, permission: Permission) -> SiteRole | None:
        """The role that answers on a route not under a site: the `*` grant; for a site-free or listed-per-site
        permission (the schema, the company view) the `*` grant if it holds it, else any grant that does."""
        everywhere = self.by_site.get(ALL_SITES)
        if permission not in SITE_FREE_PERMISSIONS | LISTED_PER_SITE:
            return everywhere
        held = [everywhere] if everywhere is not None else []
        held += [self.by_site[site] for site in self.sites if site != ALL_SITES]
        return next((one for one in held if permission in ROLE_PERMISSIONS[one.role]), everywhere)

    def holds(self, site_id: str, permission: Permission) -> bool:
        """Whether the role on `site_id` grants `permission` (which sites a company-wide list shows)."""
        held = self.at(site_id)
        return held is not None and permission in ROLE_PERMISSIONS[held.role]

    @property
    def sites(self) -> tuple[str, ...]:
        """The sites granted, `*` first, then by id."""
        return tuple(sorted(self.by_site, key=lambda site: (site != ALL_SITES, site)))

    def describe(self) -> str:
        """`*=admin` or `lakeview=crew/elevator-crew, hillside=staff`, for lists and messages."""
        if not self.by_site:
            return "no site"
        return ", ".join(f"{site}={_role_text(self.by_site[site])}" for site in self.sites)


def _role_text(held: SiteRole) -> str:
    return held.role.value + (f"/{held.team}" if held.team else "")


def checked_site(site_id: str) -> str:
    """`site_id` trimmed when it is `*` or a site id, else `GrantError` saying what a site id looks like."""
    site_id = site_id.strip()
    if site_id != ALL_SITES and not _SITE_ID.fullmatch(site_id):
        raise GrantError(f"site {site_id!r}: use the site's id from its site file (e.g. lakeview), or '*' for all")
    return site_id


def checked_grant(role: Role | str, team: str | None, *, allowed: Iterable[Role] = tuple(Role)) -> SiteRole:
    """A `SiteRole` from user input, or `GrantError` naming the role or team at fault."""
    allowed = tuple(allowed)
    try:
        parsed = Role(role)
    except ValueError:
        parsed = None
    if parsed is None or parsed not in allowed:
        raise GrantError(f"role {role!r}: choose one of {', '.join(r.value for r in allowed)}")
    team = team.strip() if team else None
    if team is not None and not _TEAM_ID.fullmatch(team):
        raise GrantError(f"team {team!r}: use the team's id from the alerts file, e.g. elevator-crew")
    return SiteRole(parsed, team)
