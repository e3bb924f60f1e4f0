"""What an applicant says the registry has wrong, kept with the application as JSON: each fact
with the registry's value shown, the right value and a comment, as sent. Declared by the
applicant, to be checked against documents; never applied to the registry.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("applications", sa.Column("corrections", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("applications") as table:
        table.drop_column("corrections")
