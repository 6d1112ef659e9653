"""Alerts, on branch `alerts`: the transactional outbox of messages and the escalation clocks.

Written by hand to match alerts/orm.py; tests/integration/alerts/test_schema.py checks that the migrated
schema and the models agree.

Revision ID: 0006_alerts
Revises: 0001_base
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_alerts"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("alerts",)
depends_on: str | Sequence[str] | None = None

KINDS = "kind IN ('alert', 'breach', 'escalation', 'state')"
STATUSES = "status IN ('delivered', 'failed', 'pending', 'sending', 'superseded')"


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alert_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("work_order_id", sa.Uuid(), nullable=True),
        sa.Column("work_order_code", sa.String(24), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(64), nullable=True),
        sa.Column("personal", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("next_attempt_at", _when(), nullable=True),
        sa.Column("last_attempt_at", _when(), nullable=True),
        sa.Column("delivered_at", _when(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_alert_outbox_idempotency_key")),
        sa.CheckConstraint(KINDS, name=op.f("ck_alert_outbox_kind")),
        sa.CheckConstraint(STATUSES, name=op.f("ck_alert_outbox_status")),
    )
    # The dispatcher's query: what is pending (or whose lease ran out) and due.
    op.create_index(op.f("ix_alert_outbox_due"), "alert_outbox", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_alert_outbox_work_order_id"), "alert_outbox", ["work_order_id"])

    op.create_table(
        "alert_escalations",
        sa.Column("work_order_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("chain", sa.String(64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("started_at", _when(), nullable=False),
        sa.Column("next_at", _when(), nullable=True),
        sa.Column("stopped_at", _when(), nullable=True),
        sa.Column("stop_reason", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("work_order_id", name=op.f("pk_alert_escalations")),
    )
    op.create_index(op.f("ix_alert_escalations_next_at"), "alert_escalations", ["next_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_escalations_next_at"), table_name="alert_escalations")
    op.drop_table("alert_escalations")
    op.drop_index(op.f("ix_alert_outbox_work_order_id"), table_name="alert_outbox")
    op.drop_index(op.f("ix_alert_outbox_due"), table_name="alert_outbox")
    op.drop_table("alert_outbox")
