"""Console sessions (signed cookies, CSRF) and accounts (scrypt, validation, sign-in, session versions)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from access.grants import Grants, SiteRole
from access.roles import Permission, Role
from console.orm import ConsoleUser
from console.sessions import SessionClaims, SessionSigner, csrf_matches, new_pre_session
from console.users import (
    StaffMember,
    UserError,
    create_user,
    current_member,
    hash_password,
    password_matches,
    set_active,
    set_password,
    sign_in,
)
from workorders.links import OrderLinkSigner

SECRET = "console-session-test-secret-0123456789"
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
TTL = timedelta(hours=12)
PASSWORD = "correct horse battery"


# --- sessions -----------------------------------------------------------------------------------------------


def test_a_cookie_reads_back_as_its_claims_until_it_expires() -> None:
    signer = SessionSigner(SECRET, ttl=TTL)
    cookie = signer.issue(user_id=7, session_version=3, now=NOW)

    claims = signer.read(cookie, now=NOW + TTL - timedelta(seconds=1))

    assert claims is not None
    assert (claims.user_id, claims.session_version, claims.expires_at) == (7, 3, NOW + TTL)
    assert signer.read(cookie, now=NOW + TTL) is None
    assert signer.read(cookie, now=NOW + timedelta(days=3)) is None


def test_a_changed_cookie_reads_as_nothing() -> None:
    signer = SessionSigner(SECRET)
    cookie = signer.issue(user_id=7, session_version=3, now=NOW)
    payload, signature = cookie.split(".")

    flipped = [
        payload[:5] + ("A" if payload[5] != "A" else "B") + payload[6:] + "." + signature,
        payload + "." + signature[:3] + ("A" if signature[3] != "A" else "B") + signature[4:],
        payload + "." + signature[::-1],
        payload,
        "",
        "not a cookie",
    ]
    assert [signer.read(value, now=NOW) for value in flipped] == [None] * len(flipped)
    assert signer.read(None, now=NOW) is None


def test_a_cookie_from_another_secret_or_an_order_link_is_not_a_session() -> None:
    signer = SessionSigner(SECRET)
    foreign = SessionSigner("another-secret-0123456789abcdef").issue(user_id=7, session_version=3, now=NOW)
    link = OrderLinkSigner(SECRET).issue(
        order_id=uuid.UUID(int=1), member_id="wang", member_name="王师傅", team="t", now=NOW
    )
    assert signer.read(foreign, now=NOW) is None
    assert signer.read(link, now=NOW) is None


def test_the_csrf_token_is_stable_per_cookie_and_differs_between_cookies() -> None:
    signer = SessionSigner(SECRET)
    first = signer.issue(user_id=7, session_version=3, now=NOW)
    second = signer.issue(user_id=7, session_version=3, now=NOW)

    early, late, other = (
        signer.read(first, now=NOW),
        signer.read(first, now=NOW + timedelta(hours=1)),
        signer.read(second, now=NOW),
    )

    assert early is not None and late is not None and other is not None
    assert early.csrf == late.csrf
    assert early.csrf != other.csrf
    assert len(early.csrf) == 32


def test_csrf_matches_only_the_sessions_own_token() -> None:
    claims = SessionClaims(7, 3, NOW + TTL, "a" * 32)
    assert csrf_matches(claims.csrf, "a" * 32)
    assert not csrf_matches(claims.csrf, "b" * 32)
    assert not csrf_matches(claims.csrf, "a" * 31)
    assert not csrf_matches(claims.csrf, "")
    assert not csrf_matches(claims.csrf, None)


def test_each_cookie_names_its_own_server_side_session_by_a_hash_of_its_nonce() -> None:
    signer = SessionSigner(SECRET)
    first, second = (signer.read(signer.issue(user_id=7, session_version=3, now=NOW), now=NOW) for _ in range(2))
    assert first is not None and second is not None
    assert first.session_key != second.session_key
    assert len(first.session_key) == 64 and int(first.session_key, 16) >= 0  # SHA-256 hex
    assert first.session_key != first.csrf


def test_the_sign_in_forms_token_is_bound_to_its_cookie_and_secret() -> None:
    signer, other = SessionSigner(SECRET), SessionSigner("another-secret-0123456789abcdef")
    token = signer.login_token("pre-session-a")
    assert len(token) == 32 and token == signer.login_token("pre-session-a")
    assert token != signer.login_token("pre-session-b")
    assert token != other.login_token("pre-session-a")
    assert new_pre_session() != new_pre_session()


# --- passwords ----------------------------------------------------------------------------------------------


def test_a_password_hash_matches_its_password_only() -> None:
    stored = hash_password(PASSWORD)

    assert stored.startswith("scrypt$16384$8$1$")
    assert PASSWORD not in stored
    assert password_matches(PASSWORD, stored)
    assert not password_matches(PASSWORD + " ", stored)
    assert not password_matches("Correct horse battery", stored)
    assert not password_matches("", stored)
    assert hash_password(PASSWORD) != stored  # a fresh salt each time


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain-text-password",
        "scrypt$16384$8$1$salt",  # a field missing
        "scrypt$many$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",  # n not a number
        "scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  # n not a power of 2
        "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$A",  # digest not base64
        "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$",  # empty digest
        "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA$extra",
    ],
    ids=["empty", "plain", "short", "n-word", "n-not-power", "digest-not-b64", "digest-empty", "extra-field"],
)
def test_a_malformed_stored_hash_matches_nothing(stored: str) -> None:
    assert password_matches(PASSWORD, stored) is False


def test_a_hash_of_another_scheme_matches_nothing() -> None:
    _, n, r, p, salt, digest = hash_password(PASSWORD).split("$")
    assert password_matches(PASSWORD, "$".join(["bcrypt", n, r, p, salt, digest])) is False


# --- accounts -----------------------------------------------------------------------------------------------


@pytest.fixture
def sessions(sqlite_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    return sqlite_sessions


def add(
    sessions: sessionmaker[Session],
    username: str = "wang",
    *,
    role: str = "crew",
    password: str = PASSWORD,
    display_name: str = "王师傅",
    team: str | None = "elevator-crew",
) -> StaffMember:
    with sessions() as session:
        member = create_user(
            session, username=username, display_name=display_name, role=role, password=password, team=team, now=NOW
        )
        session.commit()
    return member


def count_users(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(ConsoleUser)) or 0)


def test_a_new_account_is_stored_with_a_hash_and_version_one(sessions: sessionmaker[Session]) -> None:
    member = add(sessions, " Wang ", display_name=" 王师傅 ")

    every_site = Grants({"*": SiteRole(Role.CREW, "elevator-crew")})  # no site named: every site
    assert member == StaffMember(member.user_id, "wang", "王师傅", Role.CREW, "elevator-crew", 1, "*", every_site)
    assert member.actor == "王师傅 (wang)"
    assert member.may(Permission.TRANSITION_WORK_ORDERS) and not member.may(Permission.CREATE_WORK_ORDERS)
    with sessions() as session:
        row = session.get_one(ConsoleUser, member.user_id)
        assert (row.active, row.created_at, row.team) == (True, NOW, "elevator-crew")
        assert password_matches(PASSWORD, row.password_hash) and PASSWORD not in row.password_hash


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"username": ""}, "username ''"),
        ({"username": "x"}, "username 'x'"),
        ({"username": "li na"}, "username 'li na'"),
        ({"username": "-lina"}, "username '-lina'"),
        ({"username": "王师傅"}, "username '王师傅'"),
        ({"username": "a" * 65}, "username 'aaaa"),
        ({"password": "nine char"}, "at least 10 characters"),
        ({"password": ""}, "at least 10 characters"),
        ({"role": "fee_module"}, "role 'fee_module': choose one of admin, staff, crew"),
        ({"role": "root"}, "role 'root'"),
        ({"role": "Crew"}, "role 'Crew'"),
        ({"display_name": "  "}, "display name must not be empty"),
    ],
    ids=[
        "empty-username", "one-letter", "space", "leading-dash", "non-ascii", "too-long", "short-password",
        "no-password", "fee-module", "unknown-role", "role-case", "blank-name",
    ],
)  # fmt: skip
def test_bad_account_details_are_refused_and_nothing_is_stored(
    sessions: sessionmaker[Session], changes: dict[str, str], message: str
) -> None:
    details = {"username": "lina", "display_name": "李娜", "role": "staff", "password": PASSWORD} | changes
    with sessions() as session, pytest.raises(UserError) as refused:
        create_user(session, **details, team=None, now=NOW)
    assert message in str(refused.value)
    assert count_users(sessions) == 0


def test_the_shortest_allowed_username_and_password_are_accepted(sessions: sessionmaker[Session]) -> None:
    assert add(sessions, "li", password="ten chars!", role="admin", team=None).role is Role.ADMIN


@pytest.mark.parametrize("again", ["wang", "WANG", " wang "])
def test_a_taken_username_is_refused(sessions: sessionmaker[Session], again: str) -> None:
    add(sessions)
    with pytest.raises(UserError, match="username 'wang' is taken"):
        add(sessions, again, display_name="另一个王师傅")
    assert count_users(sessions) == 1


def test_sign_in_needs_the_right_password_of_an_active_account(sessions: sessionmaker[Session]) -> None:
    member = add(sessions)
    with sessions() as session:
        assert sign_in(session, "wang", PASSWORD) == member
        assert sign_in(session, " WANG ", PASSWORD) == member
        assert sign_in(session, "wang", PASSWORD.upper()) is None
        assert sign_in(session, "wang", "") is None
        assert sign_in(session, "nobody", PASSWORD) is None
    with sessions() as session:
        set_active(session, "wang", False)
        session.commit()
    with sessions() as session:
        assert sign_in(session, "wang", PASSWORD) is None


def test_a_new_password_ends_the_sessions_signed_in_with_the_old_one(sessions: sessionmaker[Session]) -> None:
    member = add(sessions)
    with sessions() as session:
        set_password(session, "wang", "a brand new password")
        session.commit()
    with sessions() as session:
        assert current_member(session, member.user_id, 1) is None
        renewed = current_member(session, member.user_id, 2)
        assert renewed is not None and renewed.session_version == 2
        assert sign_in(session, "wang", PASSWORD) is None
        assert sign_in(session, "wang", "a brand new password") == renewed


def test_a_short_new_password_is_refused_and_the_old_one_still_works(sessions: sessionmaker[Session]) -> None:
    member = add(sessions)
    with sessions() as session:
        with pytest.raises(UserError, match="at least 10"):
            set_password(session, "wang", "short")
        session.commit()
    with sessions() as session:
        assert current_member(session, member.user_id, 1) == member
        assert sign_in(session, "wang", PASSWORD) == member


def test_disabling_ends_sessions_at_once_and_enabling_needs_a_new_sign_in(sessions: sessionmaker[Session]) -> None:
    member = add(sessions)
    with sessions() as session:
        set_active(session, "wang", False)
        session.commit()
    with sessions() as session:
        assert current_member(session, member.user_id, 1) is None
        assert current_member(session, member.user_id, 2) is None  # disabled: no version works
        set_active(session, "wang", True)
        session.commit()
    with sessions() as session:
        assert current_member(session, member.user_id, 2) is None  # the cookie from before the disable
        enabled = current_member(session, member.user_id, 3)
        assert enabled is not None and enabled.session_version == 3


def test_changing_an_unknown_account_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        with pytest.raises(UserError, match="no console user 'ghost'"):
            set_password(session, "ghost", "a brand new password")
        with pytest.raises(UserError, match="no console user 'ghost'"):
            set_active(session, "ghost", False)
        assert current_member(session, 999, 1) is None
