"""Site leases, on branch `cluster`: the replicas sharing the database and which one runs each site until when.

Written by hand to match cluster/orm.py; tests/integration/cluster/test_schema.py checks they agree.

Revision ID: 0017_site_leases
Revises: 0001_base
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_site_leases"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("cluster",)
depends_on: str | Sequence[str] | None = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "replicas",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("started_at", _when(), nullable=False),
        sa.Column("heartbeat_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replicas")),
    )
    op.create_table(
        "site_leases",
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("acquired_at", _when(), nullable=False),
        sa.Column("expires_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_site_leases")),
    )
    op.create_index("ix_site_leases_owner", "site_leases", ["owner"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_site_leases_owner", table_name="site_leases")
    op.drop_table("site_leases")
    op.drop_table("replicas")
