"""The sign-in audit log, on a branch of its own (`access`): console sign-ins, failures, sign-outs.

Written by hand to match access/audit.py; tests/integration/console/test_schema.py checks they agree.

Revision ID: 0010_sign_in_audit
Revises: 0001_base
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_sign_in_audit"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("access",)
depends_on: str | Sequence[str] | None = None

EVENTS = "'signed_in', 'failed', 'throttled', 'refused_csrf', 'signed_out', 'sessions_ended'"


def upgrade() -> None:
    op.create_table(
        "sign_in_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.CheckConstraint(f"event IN ({EVENTS})", name=op.f("ck_sign_in_audit_event")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_audit")),
    )
    op.create_index("ix_sign_in_audit_at", "sign_in_audit", ["at"])
    op.create_index("ix_sign_in_audit_username", "sign_in_audit", ["username"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_audit_username", table_name="sign_in_audit")
    op.drop_index("ix_sign_in_audit_at", table_name="sign_in_audit")
    op.drop_table("sign_in_audit")
