"""The `site_grants` table and what is done with it: read a principal's grants, grant, revoke, list.

Created by migration `0019_site_grants` (branch `site_grants`), which gave every key and console user of the
time an all-sites (`*`) grant of the role and team it had; tests/integration/access/test_site_grants_pg.py
checks the table and the upgrade. The `role` and `team` columns of `api_keys` and `console_users` still say
what the principal was created with; access comes from here alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from access.grants import ALL_SITES, Grants, Principal, SiteRole, checked_site
from access.roles import Role
from storage.database import Base
from storage.sql_types import UtcDateTime

TABLES = frozenset({"site_grants"})
ROLE_CHECK = "role IN (" + ", ".join(f"'{role.value}'" for role in Role) + ")"
PRINCIPAL_CHECK = "principal IN (" + ", ".join(f"'{kind.value}'" for kind in Principal) + ")"


class SiteGrantRow(Base):
    """One role of one principal on one site (`*`: every site without a grant of its own)."""

    __tablename__ = "site_grants"
    __table_args__ = (
        CheckConstraint(ROLE_CHECK, name="role"),
        CheckConstraint(PRINCIPAL_CHECK, name="principal"),
        UniqueConstraint("principal", "principal_id", "site_id", name="uq_site_grants_principal_site"),
        Index("ix_site_grants_principal", "principal", "principal_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    principal: Mapped[str] = mapped_column(String(8))
    principal_id: Mapped[int]  # api_keys.id or console_users.id, as `principal` says
    site_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    team: Mapped[str | None] = mapped_column(String(64), default=None)
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)


def grants_of(session: Session, principal: Principal, principal_id: int) -> Grants:
    """Every grant one principal holds."""
    rows = session.scalars(
        select(SiteGrantRow).where(SiteGrantRow.principal == principal.value, SiteGrantRow.principal_id == principal_id)
    )
    return Grants({row.site_id: SiteRole(Role(row.role), row.team) for row in rows})


def grants_of_all(session: Session, principal: Principal) -> dict[int, Grants]:
    """Every principal of a kind with its grants (for lists); one with none is absent."""
    found: dict[int, dict[str, SiteRole]] = defaultdict(dict)
    for row in session.scalars(select(SiteGrantRow).where(SiteGrantRow.principal == principal.value)):
        found[row.principal_id][row.site_id] = SiteRole(Role(row.role), row.team)
    return {principal_id: Grants(by_site) for principal_id, by_site in found.items()}


def grant(
    session: Session, principal: Principal, principal_id: int, site_id: str, held: SiteRole, *, now: datetime
) -> None:
    """Give the principal `held` on `site_id` (replacing the role it had there), in the caller's transaction."""
    site_id = checked_site(site_id)
    row = session.scalars(
        select(SiteGrantRow).where(
            SiteGrantRow.principal == principal.value,
            SiteGrantRow.principal_id == principal_id,
            SiteGrantRow.site_id == site_id,
        )
    ).one_or_none()
    if row is None:
        row = SiteGrantRow(principal=principal.value, principal_id=principal_id, site_id=site_id, granted_at=now)
        session.add(row)
    row.role, row.team, row.granted_at = held.role.value, held.team, now
    session.flush()


def grant_sites(
    session: Session, principal: Principal, principal_id: int, sites: Iterable[str], held: SiteRole, *, now: datetime
) -> None:
    """The same role on each of `sites`; none named means every site (`*`), as before grants existed."""
    for site_id in dict.fromkeys(sites) or (ALL_SITES,):
        grant(session, principal, principal_id, site_id, held, now=now)


def revoke(session: Session, principal: Principal, principal_id: int, site_id: str) -> bool:
    """Take the principal's role on `site_id` away (in the caller's transaction); False when it had none there."""
    result = session.execute(
        delete(SiteGrantRow).where(
            SiteGrantRow.principal == principal.value,
            SiteGrantRow.principal_id == principal_id,
            SiteGrantRow.site_id == checked_site(site_id),
        )
    )
    return bool(getattr(result, "rowcount", 0))
