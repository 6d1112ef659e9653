"""Console accounts: scrypt-hashed passwords, creation, sign-in checks and disabling.

A person signs in with a username and password (a phone cannot paste a 47-character API key); their role is
one of the API's roles, so the console and the API grant the same things through `access.roles`. The role is
held per site (`access.grants`): a console signs people in for its site only, with their role there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access import audit
from access.audit import SignInEvent
from access.grant_store import grant, grant_sites, grants_of, grants_of_all, revoke
from access.grants import ALL_SITES, GrantError, Grants, Principal, SiteRole, checked_grant, checked_site
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


class NoRoleOnSite(UserError):
    """The right password, but the account holds no role on the site this console serves."""

    def __init__(self, username: str, site_id: str, grants: Grants) -> None:
        super().__init__(f"console user {username!r} has no role on site {site_id!r} (holds {grants.describe()})")
        self.username, self.site_id, self.grants = username, site_id, grants


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A signed-in person as the pages see them."""

    user_id: int
    username: str
    display_name: str
    role: Role
    team: str | None
    session_version: int
    site: str = ALL_SITES  # the site whose role this is
    grants: Grants = field(default_factory=Grants)  # every site's role: the company page shows those it may

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
    session: Session,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    team: str | None,
    now: datetime,
    sites: Iterable[str] = (),
) -> StaffMember:
    """Add an account with `role` on each of `sites` (none: every site); `UserError` names what is wrong (taken
    username, short password, unknown role, bad site id). The member returned is as on the first site named."""
    username = username.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise UserError(f"username {username!r}: use 2-64 of a-z, 0-9, '.', '_' and '-', starting with a letter/digit")
    if role not in CONSOLE_ROLES:
        raise UserError(f"role {role!r}: choose one of {', '.join(CONSOLE_ROLES)}")
    try:
        site_ids = [checked_site(site) for site in sites]
    except GrantError as exc:
        raise UserError(str(exc)) from None
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
    grant_sites(session, Principal.USER, row.id, site_ids, SiteRole(Role(role), team or None), now=now)
    first = site_ids[0] if site_ids else ALL_SITES
    grants = grants_of(session, Principal.USER, row.id)
    return StaffMember(row.id, row.username, row.display_name, Role(role), team or None, 1, first, grants)


def grant_user(session: Session, username: str, *, site_id: str, role: str, team: str | None, now: datetime) -> Grants:
    """Give the account `role` (and crew `team`) on `site_id`, replacing its role there; in the caller's
    transaction. `*` is every site without a grant of its own. Answers the account's grants afterwards."""
    try:
        held = checked_grant(role, team, allowed=[Role(name) for name in CONSOLE_ROLES])
        row = _existing(session, username)
        grant(session, Principal.USER, row.id, site_id, held, now=now)
    except GrantError as exc:
        raise UserError(str(exc)) from None
    return grants_of(session, Principal.USER, row.id)


def revoke_user(session: Session, username: str, *, site_id: str) -> Grants:
    """Take the account's role on `site_id` away (its sessions there stop at their next page); `UserError` when it
    held none there. Answers the account's grants afterwards."""
    row = _existing(session, username)
    try:
        removed = revoke(session, Principal.USER, row.id, site_id)
    except GrantError as exc:
        raise UserError(str(exc)) from None
    grants = grants_of(session, Principal.USER, row.id)
    if not removed:
        raise UserError(f"console user {row.username!r} holds no grant on {site_id!r} (holds {grants.describe()})")
    return grants


def users_with_grants(session: Session) -> list[tuple[ConsoleUser, Grants]]:
    """Every account, by username, with its roles per site."""
    grants = grants_of_all(session, Principal.USER)
    return [(row, grants.get(row.id, Grants())) for row in list_users(session)]


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


def sign_in(session: Session, username: str, password: str, *, site_id: str = ALL_SITES) -> StaffMember | None:
    """The member, with their role on `site_id`, for a correct username and password of an active account, else
    None; `NoRoleOnSite` when the account holds no role there (`*`: the all-sites role)."""
    row = session.scalars(select(ConsoleUser).where(ConsoleUser.username == username.strip().lower())).one_or_none()
    matches = password_matches(password, row.password_hash if row is not None else _DUMMY_HASH)
    if row is None or not matches or not row.active:
        return None
    grants = grants_of(session, Principal.USER, row.id)
    member = member_of(row, grants, site_id)
    if member is None:
        raise NoRoleOnSite(row.username, site_id, grants)
    return member


def current_member(
    session: Session, user_id: int, session_version: int, *, site_id: str = ALL_SITES
) -> StaffMember | None:
    """The member a session cookie names, with their role on `site_id`, if the account is active, the cookie not
    outdated and the account still holds a role there (a revoked grant ends the session's use at once)."""
    row = session.get(ConsoleUser, user_id)
    if row is None or not row.active or row.session_version != session_version:
        return None
    return member_of(row, grants_of(session, Principal.USER, row.id), site_id)


def list_users(session: Session) -> list[ConsoleUser]:
    return list(session.scalars(select(ConsoleUser).order_by(ConsoleUser.username)))


def member_of(row: ConsoleUser, grants: Grants, site_id: str) -> StaffMember | None:
    """The account as it acts on `site_id`, or None when it holds no role there."""
    held = grants.at(site_id)
    if held is None:
        return None
    version = row.session_version
    return StaffMember(row.id, row.username, row.display_name, held.role, held.team, version, site_id, grants)


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
