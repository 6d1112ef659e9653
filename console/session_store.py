"""Sign-in sessions kept server-side (`console_sessions`): opened at sign-in, ended at sign-out, by a password
change or a disable, and forgotten some time after they expire."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from console.orm import ConsoleSession

SIGNED_OUT, PASSWORD_CHANGED, DISABLED = "signed_out", "password_changed", "disabled"


def open_session(session: Session, *, key: str, user_id: int, client: str, now: datetime, expires_at: datetime) -> None:
    """Record a new sign-in (the caller commits)."""
    session.add(ConsoleSession(key=key, user_id=user_id, client=client[:64], created_at=now, expires_at=expires_at))


def is_live(session: Session, *, key: str, user_id: int, now: datetime) -> bool:
    """Whether the session `key` of `user_id` exists, has not ended and has not expired."""
    row = session.get(ConsoleSession, key)
    return row is not None and row.user_id == user_id and row.ended_at is None and now < row.expires_at


def end_session(session: Session, *, key: str, reason: str, now: datetime) -> bool:
    """End one session (the caller commits); False when it was not live."""
    row = session.get(ConsoleSession, key)
    if row is None or row.ended_at is not None:
        return False
    row.ended_at, row.end_reason = now, reason
    return True


def end_all(session: Session, *, user_id: int, reason: str, now: datetime) -> int:
    """End every live session of an account (the caller commits); returns how many."""
    result = session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.user_id == user_id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def prune(sessions: Callable[[], Session], *, expired_before: datetime) -> int:
    """Forget sessions that expired before `expired_before` (ended ones too); returns how many."""
    with sessions() as session:
        result = session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < expired_before))
        session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
