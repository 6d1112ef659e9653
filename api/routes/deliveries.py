"""Alert deliveries from the outbox: what was sent to whom, how often it was tried, and where it stands."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from access.roles import Permission
from alerts.deliveries import list_deliveries
from alerts.orm import DeliveryStatus
from api.deps import SessionDep, require
from api.schemas import ERROR_RESPONSES, not_found
from api.workorder_deps import SiteIdDep

router = APIRouter(
    prefix="/sites/{site_id}/alert-deliveries",
    tags=["alerts"],
    responses={**ERROR_RESPONSES, **not_found("No such site on this hub")},
)


class DeliveryOut(BaseModel):
    id: int
    work_order_code: str
    kind: str  # alert (first notice), escalation, breach, or state (the retained MQTT state of the order)
    level: int  # 0 for the first notice, 1, 2 … for escalation steps
    team: str | None
    channel: str
    recipients: list[str]
    title: str
    status: str  # pending, delivered, failed
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None


@router.get("", dependencies=[require(Permission.READ_WORK_ORDERS)], response_model=list[DeliveryOut])
def deliveries(
    site_id: SiteIdDep,
    session: SessionDep,
    status: Annotated[DeliveryStatus | None, Query(description="pending, delivered or failed")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    """The newest alert deliveries of the site, with their attempts (an empty list when alerts are off)."""
    rows = list_deliveries(session, status=status, site_id=site_id, limit=limit)
    return [
        DeliveryOut(
            id=row.id,
            work_order_code=row.work_order_code,
            kind=row.kind,
            level=row.level,
            team=row.team,
            channel=row.channel,
            recipients=list(row.recipients),
            title=row.title,
            status=row.status,
            attempts=row.attempts,
            created_at=row.created_at,
            last_attempt_at=row.last_attempt_at,
            next_attempt_at=row.next_attempt_at,
        )
        for row in rows
    ]
