"""Console accounts: scrypt-hashed passwords, creation, sign-in checks and disabling.

A person signs in with a username and password (a phone cannot paste a 47-character API key); their role is
one of the API's roles, so the console and the API grant the same things through `access.roles`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access import audit
from access.audit import SignInEvent
from access.roles import ROLE_PERMISSIONS, Permission, Role
from console.orm import CONSOLE_ROLES, ConsoleUser
from console.session_store import DISABLED, PASSWORD_CHANGED, end_all

# scrypt at n=2**14, r=8, p=1 costs ~16 MiB and ~50 ms: slow for a guesser, fine for one sign-in.
_N, _R, _P = 2**14, 8, 1
MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# Compared against when the username is unknown, so timing does not tell which usernames exist.
_DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 44


class UserError(ValueError):
    """Bad input for an account (the CLI prints it; nothing is changed)."""


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A signed-in person as the pages see them."""

    user_id: int
    username: str
    display_name: str
    role: Role
    team: str | None
    session_version: int

    @property
    def actor(self) -> str:
        """How the audit log names them: display name and username."""
        return f"{self.display_name} ({self.username})"

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(actual, expected)


def create_user(
    session: Session, *, username: str, display_name: str, role: str, password: str, team: str | None, now: datetime
) -> StaffMember:
    """Add an account; `UserError` names what is wrong (taken username, short password, unknown role)."""
    username = username.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise UserError(f"username {username!r}: use 2-64 of a-z, 0-9, '.', '_' and '-', starting with a letter/digit")
    if role not in CONSOLE_ROLES:
        raise UserError(f"role {role!r}: choose one of {', '.join(CONSOLE_ROLES)}")
    if not display_name.strip():
        raise UserError("display name must not be empty")
    _check_password(password)
    row = ConsoleUser(
        username=username,
        display_name=display_name.strip(),
        role=role,
        team=team or None,
        password_hash=hash_password(password),
        session_version=1,
        active=True,
        created_at=now,
    )
    try:
        with session.begin_nested():  # a savepoint: the caller's other changes survive a taken username
            session.add(row)
    except IntegrityError:
        raise UserError(f"username {username!r} is taken") from None
    return member_of(row)


def set_password(session: Session, username: str, password: str, *, now: datetime | None = None) -> None:
    """A new password; sessions signed in with the old one end (in the caller's transaction)."""
    _check_password(password)
    row = _existing(session, username)
    row.password_hash = hash_password(password)
    _end_sessions(session, row, PASSWORD_CHANGED, now)


def set_active(session: Session, username: str, active: bool, *, now: datetime | None = None) -> None:
    """Disable (or enable) an account; disabling ends its sessions at once (in the caller's transaction)."""
    row = _existing(session, username)
    row.active = active
    _end_sessions(session, row, DISABLED if not active else "enabled", now)


def _end_sessions(session: Session, row: ConsoleUser, reason: str, now: datetime | None) -> None:
    """End every session of the account, server-side and by version (cookies carry it), and log it."""
    now = now or datetime.now(UTC)  # the command line's time; pages pass the hub's clock
    row.session_version += 1
    ended = end_all(session, user_id=row.id, reason=reason, now=now)
    audit.add(
        session, event=SignInEvent.SESSIONS_ENDED, username=row.username, user_id=row.id, client="local", at=now,
        detail=f"{reason}: {ended} session(s) ended",
    )  # fmt: skip


def sign_in(session: Session, username: str, password: str) -> StaffMember | None:
    """The member for a correct username and password of an active account, else None."""
    row = session.scalars(select(ConsoleUser).where(ConsoleUser.username == username.strip().lower())).one_or_none()
    matches = password_matches(password, row.password_hash if row is not None else _DUMMY_HASH)
    if row is None or not matches or not row.active:
        return None
    return member_of(row)


def current_member(session: Session, user_id: int, session_version: int) -> StaffMember | None:
    """The member a session cookie names, if the account is active and the cookie is not outdated."""
    row = session.get(ConsoleUser, user_id)
    if row is None or not row.active or row.session_version != session_version:
        return None
    return member_of(row)


def list_users(session: Session) -> list[ConsoleUser]:
    return list(session.scalars(select(ConsoleUser).order_by(ConsoleUser.username)))


def member_of(row: ConsoleUser) -> StaffMember:
    return StaffMember(row.id, row.username, row.display_name, Role(row.role), row.team, row.session_version)


def _existing(session: Session, username: str) -> ConsoleUser:
    row = session.scalars(select(ConsoleUser).where(ConsoleUser.username == username.strip().lower())).one_or_none()
    if row is None:
        raise UserError(f"no console user {username!r}")
    return row


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password must be at least {MIN_PASSWORD} characters")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
