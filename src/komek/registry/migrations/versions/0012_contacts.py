"""The phone an application's or a reservation's person is told on by SMS, and the language of
the messages; none when no phone was given (the person is then not told by SMS).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-12
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = ("applications", "reservations")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as t:
            t.add_column(sa.Column("phone", sa.String(16), nullable=True))
            t.add_column(sa.Column("language", sa.String(2), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as t:
            t.drop_column("language")
            t.drop_column("phone")
