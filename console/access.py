"""Who is looking at a console page: a signed-in staff member, or the holder of an alert's link to one order.

A link holder may read that one order, take it, say they are on site, resolve it and add notes; cancelling,
closing, the follow-up call and every other page need a sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from alerts.routing import Routing
from api.permissions import Permission
from console.sessions import SessionSigner
from console.throttle import SignInThrottle
from console.users import StaffMember
from workorders.lifecycle import Status
from workorders.links import LinkGrant, OrderLinkSigner
from workorders.sla import DEFAULT_SLA, SlaTable

LINK_MOVES = frozenset({Status.ACKNOWLEDGED, Status.ON_SITE, Status.RESOLVED})
LINK_PERMISSIONS = frozenset(
    {Permission.READ_WORK_ORDERS, Permission.TRANSITION_WORK_ORDERS, Permission.COMMENT_WORK_ORDERS}
)


@dataclass(frozen=True)
class ConsoleConfig:
    """What the console needs beyond the API's dependencies; built by the composition root."""

    links: OrderLinkSigner
    sessions: SessionSigner
    routing: Routing | None = None  # which team an order belongs to when nobody assigned one
    secure_cookies: bool = False  # set behind HTTPS: the cookie then never travels in clear
    sla: SlaTable = DEFAULT_SLA
    throttle: SignInThrottle = field(default_factory=SignInThrottle)

    @classmethod
    def from_secret(
        cls,
        secret: str,
        *,
        link_ttl: timedelta = timedelta(hours=72),
        session_ttl: timedelta = timedelta(hours=12),
        routing: Routing | None = None,
        secure_cookies: bool = False,
    ) -> ConsoleConfig:
        return cls(
            links=OrderLinkSigner(secret, ttl=link_ttl),
            sessions=SessionSigner(secret, ttl=session_ttl),
            routing=routing,
            secure_cookies=secure_cookies,
        )


@dataclass(frozen=True)
class Viewer:
    """The person behind a request: `staff` when signed in, `grant` (with its `token`) when from a link."""

    staff: StaffMember | None = None
    grant: LinkGrant | None = None
    token: str | None = None
    csrf: str | None = None

    @property
    def actor(self) -> str:
        if self.staff is not None:
            return self.staff.actor
        if self.grant is not None:
            return self.grant.actor
        raise ValueError("an anonymous viewer cannot act")

    @property
    def name(self) -> str:
        if self.staff is not None:
            return self.staff.display_name
        return self.grant.member_name if self.grant is not None else ""

    def may(self, permission: Permission) -> bool:
        if self.staff is not None:
            return self.staff.may(permission)
        return self.grant is not None and permission in LINK_PERMISSIONS

    def may_move(self, to: Status) -> bool:
        if not self.may(Permission.TRANSITION_WORK_ORDERS):
            return False
        return self.staff is not None or to in LINK_MOVES
