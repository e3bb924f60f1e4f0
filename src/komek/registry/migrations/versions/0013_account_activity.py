"""The optional account_activity table: expenditure transactions per month on the account a
person's social payments are credited to (contract table, docs/data-contract.md).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-12
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_activity",
        sa.Column("iin", sa.String(12), nullable=False),
        sa.Column("account", sa.String(34), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("expenditures", sa.Integer(), nullable=False),
        sa.Column("extract_as_of", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("iin", "account", "month"),
    )


def downgrade() -> None:
    op.drop_table("account_activity")
