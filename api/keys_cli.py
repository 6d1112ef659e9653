"""Key management for the command line (`facilities keys create --role …`), outside any request."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from access.grant_store import grants_of_all
from access.grants import GrantError, Grants, Principal, checked_site
from access.orders import TEAM_ID
from access.roles import Role
from api import keys_crud
from api.ports import SessionFactory


def parse_role(role: Role | str) -> Role:
    """The role named by `role`, or a ValueError that lists the roles there are."""
    try:
        return Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {role!r}; use one of {known}") from None


def create_key(
    session_factory: SessionFactory, role: Role | str, name: str, team: str | None = None, sites: Iterable[str] = ()
) -> str:
    """Issue a key and return its secret, to print once; only its hash is stored.

    `team` (an alerts team id) is whose work orders a crew key works; `sites` the site ids it holds the role on
    (none: every site). The database must be upgraded first (`storage.database.upgrade`), as at every start-up.
    """
    name = name.strip()
    if not name or len(name) > 100 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValueError("name the key in 1 to 100 printable characters, e.g. --name 'billing export'")
    team = team.strip() if team else None
    if team is not None and not re.fullmatch(TEAM_ID, team):
        raise ValueError(f"--team {team!r}: use the team's id from the alerts file, e.g. --team elevator-crew")
    try:
        site_ids = [checked_site(site) for site in sites]
    except GrantError as exc:
        raise ValueError(f"--site: {exc}") from None
    with session_factory() as session:
        _, secret = keys_crud.create_key(
            session=session, role=parse_role(role), name=name, team=team, sites=site_ids, now=datetime.now(UTC)
        )
    return secret


@dataclass(frozen=True, slots=True)
class KeyListing:
    """A key as `facilities keys list` shows it: no secret, its grants by site."""

    key_id: int
    name: str
    prefix: str
    revoked: bool
    grants: Grants


def list_keys(session_factory: SessionFactory) -> list[KeyListing]:
    """Every key, oldest first, revoked ones too, with the roles it holds per site."""
    with session_factory() as session:
        grants = grants_of_all(session, Principal.KEY)
        return [
            KeyListing(row.id, row.name, row.prefix, row.revoked, grants.get(row.id, Grants()))
            for row in keys_crud.list_keys(session=session)
        ]


def revoke_key(session_factory: SessionFactory, key_id: int) -> None:
    """Revoke a key by id (e.g. a lost admin key); ValueError if there is no such key or it is revoked."""
    with session_factory() as session:
        row = keys_crud.get_key(session=session, key_id=key_id)
        if row is None:
            raise ValueError(f"no API key with id {key_id}")
        try:
            keys_crud.revoke_key(session=session, key=row, now=datetime.now(UTC))
        except keys_crud.KeyAlreadyRevoked as exc:
            raise ValueError(str(exc)) from None
