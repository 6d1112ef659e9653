"""The sign-in audit log: every console sign-in, failure, refusal and sign-out, and every ended session.

Shared by the console (which writes it) and the API (`GET /audit/sign-ins`, admins) and the command line
(`facilities users audit`), so it lives beside the permission table rather than in either of them. Created by
migration `0010_sign_in_audit` (branch `access`); tests/integration/console/test_schema.py checks they agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.text import one_line
from storage.database import Base
from storage.sql_types import UtcDateTime

TABLES = frozenset({"sign_in_audit"})
USERNAME_MAX = 64
DETAIL_MAX = 200


class SignInEvent(StrEnum):
    SIGNED_IN = "signed_in"
    FAILED = "failed"  # wrong password, unknown or disabled account (the page does not say which)
    THROTTLED = "throttled"  # refused unchecked: this address must wait after its failures
    REFUSED_CSRF = "refused_csrf"  # a sign-in form without this browser's token (another site's form)
    SIGNED_OUT = "signed_out"
    SESSIONS_ENDED = "sessions_ended"  # password change or disable ended the account's sessions


EVENT_CHECK = "event IN (" + ", ".join(f"'{event.value}'" for event in SignInEvent) + ")"


class SignInAuditRow(Base):
    __tablename__ = "sign_in_audit"
    __table_args__ = (
        CheckConstraint(EVENT_CHECK, name="event"),
        Index("ix_sign_in_audit_at", "at"),
        Index("ix_sign_in_audit_username", "username"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    event: Mapped[str] = mapped_column(String(24))
    username: Mapped[str] = mapped_column(String(USERNAME_MAX))  # as typed (cleaned), so guessed names show too
    user_id: Mapped[int | None] = mapped_column(default=None)  # the account, when there is one
    client: Mapped[str] = mapped_column(String(64))  # the address the request came from
    detail: Mapped[str] = mapped_column(String(DETAIL_MAX), default="")


def clean(text: str, limit: int) -> str:
    """`text` on one line (control and line-separator characters shown as �), cut to `limit`: attacker-supplied."""
    return one_line(text, replacement="\N{REPLACEMENT CHARACTER}")[:limit]


def record(
    sessions: Callable[[], Session],
    *,
    event: SignInEvent,
    username: str,
    client: str,
    at: datetime,
    user_id: int | None = None,
    detail: str = "",
) -> None:
    """Write one entry in a transaction of its own (a refused sign-in has no other transaction to join)."""
    with sessions() as session:
        add(session, event=event, username=username, client=client, at=at, user_id=user_id, detail=detail)
        session.commit()


def add(
    session: Session,
    *,
    event: SignInEvent,
    username: str,
    client: str,
    at: datetime,
    user_id: int | None = None,
    detail: str = "",
) -> None:
    """Add one entry to `session`, committed with the caller's change (a password change and its entry together)."""
    session.add(
        SignInAuditRow(
            at=at,
            event=event.value,
            username=clean(username.strip().lower(), USERNAME_MAX),
            user_id=user_id,
            client=clean(client, 64),
            detail=clean(detail, DETAIL_MAX),
        )
    )


def entries(
    session: Session, *, limit: int, offset: int = 0, username: str | None = None
) -> tuple[Sequence[SignInAuditRow], int]:
    """Entries newest first, with the total count; only `username`'s when given."""
    query = select(SignInAuditRow)
    counted = select(func.count()).select_from(SignInAuditRow)
    if username is not None:
        name = username.strip().lower()
        query, counted = query.where(SignInAuditRow.username == name), counted.where(SignInAuditRow.username == name)
    rows = session.scalars(
        query.order_by(SignInAuditRow.at.desc(), SignInAuditRow.id.desc()).limit(limit).offset(offset)
    )
    return rows.all(), int(session.scalar(counted) or 0)


def prune(sessions: Callable[[], Session], *, older_than: datetime) -> int:
    """Delete entries from before `older_than`; returns how many."""
    with sessions() as session:
        result = session.execute(delete(SignInAuditRow).where(SignInAuditRow.at < older_than))
        session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
