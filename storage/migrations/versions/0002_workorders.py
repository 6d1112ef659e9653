"""Work orders, on branch `workorders`: orders, alarms, comments, audit log, follow-ups, SLA breaches, code counters.

Written by hand to match workorders/orm.py; tests/integration/workorders/test_schema.py checks that
the migrated schema and the models agree.

Revision ID: 0002_workorders
Revises: 0001_base
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_workorders"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("workorders",)
depends_on: str | Sequence[str] | None = None

ACTIVE = "status IN ('acknowledged', 'on_site', 'open')"
STATUSES = "status IN ('acknowledged', 'cancelled', 'closed', 'on_site', 'open', 'resolved')"
CATEGORIES = "category IN ('electrical', 'elevator', 'lighting', 'metering', 'other', 'plumbing')"
PRIORITIES = "priority IN ('emergency', 'high', 'low', 'normal')"
SOURCES = "source IN ('resident_request', 'rule', 'staff')"
SATISFACTION = "satisfaction IN ('dissatisfied', 'neutral', 'satisfied', 'very_satisfied')"
SLA_KINDS = "kind IN ('acknowledge', 'on_site', 'resolve')"


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _order_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["work_order_id"], ["work_orders.id"], name=op.f(f"fk_{table}_work_order_id_work_orders"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "work_orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(24), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("asset_id", sa.String(64), nullable=True),
        sa.Column("rule_id", sa.String(128), nullable=True),
        sa.Column("building_id", sa.String(64), nullable=True),
        sa.Column("unit_id", sa.String(64), nullable=True),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("source", sa.String(24), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reporter", sa.String(128), nullable=True),
        sa.Column("assignee", sa.String(128), nullable=True),
        sa.Column("team", sa.String(64), nullable=True),
        sa.Column("reported_at", _when(), nullable=False),
        sa.Column("opened_at", _when(), nullable=False),
        *(
            sa.Column(name, _when(), nullable=True)
            for name in (
                "acknowledged_at",
                "arrived_at",
                "resolved_at",
                "closed_at",
                "cancelled_at",
                "acknowledge_due_at",
                "on_site_due_at",
                "resolve_due_at",
            )
        ),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("alarm_count", sa.Integer(), nullable=False),
        sa.Column("last_alarm_at", _when(), nullable=True),
        sa.Column("updated_at", _when(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_orders")),
        sa.UniqueConstraint("site_id", "code", name=op.f("uq_work_orders_site_code")),
        sa.CheckConstraint(STATUSES, name=op.f("ck_work_orders_status")),
        sa.CheckConstraint(CATEGORIES, name=op.f("ck_work_orders_category")),
        sa.CheckConstraint(PRIORITIES, name=op.f("ck_work_orders_priority")),
        sa.CheckConstraint(SOURCES, name=op.f("ck_work_orders_source")),
    )
    # At most one active order per (site, asset, rule): the database settles concurrent AlarmRaised.
    op.create_index(
        op.f("uq_work_orders_active_alarm"),
        "work_orders",
        ["site_id", "asset_id", "rule_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )
    op.create_index(op.f("ix_work_orders_status"), "work_orders", ["status"])
    op.create_index(op.f("ix_work_orders_reported_at"), "work_orders", ["reported_at"])

    op.create_table(
        "work_order_alarms",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("work_order_id", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.String(128), nullable=False),
        sa.Column("severity", sa.String(32), nullable=False),
        sa.Column("raised_at", _when(), nullable=False),
        sa.Column("recorded_at", _when(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_alarms")),
        sa.UniqueConstraint("work_order_id", "rule_id", "raised_at", name=op.f("uq_work_order_alarms_raised")),
        _order_fk("work_order_alarms"),
    )

    op.create_table(
        "work_order_comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("work_order_id", sa.Uuid(), nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_comments")),
        _order_fk("work_order_comments"),
    )
    op.create_index(op.f("ix_work_order_comments_work_order_id"), "work_order_comments", ["work_order_id"])

    op.create_table(
        "work_order_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("work_order_id", sa.Uuid(), nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_audit")),
        _order_fk("work_order_audit"),
    )
    op.create_index(op.f("ix_work_order_audit_work_order_id"), "work_order_audit", ["work_order_id"])

    op.create_table(
        "work_order_followups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("work_order_id", sa.Uuid(), nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.Column("made_by", sa.String(128), nullable=False),
        sa.Column("satisfaction", sa.String(16), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_followups")),
        sa.CheckConstraint(SATISFACTION, name=op.f("ck_work_order_followups_satisfaction")),
        _order_fk("work_order_followups"),
    )
    op.create_index(op.f("ix_work_order_followups_work_order_id"), "work_order_followups", ["work_order_id"])

    op.create_table(
        "sla_breaches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("work_order_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("due_at", _when(), nullable=False),
        sa.Column("detected_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_breaches")),
        sa.UniqueConstraint("work_order_id", "kind", name=op.f("uq_sla_breaches_order_kind")),
        sa.CheckConstraint(SLA_KINDS, name=op.f("ck_sla_breaches_kind")),
        _order_fk("sla_breaches"),
    )
    op.create_index(op.f("ix_sla_breaches_detected_at"), "sla_breaches", ["detected_at"])

    op.create_table(
        "work_order_code_counters",
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "day", name=op.f("pk_work_order_code_counters")),
    )


def downgrade() -> None:
    for table in (
        "work_order_code_counters",
        "sla_breaches",
        "work_order_followups",
        "work_order_audit",
        "work_order_comments",
        "work_order_alarms",
    ):
        op.drop_table(table)
    op.drop_index(op.f("ix_work_orders_reported_at"), table_name="work_orders")
    op.drop_index(op.f("ix_work_orders_status"), table_name="work_orders")
    op.drop_index(op.f("uq_work_orders_active_alarm"), table_name="work_orders")
    op.drop_table("work_orders")
