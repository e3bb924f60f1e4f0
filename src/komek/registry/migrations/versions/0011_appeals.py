"""Appeals to a supervisor against a decision on an application, their append-only history and
the idempotency keys they are filed with (docs/cases.md, "Appeals").

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-12
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "appeals",
        sa.Column("id", ID, primary_key=True),
        sa.Column("application_id", ID, sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("decision_id", ID, sa.ForeignKey("application_transitions.id"), nullable=False),
        sa.Column("appellant_iin", sa.String(12), nullable=False),
        sa.Column("region_code", sa.String(2), nullable=False),
        sa.Column("phone", sa.String(16), nullable=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("filed", TZ, nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("decided", TZ, nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("supervisor", sa.String(64), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("amount_tiyn", sa.BigInteger(), nullable=True),
        sa.Column("basis", sa.Text(), nullable=True),
        sa.Column("escalated", TZ, nullable=True),
        sa.Column("escalated_to", sa.String(200), nullable=True),
    )
    for column in ("application_id", "appellant_iin", "region_code", "state"):
        op.create_index(f"ix_appeals_{column}", "appeals", [column])
    op.create_table(
        "appeal_history",
        sa.Column("id", ID, primary_key=True),
        sa.Column("appeal_id", ID, sa.ForeignKey("appeals.id"), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_appeal_history_appeal_id", "appeal_history", ["appeal_id"])
    op.create_table(
        "appeal_keys",
        sa.Column("account", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("appeal_id", ID, sa.ForeignKey("appeals.id"), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("appeal_keys")
    op.drop_index("ix_appeal_history_appeal_id", "appeal_history")
    op.drop_table("appeal_history")
    for column in ("state", "region_code", "appellant_iin", "application_id"):
        op.drop_index(f"ix_appeals_{column}", "appeals")
    op.drop_table("appeals")
