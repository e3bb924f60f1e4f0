"""Applications for a measure, their append-only transitions, the assignments an approval makes,
and the idempotency keys applications are filed with.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INDEXES = {"applications": ("applicant_iin", "household_id", "region_code", "state", "assessed"),
           "application_transitions": ("application_id",), "assignments": ("application_id", "iin", "household_id")}


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", ID, primary_key=True),
        sa.Column("applicant_iin", sa.String(12), nullable=False),
        sa.Column("household_id", sa.String(), nullable=False),
        sa.Column("measure", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("region_code", sa.String(2), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("submitted", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("clock_stopped", sa.Date(), nullable=True),
        sa.Column("stopped_days", sa.Integer(), nullable=False),
        sa.Column("filed_by", sa.String(64), nullable=False),
        sa.Column("filed_by_role", sa.String(20), nullable=False),
        sa.Column("assessed", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rules_version", sa.String(), nullable=True),
        sa.Column("eligible", sa.Boolean(), nullable=True),
        sa.Column("amount_tiyn", sa.BigInteger(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
    )
    op.create_table(
        "application_transitions",
        sa.Column("id", ID, primary_key=True),
        sa.Column("application_id", ID, sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_table(
        "assignments",
        sa.Column("id", ID, primary_key=True),
        sa.Column("application_id", ID, sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("measure", sa.String(64), nullable=False),
        sa.Column("iin", sa.String(12), nullable=True),
        sa.Column("household_id", sa.String(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("monthly_tiyn", sa.BigInteger(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("account", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("application_id", ID, sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    )
    for table, columns in INDEXES.items():
        for column in columns:
            op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, columns in INDEXES.items():
        for column in columns:
            op.drop_index(f"ix_{table}_{column}", table)
    for table in ("idempotency_keys", "assignments", "application_transitions", "applications"):
        op.drop_table(table)
