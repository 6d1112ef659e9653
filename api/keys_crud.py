"""Create, list, find and revoke API keys; every function takes keyword-only arguments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access.grant_store import grant_sites
from access.grants import Principal, SiteRole, checked_site
from access.roles import Role
from api.auth import generate_key
from api.keys_table import ApiKey

_ATTEMPTS = 3  # a lookup-prefix collision (48 random bits) is rare; a fresh key fixes it


class KeyAlreadyRevoked(Exception):
    """Revoking a key twice: nothing to do, and the caller should know."""


def create_key(
    *, session: Session, role: Role, name: str, now: datetime, team: str | None = None, sites: Iterable[str] = ()
) -> tuple[ApiKey, str]:
    """Store a new key with `role` on each of `sites` (none: every site, `*`) and commit; returns the row and the
    secret, which is not stored anywhere.

    `team` is the alerts team whose work orders a crew key works; without one, a crew key works only the orders
    assigned to its name and those nobody has taken (`access.orders`). A bad site id raises `GrantError`.
    """
    sites = tuple(checked_site(site) for site in sites)  # before anything is written
    attempts = 0
    while True:
        attempts += 1
        new = generate_key()
        row = ApiKey(
            name=name, role=role.value, team=team, prefix=new.prefix, salt=new.salt, key_hash=new.key_hash,
            created_at=now,
        )  # fmt: skip
        session.add(row)
        try:
            session.flush()  # the id, for its grants
            grant_sites(session, Principal.KEY, row.id, sites, SiteRole(role, team), now=now)
            session.commit()
        except IntegrityError:
            session.rollback()
            if attempts >= _ATTEMPTS:
                raise
            continue
        return row, new.secret


def list_keys(*, session: Session, include_revoked: bool = True) -> Sequence[ApiKey]:
    """Keys oldest first, without their secrets (which are not stored)."""
    query = select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return session.scalars(query).all()


def get_key(*, session: Session, key_id: int) -> ApiKey | None:
    return session.get(ApiKey, key_id)


def revoke_key(*, session: Session, key: ApiKey, now: datetime) -> ApiKey:
    """Mark a key revoked and commit; it stays listed, so who had access remains on record."""
    if key.revoked_at is not None:
        raise KeyAlreadyRevoked(f"API key {key.id} was already revoked at {key.revoked_at.isoformat()}")
    key.revoked_at = now
    session.commit()
    return key
