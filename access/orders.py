"""Whose work order is it: the one check, for the API and the console, of what a person may do to one order.

A role's permissions (`access.roles`) say what kinds of thing it may do. For the permissions a role holds for
its own orders only (crew: the field work and notes), the order must also be theirs:

- **assigned**: its assignee names them (`王师傅 (wang)`, `wang`, an API key's name), or they hold an alert's
  link to this very order (the hub sent it to them);
- **own team**: their team is the order's team: the team it was dispatched to, else the teams the alerts
  routing sends orders of its category and priority to;
- **unclaimed**: it has no team (not dispatched, no routing) and nobody took it yet: the first to
  acknowledge it becomes its assignee.

Anything else is another team's or another person's order (**other**). A crew key or account without a team
works what it was assigned and unclaimed orders only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from access.roles import LINK_PERMISSIONS, OWN_ORDERS_ONLY, ROLE_PERMISSIONS, Permission, Role
from workorders.lifecycle import Status
from workorders.values import Category, Priority

# A team's id as the alerts file spells it (`[teams.elevator-crew]`), for keys and accounts that name one.
TEAM_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
# The teams orders of a category and priority go to when nobody dispatched them (`alerts.routing.Routing.rule`).
TeamsFor = Callable[[Category, Priority], Iterable[str]]

# The permission each move of the lifecycle needs.
MOVE_PERMISSIONS: dict[Status, Permission] = {
    Status.ACKNOWLEDGED: Permission.TRANSITION_WORK_ORDERS,
    Status.ON_SITE: Permission.TRANSITION_WORK_ORDERS,
    Status.RESOLVED: Permission.TRANSITION_WORK_ORDERS,
    Status.CLOSED: Permission.CLOSE_WORK_ORDERS,
    Status.CANCELLED: Permission.CANCEL_WORK_ORDERS,
}


class Relation(StrEnum):
    ASSIGNED = "assigned"
    OWN_TEAM = "own_team"
    UNCLAIMED = "unclaimed"
    OTHER = "other"


OWN_RELATIONS = frozenset({Relation.ASSIGNED, Relation.OWN_TEAM, Relation.UNCLAIMED})


class AccessDenied(PermissionError):
    """The actor may not do this (to this order); the message says why, for a 403 or the console's page."""


class OrderFacts(Protocol):
    """What ownership is decided on: a `WorkOrder` or a list's `WorkOrderSummary`."""

    @property
    def id(self) -> UUID: ...
    @property
    def code(self) -> str: ...
    @property
    def team(self) -> str | None: ...
    @property
    def assignee(self) -> str | None: ...
    @property
    def category(self) -> Category: ...
    @property
    def priority(self) -> Priority: ...


@dataclass(frozen=True)
class Actor:
    """Who is acting: an API key, a console account, or the holder of an alert's link to one order."""

    role: Role
    names: frozenset[str] = frozenset()  # how an order's assignee may name them
    team: str | None = None
    link_to: UUID | None = None  # a link holder: this order only, with LINK_PERMISSIONS

    def may(self, permission: Permission) -> bool:
        """Whether the role (or the link) grants `permission` at all, on some order."""
        if self.link_to is not None:
            return permission in LINK_PERMISSIONS
        return permission in ROLE_PERMISSIONS[self.role]

    def is_named(self, assignee: str | None) -> bool:
        return assignee is not None and assignee in self.names


def order_teams(order: OrderFacts, teams_for: TeamsFor | None) -> frozenset[str]:
    """The teams an order is for: the one it was dispatched to, else those the alerts routing sends it to."""
    if order.team:
        return frozenset({order.team})
    return frozenset(teams_for(order.category, order.priority)) if teams_for is not None else frozenset()


def relation(actor: Actor, order: OrderFacts, teams_for: TeamsFor | None) -> Relation:
    """How `order` stands to `actor` (see the module's docstring)."""
    if actor.link_to is not None:
        return Relation.ASSIGNED if actor.link_to == order.id else Relation.OTHER
    if actor.is_named(order.assignee):
        return Relation.ASSIGNED
    teams = order_teams(order, teams_for)
    if actor.team is not None and actor.team in teams:
        return Relation.OWN_TEAM
    if not teams and order.assignee is None:
        return Relation.UNCLAIMED
    return Relation.OTHER


def refusal(actor: Actor, permission: Permission, order: OrderFacts, teams_for: TeamsFor | None) -> str | None:
    """Why `actor` may not use `permission` on `order`, or None when they may."""
    if not actor.may(permission):
        if actor.link_to is not None:
            return f"an alert's link does not allow '{permission}'; sign in"
        return f"Role '{actor.role}' lacks the permission '{permission}'"
    if actor.link_to is not None and actor.link_to != order.id:
        return f"this link is for another work order, not {order.code}"
    if permission not in OWN_ORDERS_ONLY[actor.role] or actor.link_to is not None:
        return None
    if relation(actor, order, teams_for) in OWN_RELATIONS:
        return None
    teams = ", ".join(sorted(order_teams(order, teams_for))) or "no team"
    whose = f"team {teams}" + (f", assigned to {order.assignee}" if order.assignee else "")
    mine = f"team {actor.team}" if actor.team else "no team"
    return (
        f"work order {order.code} belongs to {whose}; role '{actor.role}' ({mine}) may use '{permission}' "
        "only on orders of its own team, assigned to it, or not yet taken"
    )


def check(actor: Actor, permission: Permission, order: OrderFacts, teams_for: TeamsFor | None) -> None:
    """Raise `AccessDenied` unless `actor` may use `permission` on `order`."""
    reason = refusal(actor, permission, order, teams_for)
    if reason is not None:
        raise AccessDenied(reason)


def guard(actor: Actor, permission: Permission, teams_for: TeamsFor | None) -> Callable[[OrderFacts], None]:
    """`check` as a work-order service's `guard`: it runs on the order as loaded inside the command's transaction,
    so a dispatch to another team a moment before is seen."""
    return lambda order: check(actor, permission, order, teams_for)
