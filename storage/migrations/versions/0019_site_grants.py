"""Roles per site (issue 23), labelled `site_grants`: which key or console user holds which role on which site.

Every key and console user there is keeps its role and team on every site: each gets an all-sites (`*`)
grant copied from its `role` and `team` columns, so nobody is locked out by the upgrade. It reads those tables,
so it follows the `api_keys` branch (after `team` was added) and depends on the `console` branch. (Depending on
the api_keys head instead would leave that head out of alembic_version while Alembic still lists it among the
heads.) Written by hand to match access/grant_store.py; tests/integration/access/test_site_grants_pg.py checks
they agree and that the upgrade keeps old keys working.

Revision ID: 0019_site_grants
Revises: 0008_api_key_team
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_site_grants"
down_revision: str | None = "0008_api_key_team"
branch_labels: str | Sequence[str] | None = ("site_grants",)
depends_on: str | Sequence[str] | None = ("0007_console",)


def upgrade() -> None:
    op.create_table(
        "site_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("principal", sa.String(length=8), nullable=False),
        sa.Column("principal_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'staff', 'crew', 'fee_module')", name=op.f("ck_site_grants_role")),
        sa.CheckConstraint("principal IN ('key', 'user')", name=op.f("ck_site_grants_principal")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_grants")),
        sa.UniqueConstraint("principal", "principal_id", "site_id", name="uq_site_grants_principal_site"),
    )
    op.create_index("ix_site_grants_principal", "site_grants", ["principal", "principal_id"], unique=False)
    # Everyone keeps what they had, on every site.
    op.execute(
        "INSERT INTO site_grants (principal, principal_id, site_id, role, team, granted_at) "
        "SELECT 'key', id, '*', role, team, created_at FROM api_keys"
    )
    op.execute(
        "INSERT INTO site_grants (principal, principal_id, site_id, role, team, granted_at) "
        "SELECT 'user', id, '*', role, team, created_at FROM console_users"
    )


def downgrade() -> None:
    op.drop_index("ix_site_grants_principal", table_name="site_grants")
    op.drop_table("site_grants")
