"""Notifications: the outbox that every change writes its message into, in its own transaction,
and the worker's relay delivers exactly once (docs/cases.md).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", ID, primary_key=True),
        sa.Column("delivery_id", sa.String(36), nullable=False, unique=True),
        sa.Column("key", sa.String(200), nullable=True, unique=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("iin", sa.String(12), nullable=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("about", sa.String(200), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_notifications_due", "notifications", ["state", "next_attempt"])
    op.create_index("ix_notifications_iin", "notifications", ["iin"])
    op.create_index("ix_notifications_about", "notifications", ["about"])


def downgrade() -> None:
    for name in ("about", "iin", "due"):
        op.drop_index(f"ix_notifications_{name}", "notifications")
    op.drop_table("notifications")
