"""Whose order it is: assigned, own team (dispatched or routed), not taken, another's; and what that allows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest

from access.orders import AccessDenied, Actor, Relation, check, order_teams, refusal, relation
from access.roles import Permission, Role
from workorders.values import Category, Priority

P = Permission


@dataclass(frozen=True)
class Order:
    team: str | None = None
    assignee: str | None = None
    category: Category = Category.ELEVATOR
    priority: Priority = Priority.HIGH
    code: str = "WO-20261126-0001"
    id: uuid.UUID = field(default_factory=lambda: uuid.UUID(int=1))


def routed(category: Category, priority: Priority) -> tuple[str, ...]:
    """A routing that sends elevator orders to the elevator crew and the rest to the service centre."""
    return ("elevator-crew",) if category is Category.ELEVATOR else ("service-centre",)


WANG = Actor(Role.CREW, frozenset({"王师傅 (wang)", "wang"}), "elevator-crew")
ZHAO = Actor(Role.CREW, frozenset({"赵师傅 (zhao)", "zhao"}), "plumbing-crew")
LONE = Actor(Role.CREW, frozenset({"crew phone li"}))
LINA = Actor(Role.STAFF, frozenset({"李娜 (lina)"}))


@pytest.mark.parametrize(
    ("actor", "order", "teams_for", "expected"),
    [
        (WANG, Order(), routed, Relation.OWN_TEAM),  # routed to his team
        (ZHAO, Order(), routed, Relation.OTHER),
        (ZHAO, Order(team="plumbing-crew"), routed, Relation.OWN_TEAM),  # a dispatch beats the routing
        (WANG, Order(team="plumbing-crew"), routed, Relation.OTHER),
        (ZHAO, Order(assignee="赵师傅 (zhao)"), routed, Relation.ASSIGNED),
        (ZHAO, Order(assignee="zhao"), routed, Relation.ASSIGNED),
        (ZHAO, Order(assignee="zhao2"), routed, Relation.OTHER),
        (WANG, Order(), None, Relation.UNCLAIMED),  # no routing, no dispatch, nobody took it
        (LONE, Order(), None, Relation.UNCLAIMED),
        (LONE, Order(), routed, Relation.OTHER),  # routed to a team: not the team-less key's
        (LONE, Order(assignee="someone"), None, Relation.OTHER),
        (LONE, Order(team="night shift", assignee="crew phone li"), None, Relation.ASSIGNED),
    ],
)
def test_relation(actor: Actor, order: Order, teams_for: object, expected: Relation) -> None:
    assert relation(actor, order, teams_for) is expected  # type: ignore[arg-type]


def test_the_teams_of_an_order_are_its_dispatch_else_the_routing() -> None:
    assert order_teams(Order(), routed) == {"elevator-crew"}
    assert order_teams(Order(team="night"), routed) == {"night"}
    assert order_teams(Order(), None) == frozenset()


def test_a_link_holder_has_the_one_order_its_link_names() -> None:
    order = Order(team="plumbing-crew")  # another team's, yet the hub sent this person the link
    holder = Actor(Role.CREW, frozenset({"王师傅 (wang)"}), "elevator-crew", link_to=order.id)
    assert relation(holder, order, routed) is Relation.ASSIGNED
    assert refusal(holder, P.TRANSITION_WORK_ORDERS, order, routed) is None
    other = Order(id=uuid.UUID(int=2))
    assert (
        refusal(holder, P.READ_WORK_ORDERS, other, routed)
        == "this link is for another work order, not WO-20261126-0001"
    )
    assert (
        refusal(holder, P.CLOSE_WORK_ORDERS, order, routed)
        == "an alert's link does not allow 'work_orders:close'; sign in"
    )
    assert not holder.may(P.READ_SITE)  # crew may, a link may not


def test_staff_act_on_every_order_and_crew_never_close_cancel_or_dispatch() -> None:
    others = Order(team="plumbing-crew", assignee="赵师傅 (zhao)")
    for permission in (P.TRANSITION_WORK_ORDERS, P.CLOSE_WORK_ORDERS, P.CANCEL_WORK_ORDERS, P.ASSIGN_WORK_ORDERS):
        assert refusal(LINA, permission, others, routed) is None
    own = Order(assignee="王师傅 (wang)")
    for permission in (P.CLOSE_WORK_ORDERS, P.CANCEL_WORK_ORDERS, P.ASSIGN_WORK_ORDERS, P.FOLLOW_UP_WORK_ORDERS):
        assert refusal(WANG, permission, own, routed) == f"Role 'crew' lacks the permission '{permission}'"


def test_check_raises_with_the_reason() -> None:
    with pytest.raises(AccessDenied, match="belongs to team plumbing-crew; role 'crew' \\(team elevator-crew\\)"):
        check(WANG, P.COMMENT_WORK_ORDERS, Order(team="plumbing-crew"), routed)
    check(WANG, P.COMMENT_WORK_ORDERS, Order(), routed)  # routed to his team: no exception
