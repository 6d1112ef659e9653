"""Patrols (巡检), on branch `patrols`: patrols walked, checkpoints visited, sensor findings answered, notices sent.

Written by hand to match patrols/orm.py; tests/integration/patrols/test_schema.py checks they agree.

Revision ID: 0016_patrols
Revises: 0001_base
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_patrols"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("patrols",)
depends_on: str | Sequence[str] | None = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "patrols",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("route_id", sa.String(length=48), nullable=False),
        sa.Column("slot_at", _when(), nullable=False),
        sa.Column("started_at", _when(), nullable=False),
        sa.Column("started_by", sa.String(length=128), nullable=False),
        sa.Column("completed_at", _when(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrols")),
    )
    op.create_index("ix_patrols_site_route_slot", "patrols", ["site_id", "route_id", "slot_at"], unique=False)
    op.create_table(
        "patrol_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patrol_id", sa.Uuid(), nullable=False),
        sa.Column("checkpoint", sa.String(length=16), nullable=False),
        sa.Column("visited_at", _when(), nullable=False),
        sa.Column("visited_by", sa.String(length=128), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("finding", sa.Boolean(), nullable=False),
        sa.Column("work_order_code", sa.String(length=24), nullable=True),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patrol_id"], ["patrols.id"], name=op.f("fk_patrol_visits_patrol_id_patrols"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_visits")),
        sa.UniqueConstraint("patrol_id", "checkpoint", name="uq_patrol_visits_patrol_checkpoint"),
    )
    op.create_index(op.f("ix_patrol_visits_patrol_id"), "patrol_visits", ["patrol_id"], unique=False)
    op.create_table(
        "patrol_sensor_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patrol_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("noted_at", _when(), nullable=False),
        sa.Column("noted_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["patrol_id"], ["patrols.id"], name=op.f("fk_patrol_sensor_notes_patrol_id_patrols"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_sensor_notes")),
        sa.UniqueConstraint("patrol_id", "key", name="uq_patrol_sensor_notes_patrol_key"),
    )
    op.create_index(op.f("ix_patrol_sensor_notes_patrol_id"), "patrol_sensor_notes", ["patrol_id"], unique=False)
    op.create_table(
        "patrol_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("route_id", sa.String(length=48), nullable=False),
        sa.Column("slot_at", _when(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("noticed_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_notices")),
        sa.UniqueConstraint("site_id", "route_id", "slot_at", "kind", name="uq_patrol_notices_slot_kind"),
    )


def downgrade() -> None:
    op.drop_table("patrol_notices")
    op.drop_index(op.f("ix_patrol_sensor_notes_patrol_id"), table_name="patrol_sensor_notes")
    op.drop_table("patrol_sensor_notes")
    op.drop_index(op.f("ix_patrol_visits_patrol_id"), table_name="patrol_visits")
    op.drop_table("patrol_visits")
    op.drop_index("ix_patrols_site_route_slot", table_name="patrols")
    op.drop_table("patrols")
