"""Who is looking at a console page: a signed-in staff member, or the holder of an alert's link to one order.

What they may do is decided by `access` (shared with the JSON API): the role's permissions, and for crew the
order must be their own (their team's, assigned to them, or not yet taken). A link holder may read that one
order, take it, say they are on site, resolve it and add notes; cancelling, closing, the follow-up call and
every other page need a sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from access.orders import MOVE_PERMISSIONS, Actor, OrderFacts, TeamsFor, refusal
from access.roles import Permission, Role
from alerts.routing import Routing
from console.sessions import SessionSigner
from console.throttle import SignInThrottle
from console.users import StaffMember
from maintenance.runtime import MaintenanceRuntime
from patrols.config import EMPTY, PatrolBook
from storage.photos import PhotoStore
from workorders.lifecycle import Status
from workorders.links import LinkGrant, OrderLinkSigner
from workorders.sla import DEFAULT_SLA, SlaTable


@dataclass(frozen=True)
class ConsoleConfig:
    """What the console needs beyond the API's dependencies; built by the composition root."""

    links: OrderLinkSigner
    sessions: SessionSigner
    routing: Routing | None = None  # which team an order belongs to when nobody assigned one
    secure_cookies: bool = False  # set behind HTTPS: the cookie then never travels in clear
    sla: SlaTable = DEFAULT_SLA
    throttle: SignInThrottle = field(default_factory=SignInThrottle)
    maintenance: MaintenanceRuntime | None = None  # planned maintenance pages; None: not configured (404)
    patrols: PatrolBook = EMPTY  # the site's patrol routes (巡检), from the patrols file
    photos: PhotoStore | None = None  # photos taken on the phone (patrol findings); None: uploads refused

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

    @property
    def teams_for(self) -> TeamsFor | None:
        """The teams an undispatched order belongs to, from the alerts routing (as the API's `order_teams`)."""
        return self.routing.teams_for if self.routing is not None else None


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

    @property
    def identity(self) -> Actor | None:
        """The viewer as `access.orders` sees them; None for nobody."""
        if self.staff is not None:
            member = self.staff
            return Actor(role=member.role, names=frozenset({member.actor, member.username}), team=member.team)
        if self.grant is not None:
            grant = self.grant
            names = frozenset({grant.actor, grant.member_id})
            return Actor(role=Role.CREW, names=names, team=grant.team or None, link_to=grant.order_id)
        return None

    def may(self, permission: Permission) -> bool:
        """Whether the role (or the link) grants `permission` at all."""
        identity = self.identity
        return identity is not None and identity.may(permission)

    def may_on(self, permission: Permission, order: OrderFacts, teams_for: TeamsFor | None) -> bool:
        """Whether they may use `permission` on this order (for crew: only their own orders)."""
        identity = self.identity
        return identity is not None and refusal(identity, permission, order, teams_for) is None

    def may_move(self, to: Status, order: OrderFacts, teams_for: TeamsFor | None) -> bool:
        return self.may_on(MOVE_PERMISSIONS[to], order, teams_for)
