"""Outbox retention: finished messages and stopped escalation clocks are kept for a while, then deleted.

The outbox is the record of who was told what and when (`GET …/alert-deliveries`), so it is kept for
months, not forever: a busy community writes tens of thousands of messages a year. Pending and sending
rows are never touched, whatever their age.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from alerts.orm import DeliveryStatus, EscalationRow, OutboxRow

FINISHED = (DeliveryStatus.DELIVERED.value, DeliveryStatus.FAILED.value, DeliveryStatus.SUPERSEDED.value)


def prune_outbox(session: Session, *, site_id: str, older_than: datetime) -> int:
    """Delete the site's finished messages created before `older_than` and its clocks stopped before it.

    Hubs sharing one database each prune their own site, by their own retention. Returns how many rows went.
    """
    messages = session.execute(
        delete(OutboxRow).where(
            OutboxRow.site_id == site_id, OutboxRow.status.in_(FINISHED), OutboxRow.created_at < older_than
        )
    )
    clocks = session.execute(
        delete(EscalationRow).where(
            EscalationRow.site_id == site_id,
            EscalationRow.stopped_at.is_not(None),
            EscalationRow.stopped_at < older_than,
        )
    )
    return int(getattr(messages, "rowcount", 0) or 0) + int(getattr(clocks, "rowcount", 0) or 0)
