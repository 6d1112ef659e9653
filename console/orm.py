"""The console's tables: staff accounts, their sign-in sessions, the intake details of resident requests, and
submitted forms.

Created by migration `0007_console` (branch `console`), sessions by `0009_console_sessions`;
tests/integration/console/test_schema.py checks that the migrated schema and these models agree.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from storage.database import Base
from storage.sql_types import UtcDateTime

TABLES = frozenset({"console_users", "console_sessions", "resident_requests", "console_submissions"})
CONSOLE_ROLES = ("admin", "staff", "crew")  # the API's roles that are people (fee_module is a system)
ROLE_CHECK = "role IN ('admin', 'staff', 'crew')"
KIND_CHECK = "kind IN ('repair', 'complaint')"


class ConsoleUser(Base):
    """A person who signs in to the console; `role` and `team` (their alerts team) are what the account was
    created with: its role on each site is in `site_grants` (`access.grant_store`)."""

    __tablename__ = "console_users"
    __table_args__ = (CheckConstraint(ROLE_CHECK, name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    team: Mapped[str | None] = mapped_column(String(64), default=None)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Bumped by a password change or a disable: cookies issued before it stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ConsoleSession(Base):
    """One sign-in: the cookie is honoured only while this row is there, unexpired and not ended."""

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_user_id", "user_id"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie's nonce
    user_id: Mapped[int]
    client: Mapped[str] = mapped_column(String(64))  # the address it signed in from
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    end_reason: Mapped[str | None] = mapped_column(String(32), default=None)  # signed_out, password_changed, disabled


class ResidentRequestRow(Base):
    """What the service centre took down with a resident's request, beside the work order it opened."""

    __tablename__ = "resident_requests"
    __table_args__ = (CheckConstraint(KIND_CHECK, name="kind"),)

    work_order_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[str | None] = mapped_column(String(64), default=None)
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(32))
    preferred_time: Mapped[str] = mapped_column(String(100), default="")
    taken_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ConsoleSubmission(Base):
    """A form the console has handled, by the nonce each rendered form carries: a double tap does it once."""

    __tablename__ = "console_submissions"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(32))
    redirect_to: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
