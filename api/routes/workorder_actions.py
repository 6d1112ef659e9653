"""What people do to a work order: the lifecycle moves, dispatch, comments and the follow-up call (回訪).

Each is a POST on the order that answers the order as it is afterwards, audit log included. The actor
is the calling key's name. A move the lifecycle does not allow answers 409 naming both states. Who may
do what is `access`: the key's role must grant the move's permission, and a crew key may work only its
own orders (its team's, assigned to it, or not yet taken), checked on the order inside the command's
transaction (403 otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from access.orders import guard
from access.roles import Permission
from api.auth import Caller
from api.deps import DepsDep, require
from api.schemas import ERROR_RESPONSES, ErrorOut, not_found
from api.schemas_workorders import AssignIn, CancelIn, CommentIn, FollowUpIn, ResolveIn, WorkOrderOut
from api.workorder_deps import ActDep
from workorders import commands as cmd
from workorders.service import Guard

router = APIRouter(
    prefix="/sites/{site_id}/work-orders/{code}",
    tags=["work orders"],
    responses={
        **ERROR_RESPONSES,
        **not_found("No such site on this hub, or no such order in it"),
        409: {"model": ErrorOut, "description": "The order's state does not allow this; the message says why"},
    },
)


@dataclass(frozen=True)
class Acting:
    """The calling key (its name is recorded as the actor) and the check its command runs on the order."""

    caller: Caller
    guard: Guard

    @property
    def name(self) -> str:
        return self.caller.name


def _acting(permission: Permission) -> Any:
    """The key, checked for `permission` before anything else, with the order check for that permission."""

    checked = require(permission)  # a default, not an annotation: annotations are strings read at module level

    def acting(deps: DepsDep, caller: Caller = checked) -> Acting:
        return Acting(caller, guard(caller.actor, permission, deps.order_teams))

    return Depends(acting)


Transition = Annotated[Acting, _acting(Permission.TRANSITION_WORK_ORDERS)]
Close = Annotated[Acting, _acting(Permission.CLOSE_WORK_ORDERS)]
Cancel = Annotated[Acting, _acting(Permission.CANCEL_WORK_ORDERS)]
Assign = Annotated[Acting, _acting(Permission.ASSIGN_WORK_ORDERS)]
Comment = Annotated[Acting, _acting(Permission.COMMENT_WORK_ORDERS)]
FollowUp = Annotated[Acting, _acting(Permission.FOLLOW_UP_WORK_ORDERS)]


@router.post("/acknowledge", summary="open → acknowledged (接單); the caller becomes the assignee if none")
def acknowledge(by: Transition, act: ActDep) -> WorkOrderOut:
    return act(lambda order: cmd.Acknowledge(order_id=order, actor=by.name, guard=by.guard))


@router.post("/arrive", summary="acknowledged → on_site (到場)")
def arrive(by: Transition, act: ActDep) -> WorkOrderOut:
    return act(lambda order: cmd.Arrive(order_id=order, actor=by.name, guard=by.guard))


@router.post("/resolve", summary="on_site → resolved (完工), with what was found and done")
def resolve(by: Transition, act: ActDep, body: ResolveIn) -> WorkOrderOut:
    return act(lambda order: cmd.Resolve(order_id=order, actor=by.name, resolution=body.resolution, guard=by.guard))


@router.post("/close", summary="resolved → closed (歸檔); staff and admin")
def close(by: Close, act: ActDep) -> WorkOrderOut:
    return act(lambda order: cmd.Close(order_id=order, actor=by.name, guard=by.guard))


@router.post("/cancel", summary="open or acknowledged → cancelled, with the reason; staff and admin")
def cancel(by: Cancel, act: ActDep, body: CancelIn) -> WorkOrderOut:
    return act(lambda order: cmd.Cancel(order_id=order, actor=by.name, reason=body.reason, guard=by.guard))


@router.post("/assign", summary="Dispatch (派單) to a person and/or a team; both empty clears them")
def assign(by: Assign, act: ActDep, body: AssignIn) -> WorkOrderOut:
    return act(
        lambda order: cmd.Assign(order_id=order, actor=by.name, assignee=body.assignee, team=body.team, guard=by.guard)
    )


@router.post("/comments", status_code=201, summary="Add a comment")
def add_comment(by: Comment, act: ActDep, body: CommentIn) -> WorkOrderOut:
    return act(lambda order: cmd.AddComment(order_id=order, actor=by.name, text=body.text, guard=by.guard))


@router.post("/follow-up", status_code=201, summary="Record the follow-up call (回訪) once the order is resolved")
def follow_up(by: FollowUp, act: ActDep, body: FollowUpIn) -> WorkOrderOut:
    return act(
        lambda order: cmd.RecordFollowUp(
            order_id=order, actor=by.name, satisfaction=body.satisfaction, feedback=body.feedback, guard=by.guard
        )
    )
