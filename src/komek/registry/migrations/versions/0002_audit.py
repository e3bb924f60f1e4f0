"""The social audit's findings and their review state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=14, scale=2)


def upgrade() -> None:
    op.create_table(
        "audit_findings",
        sa.Column("finding_id", sa.String(17), primary_key=True),
        sa.Column("check", sa.String(64), nullable=False),
        sa.Column("lane", sa.String(20), nullable=False),
        sa.Column("payment_id", sa.String(), nullable=True),
        sa.Column("iin", sa.String(12), nullable=False),
        sa.Column("household_id", sa.String(), nullable=True),
        sa.Column("region_code", sa.String(2), nullable=True),
        sa.Column("month", sa.String(7), nullable=True),
        sa.Column("measure", sa.String(), nullable=True),
        sa.Column("amount_paid", MONEY, nullable=True),
        sa.Column("amount_at_risk", MONEY, nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("rule_version", sa.String(), nullable=False),
        sa.Column("review_state", sa.String(20), nullable=False),
        sa.Column("recovery_amount", MONEY, nullable=True),
        sa.Column("dismiss_reason", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_found", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_found", sa.DateTime(timezone=True), nullable=False),
    )
    for c in ("check", "iin", "review_state"):
        op.create_index(f"ix_audit_findings_{c}", "audit_findings", [c])


def downgrade() -> None:
    op.drop_table("audit_findings")
