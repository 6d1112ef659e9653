"""Forms submitted once: every rendered form carries a nonce, and a second POST with it repeats nothing.

A double tap on a phone, a resubmitted page after a flaky connection: the first POST does the work and
records where it led; any later POST with the same nonce is sent to the same place.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.orm import ConsoleSubmission

_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def valid_nonce(nonce: str | None) -> bool:
    return nonce is not None and _NONCE.fullmatch(nonce) is not None


def claim(sessions: Callable[[], Session], nonce: str, action: str, now: datetime) -> str | None:
    """Record the nonce as taken; None when this is its first use, else where its first use led ("" if running)."""
    with sessions() as session:
        session.add(ConsoleSubmission(nonce=nonce, action=action, redirect_to="", created_at=now))
        try:
            session.commit()
            return None
        except IntegrityError:
            session.rollback()
        earlier = session.get(ConsoleSubmission, nonce)
        return earlier.redirect_to if earlier is not None else ""


def settle(sessions: Callable[[], Session], nonce: str, redirect_to: str) -> None:
    """Where the first use led, for the repeats to follow."""
    with sessions() as session:
        row = session.get(ConsoleSubmission, nonce)
        if row is not None:
            row.redirect_to = redirect_to
            session.commit()


def release(sessions: Callable[[], Session], nonce: str) -> None:
    """The first use failed (bad input, a conflict): let the corrected form be sent again with the same nonce."""
    with sessions() as session:
        row = session.get(ConsoleSubmission, nonce)
        if row is not None:
            session.delete(row)
            session.commit()


def prune(sessions: Callable[[], Session], *, older_than: datetime) -> int:
    """Forget forms handled before `older_than` (a page left open that long is sent as a new form)."""
    with sessions() as session:
        result = session.execute(delete(ConsoleSubmission).where(ConsoleSubmission.created_at < older_than))
        session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
