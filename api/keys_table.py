"""The `api_keys` table: one row per issued key, holding a salted hash and never the key itself.

Created by migration `0003_api_keys` (its own branch from `0001_base`), `team` added by `0008_api_key_team`;
keep them in step. `role` and `team` say what the key was issued with; what it may do on which site is its
grants in `site_grants` (`access.grant_store`), all with this role and team.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from access.roles import Role
from storage.database import Base
from storage.sql_types import UtcDateTime

ROLE_CHECK = "role IN ('admin', 'staff', 'crew', 'fee_module')"


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint(ROLE_CHECK, name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    # The team whose work orders the key works (its alerts team id); None: only what is assigned to its name.
    team: Mapped[str | None] = mapped_column(String(64), default=None)
    # The first characters of the secret part, so a presented key finds its row without a scan.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    salt: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
