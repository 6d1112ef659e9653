"""Alarm handling, on branch `alarm_handling`: acknowledgements and shelves of alarm episodes, and planned
maintenance windows of assets.

Written by hand to match rules/handling.py; tests/integration/rules/test_handling.py checks they agree.

Revision ID: 0013_alarm_handling
Revises: 0001_base
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_alarm_handling"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("alarm_handling",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alarm_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("alarm_id", sa.String(200), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("asset_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("action IN ('acknowledged', 'shelved')", name=op.f("ck_alarm_actions_action_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_actions")),
    )
    op.create_index("ix_alarm_actions_alarm", "alarm_actions", ["site_id", "alarm_id"])
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("asset_id", sa.String(64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_maintenance_windows_ends_after_start")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
    )
    op.create_index("ix_maintenance_windows_asset", "maintenance_windows", ["site_id", "asset_id"])


def downgrade() -> None:
    op.drop_index("ix_maintenance_windows_asset", table_name="maintenance_windows")
    op.drop_table("maintenance_windows")
    op.drop_index("ix_alarm_actions_alarm", table_name="alarm_actions")
    op.drop_table("alarm_actions")
