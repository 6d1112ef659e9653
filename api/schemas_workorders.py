"""Request and response models of the work-order routes, and their translation from the domain."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from core.text import describe, first_refused
from workorders.domain import WorkOrder
from workorders.lifecycle import Status
from workorders.queries import WorkOrderSummary
from workorders.values import AuditAction, Category, Deadlines, Priority, Satisfaction, SlaKind, Source

ONE_LINE = r"^[^\x00-\x1f\x7f]+$"  # query filters on names and ids: no control characters
NO_NUL = r"^[^\x00]*$"  # free text: line breaks are fine, NUL is not (PostgreSQL refuses it in text)
# What the OpenAPI document shows for one-line body fields; `_one_line` refuses more (every Unicode control,
# format and line-separator character), with a message that names the character.
ONE_LINE_DOC = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]+$"


def _text(max_length: int, pattern: str, min_length: int = 1) -> Any:
    # The pattern also refuses a lone surrogate (JSON may escape one as \ud800): no database could store it.
    return Field(min_length=min_length, max_length=max_length, pattern=pattern)


def _one_line(value: str) -> str:
    """A title, name or id must be one line: it becomes an e-mail subject, a robot message's heading, a header."""
    found = first_refused(value)
    if found is not None:
        position, char = found
        raise PydanticCustomError(
            "one_line",
            "must be one line of text: {char} at character {position} is not allowed; remove line breaks and "
            "control characters",
            {"char": describe(char), "position": position + 1},
        )
    return value


def _one_line_text(max_length: int) -> Any:
    return Field(min_length=1, max_length=max_length, json_schema_extra={"pattern": ONE_LINE_DOC})


Name = Annotated[str, _one_line_text(128), AfterValidator(_one_line)]
PlaceId = Annotated[str, _one_line_text(64), AfterValidator(_one_line)]
Title = Annotated[str, _one_line_text(200), AfterValidator(_one_line)]
Note = Annotated[str, _text(4000, NO_NUL)]
OptionalNote = Annotated[str, _text(4000, NO_NUL, min_length=0)]


class RequestSource(StrEnum):
    """Who an order made through the API comes from; orders from rules are opened by the rules engine only."""

    RESIDENT_REQUEST = Source.RESIDENT_REQUEST.value
    STAFF = Source.STAFF.value


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkOrderCreate(_Body):
    """A repair request or complaint the service centre takes (報修), or staff's own finding."""

    category: Category
    priority: Priority = Priority.NORMAL
    title: Title
    description: OptionalNote = ""
    reporter: Name | None = Field(default=None, description="Who reported it, e.g. the resident; default: the key.")
    source: RequestSource = RequestSource.RESIDENT_REQUEST
    asset_id: PlaceId | None = None
    building_id: PlaceId | None = Field(default=None, description="Default: the unit's or the asset's building.")
    unit_id: PlaceId | None = Field(default=None, description="Default: the asset's unit.")


class ResolveIn(_Body):
    resolution: Note = Field(description="What was found and done (or 'no fault found').")


class CancelIn(_Body):
    reason: Note


class AssignIn(_Body):
    assignee: Name | None = None
    team: Annotated[str, _one_line_text(64), AfterValidator(_one_line)] | None = None


class CommentIn(_Body):
    text: Note


class FollowUpIn(_Body):
    satisfaction: Satisfaction
    feedback: OptionalNote = ""


class DeadlinesOut(BaseModel):
    acknowledge_by: datetime | None
    on_site_by: datetime | None
    resolve_by: datetime | None


class WorkOrderSummaryOut(BaseModel):
    id: UUID
    code: str
    site_id: str
    status: Status
    category: Category
    priority: Priority
    source: Source
    title: str
    asset_id: str | None
    rule_id: str | None
    building_id: str | None
    unit_id: str | None
    reporter: str | None
    assignee: str | None
    team: str | None
    reported_at: datetime
    opened_at: datetime
    acknowledged_at: datetime | None
    arrived_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    updated_at: datetime
    deadlines: DeadlinesOut
    alarm_count: int
    breached: list[SlaKind]  # the SLA steps this order missed


class BreachOut(BaseModel):
    kind: SlaKind
    due_at: datetime
    detected_at: datetime


class AlarmOccurrenceOut(BaseModel):
    rule_id: str
    severity: str
    raised_at: datetime
    recorded_at: datetime
    message: str
    evidence: dict[str, Any]


class CommentOut(BaseModel):
    at: datetime
    author: str
    text: str


class AuditOut(BaseModel):
    at: datetime
    actor: str
    action: AuditAction
    from_status: Status | None
    to_status: Status | None
    details: dict[str, str]


class FollowUpOut(BaseModel):
    at: datetime
    by: str
    satisfaction: Satisfaction
    feedback: str


class WorkOrderOut(WorkOrderSummaryOut):
    """One order with everything it recorded."""

    description: str
    resolution: str | None
    cancel_reason: str | None
    breaches: list[BreachOut]
    alarms: list[AlarmOccurrenceOut]
    comments: list[CommentOut]
    audit: list[AuditOut]
    follow_ups: list[FollowUpOut]


def _deadlines(deadlines: Deadlines) -> DeadlinesOut:
    return DeadlinesOut(
        acknowledge_by=deadlines.acknowledge_by, on_site_by=deadlines.on_site_by, resolve_by=deadlines.resolve_by
    )


def summary_out(summary: WorkOrderSummary) -> WorkOrderSummaryOut:
    plain = {name: getattr(summary, name) for name in WorkOrderSummaryOut.model_fields if name != "deadlines"}
    return WorkOrderSummaryOut(**plain | {"breached": list(summary.breached)}, deadlines=_deadlines(summary.deadlines))


def order_out(order: WorkOrder) -> WorkOrderOut:
    """The whole aggregate; its breaches in step order."""
    breaches = [order.breaches[kind] for kind in SlaKind if kind in order.breaches]
    copied = set(WorkOrderOut.model_fields) - {"deadlines", "alarm_count", "breached", "breaches"} - _RECORDS
    return WorkOrderOut(
        **{name: getattr(order, name) for name in copied},
        deadlines=_deadlines(order.deadlines),
        alarm_count=len(order.alarms),
        breached=[b.kind for b in breaches],
        breaches=[BreachOut(kind=b.kind, due_at=b.due_at, detected_at=b.detected_at) for b in breaches],
        alarms=[AlarmOccurrenceOut.model_validate(a, from_attributes=True) for a in order.alarms],
        comments=[CommentOut.model_validate(c, from_attributes=True) for c in order.comments],
        audit=[AuditOut.model_validate(e, from_attributes=True) for e in order.audit],
        follow_ups=[FollowUpOut.model_validate(f, from_attributes=True) for f in order.follow_ups],
    )


_RECORDS = {"alarms", "comments", "audit", "follow_ups"}
