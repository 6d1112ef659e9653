"""Signed, expiring links that let one named person act on one work order, sent inside every alert.

A technician on a ladder taps the link in the alert instead of signing in. The token names the order, the
person (alerts member id and name) and the team, and when it stops working; it is signed with the hub's
secret (itsdangerous, HMAC-SHA256), so changing any byte of it, using it on another order or after its
expiry is refused. Expiry is checked against the injected clock, not the wall clock.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "facilities.work-order-link.v1"  # keeps these tokens apart from anything else signed with the secret


class LinkProblem(StrEnum):
    TAMPERED = "tampered"  # not signed by us (or not a token at all)
    EXPIRED = "expired"
    OTHER_ORDER = "other_order"  # a real link, but to a different work order


class LinkRefused(Exception):
    """The link does not grant access; `problem` says why, for the page and the log."""

    def __init__(self, problem: LinkProblem, detail: str) -> None:
        super().__init__(detail)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class LinkGrant:
    """What a valid link allows: `member` may act on `order_id` until `expires_at`."""

    order_id: UUID
    member_id: str
    member_name: str
    team: str
    expires_at: datetime

    @property
    def actor(self) -> str:
        """How the audit log names the person: their name and their alerts member id."""
        return f"{self.member_name} ({self.member_id})"


class OrderLinkSigner:
    """Issues and checks order links with one secret; `ttl` is how long a link works after it is sent."""

    def __init__(self, secret: str, *, ttl: timedelta = timedelta(hours=72)) -> None:
        if len(secret) < 16:
            raise ValueError("the link secret must be at least 16 characters (FACILITIES_CONSOLE_SECRET)")
        if ttl <= timedelta(0):
            raise ValueError("the link lifetime must be positive")
        self._serializer = URLSafeSerializer(secret, salt=_SALT, signer_kwargs={"digest_method": hashlib.sha256})
        self.ttl = ttl

    def issue(self, *, order_id: UUID, member_id: str, member_name: str, team: str, now: datetime) -> str:
        """A URL-safe token for `member` on this order, valid from `now` for `ttl`."""
        expires = int((now + self.ttl).timestamp())
        payload = {"o": order_id.hex, "m": member_id, "n": member_name, "t": team, "x": expires}
        return str(self._serializer.dumps(payload))

    def verify(self, token: str, *, order_id: UUID, now: datetime) -> LinkGrant:
        """The grant the token carries for `order_id`, or `LinkRefused` naming what is wrong."""
        try:
            payload = self._serializer.loads(token)
            grant = LinkGrant(
                order_id=UUID(hex=payload["o"]),
                member_id=str(payload["m"]),
                member_name=str(payload["n"]),
                team=str(payload["t"]),
                expires_at=datetime.fromtimestamp(int(payload["x"]), UTC),
            )
        except (BadSignature, KeyError, TypeError, ValueError):
            raise LinkRefused(LinkProblem.TAMPERED, "this link is not valid: it was changed or is incomplete") from None
        # base64 ignores a last character's unused bits: only the exact token we issued is accepted.
        if not hmac.compare_digest(str(self._serializer.dumps(payload)), token):
            raise LinkRefused(LinkProblem.TAMPERED, "this link is not valid: it was changed or is incomplete")
        if grant.order_id != order_id:
            raise LinkRefused(LinkProblem.OTHER_ORDER, "this link belongs to a different work order")
        if now >= grant.expires_at:
            raise LinkRefused(LinkProblem.EXPIRED, f"this link expired at {grant.expires_at.isoformat()}")
        return grant
