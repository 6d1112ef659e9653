"""What people do to a work order: the lifecycle moves, dispatch, comments and the follow-up call (回訪).

Each is a POST on the order that answers the order as it is afterwards, audit log included. The actor
is the calling key's name. A move the lifecycle does not allow answers 409 naming both states.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter

from api.auth import Caller
from api.deps import ClockDep, require
from api.permissions import Permission
from api.schemas import ERROR_RESPONSES, ErrorOut, not_found
from api.schemas_workorders import AssignIn, CancelIn, CommentIn, FollowUpIn, ResolveIn, WorkOrderOut
from api.workorder_deps import ActDep
from workorders import service
from workorders.unit_of_work import UnitOfWork

router = APIRouter(
    prefix="/sites/{site_id}/work-orders/{code}",
    tags=["work orders"],
    responses={
        **ERROR_RESPONSES,
        **not_found("No such site on this hub, or no such order in it"),
        409: {"model": ErrorOut, "description": "The order's state does not allow this; the message says why"},
    },
)

# The caller's key, checked before anything else; its name is recorded as the actor.
Transition = Annotated[Caller, require(Permission.TRANSITION_WORK_ORDERS)]
Assign = Annotated[Caller, require(Permission.ASSIGN_WORK_ORDERS)]
Comment = Annotated[Caller, require(Permission.COMMENT_WORK_ORDERS)]
FollowUp = Annotated[Caller, require(Permission.FOLLOW_UP_WORK_ORDERS)]


@router.post("/acknowledge", summary="open → acknowledged (接單); the caller becomes the assignee if none")
def acknowledge(caller: Transition, act: ActDep, clock: ClockDep) -> WorkOrderOut:
    return act(lambda uow, order: service.acknowledge(uow, order_id=order, actor=caller.name, clock=clock))


@router.post("/arrive", summary="acknowledged → on_site (到場)")
def arrive(caller: Transition, act: ActDep, clock: ClockDep) -> WorkOrderOut:
    return act(lambda uow, order: service.arrive(uow, order_id=order, actor=caller.name, clock=clock))


@router.post("/resolve", summary="on_site → resolved (完工), with what was found and done")
def resolve(caller: Transition, act: ActDep, body: ResolveIn, clock: ClockDep) -> WorkOrderOut:
    def command(uow: UnitOfWork, order: UUID) -> None:
        service.resolve(uow, order_id=order, actor=caller.name, resolution=body.resolution, clock=clock)

    return act(command)


@router.post("/close", summary="resolved → closed (歸檔)")
def close(caller: Transition, act: ActDep, clock: ClockDep) -> WorkOrderOut:
    return act(lambda uow, order: service.close(uow, order_id=order, actor=caller.name, clock=clock))


@router.post("/cancel", summary="open or acknowledged → cancelled, with the reason")
def cancel(caller: Transition, act: ActDep, body: CancelIn, clock: ClockDep) -> WorkOrderOut:
    return act(
        lambda uow, order: service.cancel(uow, order_id=order, actor=caller.name, reason=body.reason, clock=clock)
    )


@router.post("/assign", summary="Dispatch (派單) to a person and/or a team; both empty clears them")
def assign(caller: Assign, act: ActDep, body: AssignIn, clock: ClockDep) -> WorkOrderOut:
    def command(uow: UnitOfWork, order: UUID) -> None:
        service.assign(uow, order_id=order, assignee=body.assignee, team=body.team, actor=caller.name, clock=clock)

    return act(command)


@router.post("/comments", status_code=201, summary="Add a comment")
def add_comment(caller: Comment, act: ActDep, body: CommentIn, clock: ClockDep) -> WorkOrderOut:
    return act(
        lambda uow, order: service.add_comment(uow, order_id=order, author=caller.name, text=body.text, clock=clock)
    )


@router.post("/follow-up", status_code=201, summary="Record the follow-up call (回訪) once the order is resolved")
def follow_up(caller: FollowUp, act: ActDep, body: FollowUpIn, clock: ClockDep) -> WorkOrderOut:
    def command(uow: UnitOfWork, order: UUID) -> None:
        service.record_follow_up(
            uow, order_id=order, actor=caller.name, satisfaction=body.satisfaction, feedback=body.feedback, clock=clock
        )

    return act(command)
