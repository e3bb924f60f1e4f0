"""Accounts (roles, regions, sign-in lockout), the access log of reads of personal data, and the
audit findings looked up by household (a household card).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("regions", sa.String(), nullable=True),
        sa.Column("iin", sa.String(12), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "access_log",
        sa.Column("id", ID, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("subject_iin", sa.String(12), nullable=True),
        sa.Column("household_id", sa.String(), nullable=True),
        sa.Column("what", sa.String(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("allowed", sa.Boolean(), nullable=False),
    )
    for c in ("at", "actor", "subject_iin", "household_id"):
        op.create_index(f"ix_access_log_{c}", "access_log", [c])
    op.create_index("ix_audit_findings_household_id", "audit_findings", ["household_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_findings_household_id", "audit_findings")
    op.drop_table("access_log")
    op.drop_table("accounts")
