"""Dispatch (派單): the service centre gives an order to a team or one of its members, who is then alerted.

The choices come from the alerts file's teams and members; the assignee is recorded as `王师傅 (wang)`, the
way the console names a person everywhere. Without an alerts file, team and person are typed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from access.orders import guard
from access.roles import Permission
from alerts.routing import Routing
from console.web import (
    FormText,
    OptionalText,
    console_config,
    csrf_ok,
    forbidden,
    once,
    order_for,
    order_url,
    run,
)
from workorders.commands import Assign
from workorders.domain import WorkOrder
from workorders.lifecycle import ACTIVE_STATES
from workorders.values import Category

router = APIRouter(prefix="/console", include_in_schema=False)


@dataclass(frozen=True)
class Choice:
    value: str  # "team:member" or "team:" for the whole team
    label: str


def choices(routing: Routing | None) -> list[Choice]:
    """Each team, then each of its members, as the dispatch form lists them; none without an alerts file."""
    if routing is None:
        return []
    listed: list[Choice] = []
    for team_id, team in routing.file.teams.items():
        name = team.name or team_id
        listed.append(Choice(f"{team_id}:", name))
        listed += [Choice(f"{team_id}:{member.id}", f"{name} · {member.name}") for member in team.members]
    return listed


def resolve(routing: Routing | None, to: str, team: str, assignee: str) -> tuple[str | None, str | None] | None:
    """(team, assignee) for the form's values; None when a listed choice does not exist (a stale page)."""
    if routing is None or not to:
        return (team.strip() or None, assignee.strip() or None)
    team_id, _, member_id = to.partition(":")
    chosen = routing.file.teams.get(team_id)
    if chosen is None:
        return None
    if not member_id:
        return team_id, None
    member = next((m for m in chosen.members if m.id == member_id), None)
    return None if member is None else (team_id, f"{member.name} ({member.id})")


@router.post("/orders/{code}/assign")
def assign(
    request: Request,
    code: str,
    nonce: FormText = "",
    to: FormText = "",
    team: Annotated[str, Form()] = "",
    assignee: Annotated[str, Form()] = "",
    csrf: OptionalText = None,
    cross_trade: Annotated[str, Form()] = "",
) -> Response:
    found = order_for(request, code, None)
    if isinstance(found, Response):
        return found
    order, viewer = found
    config, permission = console_config(request), Permission.ASSIGN_WORK_ORDERS
    if viewer.staff is None or not viewer.may_on(permission, order, config.teams_for) or not csrf_ok(viewer, csrf):
        return forbidden(request, viewer)
    target = resolve(config.routing, to, team, assignee)
    if target is None or order.status not in ACTIVE_STATES or target == (None, None):
        return RedirectResponse(order_url(code, viewer, error="dispatch"), status_code=303)
    trades = trade_teams(config.routing, order.category)
    if trades and target[0] not in trades and cross_trade != "yes":  # a leak to the elevator crew: ask first
        return RedirectResponse(order_url(code, viewer, warn="cross", to=to), status_code=303)
    if (order.team, order.assignee) == target:  # dispatched there already: no second alert
        return RedirectResponse(order_url(code, viewer, done="already"), status_code=303)
    identity = viewer.identity
    check = guard(identity, permission, config.teams_for) if identity is not None else None

    command = Assign(order_id=order.id, team=target[0], assignee=target[1], actor=viewer.actor, guard=check)

    def failed(_: str) -> Response:
        return RedirectResponse(order_url(code, viewer, error="dispatch"), status_code=303)

    return once(request, nonce, "assign", lambda: run(request, command), order_url(code, viewer, done="assign"), failed)


def trade_teams(routing: Routing | None, category: Category) -> frozenset[str]:
    """The teams the alerts routing names for this category by name (rules for any category do not count)."""
    if routing is None:
        return frozenset()
    return frozenset(t for rule in routing.file.rules if category in rule.categories for t in rule.teams)


def default_choice(routing: Routing | None, order: WorkOrder) -> str:
    """What the dispatch list shows selected: where the order is now, else the first team its category and
    priority are routed to."""
    if routing is None:
        return ""
    if order.team:
        member = next(
            (m.id for m in routing.file.teams[order.team].members if order.assignee and m.id in order.assignee), ""
        ) if order.team in routing.file.teams else ""  # fmt: skip
        return f"{order.team}:{member}"
    teams = routing.teams_for(order.category, order.priority)
    return f"{teams[0]}:" if teams else ""


def team_label(routing: Routing | None, team_id: str | None) -> str:
    """A team's name from the alerts file (电梯运维), else its id."""
    if not team_id:
        return ""
    team = routing.file.teams.get(team_id) if routing is not None else None
    return (team.name or team_id) if team is not None else team_id
