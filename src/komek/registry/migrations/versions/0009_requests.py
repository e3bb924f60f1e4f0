"""Citizen requests to an office, their append-only history of state changes, and the
idempotency keys they are filed with (docs/cases.md, "Citizen requests").

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", ID, primary_key=True),
        sa.Column("iin", sa.String(12), nullable=False),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("region_code", sa.String(2), nullable=False),
        sa.Column("locality", sa.String(200), nullable=False),
        sa.Column("street", sa.String(200), nullable=True),
        sa.Column("building", sa.String(50), nullable=True),
        sa.Column("place_key", sa.String(460), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("submitted", TZ, nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("answered_at", TZ, nullable=True),
        sa.Column("resolved_at", TZ, nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("repeats_id", ID, sa.ForeignKey("requests.id"), nullable=True),
        sa.Column("repeat_count", sa.Integer(), nullable=False),
        sa.Column("filed_by", sa.String(64), nullable=False),
        sa.Column("filed_by_role", sa.String(20), nullable=False),
    )
    for column in ("iin", "region_code", "state", "repeats_id"):
        op.create_index(f"ix_requests_{column}", "requests", [column])
    op.create_index("ix_requests_place", "requests", ["region_code", "category", "place_key"])
    op.create_index("ix_requests_point", "requests", ["region_code", "category", "latitude"])
    op.create_table(
        "request_history",
        sa.Column("id", ID, primary_key=True),
        sa.Column("request_id", ID, sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_request_history_request_id", "request_history", ["request_id"])
    op.create_table(
        "request_keys",
        sa.Column("account", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("request_id", ID, sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("request_keys")
    op.drop_index("ix_request_history_request_id", "request_history")
    op.drop_table("request_history")
    for name in ("point", "place", "repeats_id", "state", "region_code", "iin"):
        op.drop_index(f"ix_requests_{name}", "requests")
    op.drop_table("requests")
