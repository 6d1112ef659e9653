"""Order links: a fresh one grants what it names; a changed, foreign, misused or expired one is refused."""

from __future__ import annotations

import base64
import string
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeSerializer

from console.sessions import SessionSigner
from workorders.links import LinkGrant, LinkProblem, LinkRefused, OrderLinkSigner

SECRET = "order-link-test-secret-0123456789"
SALT = "facilities.work-order-link.v1"  # the token format's version, as links already sent carry it
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
TTL = timedelta(hours=72)
ORDER = uuid.UUID("6f1c1f5e-8a7b-4c1d-9e2f-0a1b2c3d4e5f")
OTHER = uuid.UUID("0d7e3b2a-1c4f-4a5e-8b6d-9f0e1d2c3b4a")
ALPHABET = string.ascii_letters + string.digits + "-_"  # URL-safe base64, what the token is written in


def signer(secret: str = SECRET) -> OrderLinkSigner:
    return OrderLinkSigner(secret, ttl=TTL)


def wangs_token(*, order_id: uuid.UUID = ORDER, now: datetime = NOW) -> str:
    return signer().issue(order_id=order_id, member_id="wang", member_name="王师傅", team="elevator-crew", now=now)


def problem(token: str, *, order_id: uuid.UUID = ORDER, now: datetime = NOW) -> LinkProblem:
    with pytest.raises(LinkRefused) as refused:
        signer().verify(token, order_id=order_id, now=now)
    return refused.value.problem


def test_a_fresh_link_grants_its_member_the_order_until_it_expires() -> None:
    token = wangs_token()

    grant = signer().verify(token, order_id=ORDER, now=NOW)

    assert grant == LinkGrant(ORDER, "wang", "王师傅", "elevator-crew", datetime(2026, 11, 29, 8, 0, tzinfo=UTC))
    assert grant.actor == "王师傅 (wang)"
    assert set(token) <= set(ALPHABET + ".")  # fits in a URL query without escaping


def test_one_changed_character_anywhere_is_refused() -> None:
    token = wangs_token()
    accepted = []
    for position in range(len(token)):  # the payload, the separator and the signature, up to its last character
        for replacement in ALPHABET + ".":
            if replacement == token[position]:
                continue
            changed = token[:position] + replacement + token[position + 1 :]
            try:
                signer().verify(changed, order_id=ORDER, now=NOW)
                accepted.append(changed)
            except LinkRefused as refused:
                assert refused.problem is LinkProblem.TAMPERED, changed
    assert accepted == []


def test_the_signature_is_hmac_sha256() -> None:
    signature = wangs_token().rsplit(".", 1)[1]
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    assert len(raw) == 32


def test_a_link_signed_with_another_secret_is_refused() -> None:
    forged = signer("someone-elses-secret-0123456789").issue(
        order_id=ORDER, member_id="wang", member_name="王师傅", team="elevator-crew", now=NOW
    )
    assert problem(forged) is LinkProblem.TAMPERED


def test_a_session_cookie_signed_with_the_same_secret_is_not_a_link() -> None:
    cookie = SessionSigner(SECRET).issue(user_id=1, session_version=1, now=NOW)
    assert problem(cookie) is LinkProblem.TAMPERED


@pytest.mark.parametrize(
    "token",
    ["", ".", "garbage", "eyJvIjoiYSJ9", "a.b.c", "王师傅", "%00", " " + "x" * 200],
    ids=["empty", "dot", "word", "payload-only", "three-parts", "non-ascii", "escaped-nul", "long"],
)
def test_garbage_is_refused_as_tampered(token: str) -> None:
    assert problem(token) is LinkProblem.TAMPERED


@pytest.mark.parametrize(
    "payload",
    [
        {"m": "wang", "n": "王师傅", "t": "elevator-crew", "x": 1795939200},  # no order
        {"o": "not-hex", "m": "wang", "n": "王师傅", "t": "elevator-crew", "x": 1795939200},
        {"o": ORDER.hex, "m": "wang", "n": "王师傅", "t": "elevator-crew", "x": "soon"},
        ["not", "a", "mapping"],
    ],
    ids=["missing-order", "bad-order-id", "bad-expiry", "a-list"],
)
def test_a_genuinely_signed_but_malformed_payload_is_refused(payload: object) -> None:
    token = URLSafeSerializer(SECRET, salt=SALT).dumps(payload)
    assert problem(str(token)) is LinkProblem.TAMPERED


def test_a_link_used_for_another_order_is_refused() -> None:
    assert problem(wangs_token(), order_id=OTHER) is LinkProblem.OTHER_ORDER


def test_the_link_works_until_one_second_before_its_expiry() -> None:
    token = wangs_token()
    last_good = NOW + TTL - timedelta(seconds=1)

    assert signer().verify(token, order_id=ORDER, now=last_good).member_id == "wang"
    assert problem(token, now=NOW + TTL) is LinkProblem.EXPIRED
    assert problem(token, now=NOW + TTL + timedelta(days=30)) is LinkProblem.EXPIRED


def test_the_refusal_says_when_the_link_expired() -> None:
    with pytest.raises(LinkRefused, match=r"expired at 2026-11-29T08:00:00\+00:00"):
        signer().verify(wangs_token(), order_id=ORDER, now=NOW + TTL)


def test_expiry_counts_from_when_the_link_was_issued() -> None:
    later = NOW + timedelta(hours=10)
    token = wangs_token(now=later)

    assert signer().verify(token, order_id=ORDER, now=NOW + TTL).expires_at == later + TTL
    assert problem(token, now=later + TTL) is LinkProblem.EXPIRED


def test_an_expired_link_to_another_order_names_the_other_order() -> None:
    assert problem(wangs_token(), order_id=OTHER, now=NOW + TTL) is LinkProblem.OTHER_ORDER


@pytest.mark.parametrize("secret", ["", "short", "x" * 15])
def test_a_short_secret_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="at least 16 characters"):
        OrderLinkSigner(secret)


def test_a_secret_of_sixteen_characters_is_enough() -> None:
    assert OrderLinkSigner("x" * 16).ttl == timedelta(hours=72)


@pytest.mark.parametrize("ttl", [timedelta(0), timedelta(seconds=-1), timedelta(hours=-72)])
def test_a_lifetime_that_is_not_positive_is_refused(ttl: timedelta) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        OrderLinkSigner(SECRET, ttl=ttl)
