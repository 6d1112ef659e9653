"""Delivery records for the API: what was sent to whom, on which channel, how often tried, and how it ended."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.orm import DeliveryStatus, OutboxRow


@dataclass(frozen=True)
class Delivery:
    id: int
    idempotency_key: str
    site_id: str
    work_order_id: uuid.UUID | None
    work_order_code: str
    kind: str
    level: int
    team: str | None
    channel: str
    recipients: tuple[str, ...]  # member ids
    title: str
    status: str
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None


def list_deliveries(
    session: Session,
    *,
    work_order_id: uuid.UUID | None = None,
    status: DeliveryStatus | None = None,
    site_id: str | None = None,
    limit: int = 100,
) -> list[Delivery]:
    """Newest first, filtered by any of order, status and site."""
    query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
    if work_order_id is not None:
        query = query.where(OutboxRow.work_order_id == work_order_id)
    if status is not None:
        query = query.where(OutboxRow.status == status.value)
    if site_id is not None:
        query = query.where(OutboxRow.site_id == site_id)
    return [
        Delivery(
            id=row.id,
            idempotency_key=row.idempotency_key,
            site_id=row.site_id,
            work_order_id=row.work_order_id,
            work_order_code=row.work_order_code,
            kind=row.kind,
            level=row.level,
            team=row.team,
            channel=row.channel,
            recipients=tuple(str(r.get("id", "")) for r in row.recipients),
            title=row.title,
            status=row.status,
            attempts=row.attempts,
            created_at=row.created_at,
            last_attempt_at=row.last_attempt_at,
            next_attempt_at=row.next_attempt_at,
            delivered_at=row.delivered_at,
            last_error=row.last_error,
        )
        for row in session.scalars(query)
    ]


def delivery_counts(session: Session, *, site_id: str | None = None) -> dict[str, int]:
    """How many messages are in each status (every status listed, zero included), e.g. for /metrics."""
    query = select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
    if site_id is not None:
        query = query.where(OutboxRow.site_id == site_id)
    counts = {status.value: 0 for status in DeliveryStatus}
    counts.update({str(status): int(n) for status, n in session.execute(query).all()})
    return counts
