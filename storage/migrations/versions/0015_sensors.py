"""Sensors: work orders may be for the security team (smoke, gas and door alarms; core/device_kinds.toml).

Widens the CHECK constraint on work_orders.category by one value; nothing else changes.

Revision ID: 0015_sensors
Revises: 0002_workorders
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015_sensors"
down_revision: str | None = "0002_workorders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "category IN ('electrical', 'elevator', 'lighting', 'metering', 'other', 'plumbing')"
NEW = "category IN ('electrical', 'elevator', 'lighting', 'metering', 'other', 'plumbing', 'security')"


def _replace(condition: str) -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_constraint(op.f("ck_work_orders_category"), type_="check")
        batch.create_check_constraint(op.f("ck_work_orders_category"), condition)


def upgrade() -> None:
    _replace(NEW)


def downgrade() -> None:
    # Orders of the security trade would break the narrower constraint: they become "other" first.
    op.execute("UPDATE work_orders SET category = 'other' WHERE category = 'security'")
    _replace(OLD)
