"""The spool in PostgreSQL (storage/pg_spool.py), on branch `pg_spool`: readings, cursors and dead letters by site.

Only PostgreSQL gets these tables: the SQLite spool keeps its own file (data_dir/spool.db), and a spool in
the same SQLite file as the work orders would survive no machine either (FACILITIES_SPOOL=postgresql refuses it).

Revision ID: 0018_pg_spool
Revises: 0001_base
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_pg_spool"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("pg_spool",)
depends_on: str | Sequence[str] | None = None


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgresql():
        return
    # The site's counter: writers draw reading ids from it under its row lock (ids in commit order).
    op.create_table(
        "spool_sites",
        sa.Column("site_id", sa.Text(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_spool_sites")),
    )
    op.create_table(
        "spool_readings",
        sa.Column("site_id", sa.Text(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column("ts_ns", sa.BigInteger(), nullable=False),
        sa.Column("fields", sa.LargeBinary(), nullable=False),  # JSON as orjson wrote it: no re-encoding
        sa.PrimaryKeyConstraint("site_id", "id", name=op.f("pk_spool_readings")),
    )
    op.create_table(
        "spool_cursors",
        sa.Column("site_id", sa.Text(), nullable=False),
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "consumer", name=op.f("pk_spool_cursors")),
    )
    op.create_table(
        "spool_dead_letters",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("site_id", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spool_dead_letters")),
    )
    op.create_index("ix_spool_dead_letters_site_id", "spool_dead_letters", ["site_id", "id"], unique=False)


def downgrade() -> None:
    if not _postgresql():
        return
    op.drop_index("ix_spool_dead_letters_site_id", table_name="spool_dead_letters")
    for table in ("spool_dead_letters", "spool_cursors", "spool_readings", "spool_sites"):
        op.drop_table(table)
