"""Planned maintenance, on branch `maintenance`: task occurrences (orders, checklists, sign-off), usage counters.

Written by hand to match maintenance/orm.py; tests/integration/maintenance/test_schema.py checks they agree.

Revision ID: 0014_maintenance
Revises: 0001_base
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_maintenance"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("maintenance",)
depends_on: str | Sequence[str] | None = None

TRIGGERS = "trigger IN ('calendar', 'condition', 'inspection', 'usage')"
STATUSES = "status IN ('cancelled', 'done', 'open')"


def upgrade() -> None:
    when = sa.DateTime(timezone=True)
    op.create_table(
        "maintenance_occurrences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("task_key", sa.String(160), nullable=False),
        sa.Column("plan_id", sa.String(40), nullable=False),
        sa.Column("task_id", sa.String(40), nullable=False),
        sa.Column("asset_id", sa.String(64), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("trigger_detail", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_at", when, nullable=False),
        sa.Column("opened_at", when, nullable=False),
        sa.Column("team", sa.String(64), nullable=True),
        sa.Column("contractor_id", sa.String(40), nullable=True),
        sa.Column("work_order_id", sa.Uuid(), nullable=True),
        sa.Column("work_order_code", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("completed_at", when, nullable=True),
        sa.Column("completed_by", sa.String(128), nullable=True),
        sa.Column("done_by_contractor", sa.String(128), nullable=True),
        sa.Column("signed_off_at", when, nullable=True),
        sa.Column("signed_off_by", sa.String(128), nullable=True),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("followup_codes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_occurrences")),
        sa.UniqueConstraint("site_id", "task_key", "due_on", "trigger", name="uq_maintenance_occurrences_due"),
        sa.CheckConstraint(TRIGGERS, name=op.f("ck_maintenance_occurrences_trigger")),
        sa.CheckConstraint(STATUSES, name=op.f("ck_maintenance_occurrences_status")),
    )
    op.create_index("ix_maintenance_occurrences_site_due", "maintenance_occurrences", ["site_id", "due_at"])
    op.create_index("ix_maintenance_occurrences_asset", "maintenance_occurrences", ["site_id", "asset_id"])
    op.create_table(
        "maintenance_usage_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("task_key", sa.String(160), nullable=False),
        sa.Column("counted", sa.Float(), nullable=False),
        sa.Column("counted_until", when, nullable=False),
        sa.Column("last_state", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_usage_counters")),
        sa.UniqueConstraint("site_id", "task_key", name="uq_maintenance_usage_counters_task"),
    )


def downgrade() -> None:
    op.drop_table("maintenance_usage_counters")
    op.drop_index("ix_maintenance_occurrences_asset", table_name="maintenance_occurrences")
    op.drop_index("ix_maintenance_occurrences_site_due", table_name="maintenance_occurrences")
    op.drop_table("maintenance_occurrences")
