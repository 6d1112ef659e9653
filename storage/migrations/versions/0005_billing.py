"""Metered billing, on branch `billing`: statements and their lines, meter replacements, webhook deliveries.

Written by hand to match billing/orm.py; tests/integration/billing/test_schema.py checks that the migrated
schema and the models agree. Triggers make a final statement and its lines immutable in the database itself
(PostgreSQL and SQLite): corrections are new adjusting statements.

Revision ID: 0005_billing
Revises: 0001_base
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_billing"
down_revision: str | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("billing",)
depends_on: str | Sequence[str] | None = None

STATUSES = "status IN ('draft', 'final')"
KINDS = "kind IN ('adjustment', 'regular')"
FINAL_MESSAGE = "billing statement is final and cannot change; issue an adjusting statement"

POSTGRES_TRIGGERS = [
    f"""
    CREATE FUNCTION billing_refuse_final_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{FINAL_MESSAGE} (%)', OLD.id;
    END $$
    """,
    """
    CREATE TRIGGER billing_statements_final_immutable BEFORE UPDATE OR DELETE ON billing_statements
    FOR EACH ROW WHEN (OLD.status = 'final') EXECUTE FUNCTION billing_refuse_final_change()
    """,
    f"""
    CREATE FUNCTION billing_refuse_final_line_change() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        owner uuid;
    BEGIN
        IF TG_OP = 'INSERT' THEN owner := NEW.statement_id; ELSE owner := OLD.statement_id; END IF;
        IF EXISTS (SELECT 1 FROM billing_statements WHERE id = owner AND status = 'final') THEN
            RAISE EXCEPTION '{FINAL_MESSAGE} (%)', owner;
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END $$
    """,  # noqa: S608 (constants only)
    """
    CREATE TRIGGER billing_statement_lines_final_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON billing_statement_lines
    FOR EACH ROW EXECUTE FUNCTION billing_refuse_final_line_change()
    """,
]


def _sqlite_trigger(name: str, event: str, table: str, condition: str) -> str:
    return f"""
    CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN {condition}
    BEGIN SELECT RAISE(ABORT, '{FINAL_MESSAGE}'); END
    """


def _line_owner_final(ref: str) -> str:
    return f"(SELECT status FROM billing_statements WHERE id = {ref}.statement_id) = 'final'"  # noqa: S608 (NEW/OLD)


SQLITE_TRIGGERS = [
    _sqlite_trigger("billing_statements_final_no_update", "UPDATE", "billing_statements", "OLD.status = 'final'"),
    _sqlite_trigger("billing_statements_final_no_delete", "DELETE", "billing_statements", "OLD.status = 'final'"),
    _sqlite_trigger("billing_lines_final_no_insert", "INSERT", "billing_statement_lines", _line_owner_final("NEW")),
    _sqlite_trigger("billing_lines_final_no_update", "UPDATE", "billing_statement_lines", _line_owner_final("OLD")),
    _sqlite_trigger("billing_lines_final_no_delete", "DELETE", "billing_statement_lines", _line_owner_final("OLD")),
]


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _decimal() -> sa.String:
    return sa.String(48)


def _statement_fk(table: str, ondelete: str | None = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["statement_id"], ["billing_statements.id"], name=op.f(f"fk_{table}_statement_id_billing_statements"),
        ondelete=ondelete,
    )  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "billing_statements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("building_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total", _decimal(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("vacant", sa.Boolean(), nullable=False),
        sa.Column("adjusts_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("finalized_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_statements")),
        sa.UniqueConstraint(
            "site_id", "unit_id", "period", "kind", "sequence", name=op.f("uq_billing_statements_unit_period")
        ),
        sa.ForeignKeyConstraint(
            ["adjusts_id"], ["billing_statements.id"], name=op.f("fk_billing_statements_adjusts_id_billing_statements")
        ),
        sa.CheckConstraint(STATUSES, name=op.f("ck_billing_statements_status")),
        sa.CheckConstraint(KINDS, name=op.f("ck_billing_statements_kind")),
    )
    op.create_index(op.f("ix_billing_statements_site_period"), "billing_statements", ["site_id", "period"])

    op.create_table(
        "billing_statement_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("statement_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.String(64), nullable=False),
        sa.Column("utility", sa.String(16), nullable=False),
        sa.Column("uom", sa.String(8), nullable=False),
        sa.Column("start_value", _decimal(), nullable=True),
        sa.Column("start_ts", _when(), nullable=True),
        sa.Column("start_method", sa.String(32), nullable=True),
        sa.Column("end_value", _decimal(), nullable=True),
        sa.Column("end_ts", _when(), nullable=True),
        sa.Column("end_method", sa.String(32), nullable=True),
        sa.Column("consumption", _decimal(), nullable=True),
        sa.Column("amount", _decimal(), nullable=False),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("estimate_method", sa.Text(), nullable=True),
        sa.Column("review", sa.Text(), nullable=True),
        sa.Column("charges", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("replacements", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_statement_lines")),
        sa.UniqueConstraint("statement_id", "position", name=op.f("uq_billing_statement_lines_position")),
        _statement_fk("billing_statement_lines"),
    )
    op.create_index(op.f("ix_billing_statement_lines_meter_id"), "billing_statement_lines", ["meter_id"])

    op.create_table(
        "billing_meter_replacements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("meter_id", sa.String(64), nullable=False),
        sa.Column("replaced_at", _when(), nullable=False),
        sa.Column("old_final", _decimal(), nullable=False),
        sa.Column("new_initial", _decimal(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", _when(), nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_meter_replacements")),
        sa.UniqueConstraint(
            "site_id", "meter_id", "replaced_at", name=op.f("uq_billing_meter_replacements_meter_time")
        ),
    )

    op.create_table(
        "billing_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("statement_id", sa.Uuid(), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.Column("delivered_at", _when(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_deliveries")),
        sa.UniqueConstraint("statement_id", "target", name=op.f("uq_billing_deliveries_statement_target")),
        _statement_fk("billing_deliveries"),
    )

    dialect = op.get_bind().dialect.name
    for statement in POSTGRES_TRIGGERS if dialect == "postgresql" else SQLITE_TRIGGERS if dialect == "sqlite" else []:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS billing_statement_lines_final_immutable ON billing_statement_lines")
        op.execute("DROP TRIGGER IF EXISTS billing_statements_final_immutable ON billing_statements")
        op.execute("DROP FUNCTION IF EXISTS billing_refuse_final_line_change()")
        op.execute("DROP FUNCTION IF EXISTS billing_refuse_final_change()")
    # SQLite drops a table's triggers with the table.
    op.drop_table("billing_deliveries")
    op.drop_table("billing_meter_replacements")
    op.drop_index(op.f("ix_billing_statement_lines_meter_id"), table_name="billing_statement_lines")
    op.drop_table("billing_statement_lines")
    op.drop_index(op.f("ix_billing_statements_site_period"), table_name="billing_statements")
    op.drop_table("billing_statements")
