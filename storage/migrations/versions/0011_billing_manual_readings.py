"""Manual readings (抄表) of billing's meters: the audit record of each register entered by hand.

Written by hand to match billing/manual_readings.py; tests/integration/billing/test_schema.py checks they agree.

Revision ID: 0011_billing_manual_readings
Revises: 0005_billing
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_billing_manual_readings"
down_revision: str | None = "0005_billing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "billing_manual_readings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("meter_id", sa.String(length=64), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.String(length=48), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_manual_readings")),
    )
    op.create_index(op.f("ix_billing_manual_readings_site_id"), "billing_manual_readings", ["site_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_billing_manual_readings_site_id"), table_name="billing_manual_readings")
    op.drop_table("billing_manual_readings")
