"""Rules engine state, on branch `rules`: one row per (site, rule, asset) monitor.

Written by hand to match rules/state_store.py; tests/integration/rules/test_schema.py checks them.

Revision ID: 0004_rules
Revises: 0001_base
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_rules"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("rules",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rule_state",
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("asset_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fire_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alarm_id", sa.String(200), nullable=True),
        sa.Column("message_key", sa.String(64), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("memory", sa.JSON(), nullable=False),
        sa.Column("last_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "rule_id", "asset_id", name=op.f("pk_rule_state")),
    )
    op.create_index(op.f("ix_rule_state_status"), "rule_state", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rule_state_status"), table_name="rule_state")
    op.drop_table("rule_state")
