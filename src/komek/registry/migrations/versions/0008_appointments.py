"""Appointments: slots, reservations (at most one live per slot, by a partial unique index),
their fee payments and the append-only history of each reservation.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)
LIVE = sa.text("state IN ('held', 'booked')")


def upgrade() -> None:
    op.create_table(
        "slots",
        sa.Column("id", ID, primary_key=True),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("office", sa.String(200), nullable=False),
        sa.Column("region_code", sa.String(2), nullable=False),
        sa.Column("starts", WHEN, nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("fee_tiyn", sa.BigInteger(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created", WHEN, nullable=False),
        sa.UniqueConstraint("service", "office", "starts", name="uq_slots_service_office_starts"),
        sa.CheckConstraint("capacity = 1", name="ck_slots_capacity_one"),
        sa.CheckConstraint("fee_tiyn IS NULL OR fee_tiyn > 0", name="ck_slots_fee_positive"),
    )
    op.create_index("ix_slots_service_region_starts", "slots", ["service", "region_code", "starts"])
    op.create_table(
        "fee_payments",
        sa.Column("id", ID, primary_key=True),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("pay_url", sa.Text(), nullable=False),
        sa.Column("amount_tiyn", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created", WHEN, nullable=False),
        sa.Column("paid", WHEN, nullable=True),
        sa.Column("refunded", WHEN, nullable=True),
        sa.Column("refund_reference", sa.String(64), nullable=True),
        sa.UniqueConstraint("provider", "reference", name="uq_fee_payments_provider_reference"),
        sa.CheckConstraint("amount_tiyn > 0", name="ck_fee_payments_amount_positive"),
    )
    op.create_index("ix_fee_payments_state", "fee_payments", ["state"])
    op.create_table(
        "reservations",
        sa.Column("id", ID, primary_key=True),
        sa.Column("slot_id", ID, sa.ForeignKey("slots.id"), nullable=False),
        sa.Column("person_iin", sa.String(12), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("held", WHEN, nullable=False),
        sa.Column("hold_until", WHEN, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("payment_id", ID, sa.ForeignKey("fee_payments.id"), nullable=True),
        sa.UniqueConstraint("person_iin", "idempotency_key", name="uq_reservations_person_key"),
        sa.UniqueConstraint("payment_id", name="uq_reservations_payment"),
    )
    # The database itself keeps a slot to one live reservation, whatever the code does.
    op.create_index("ux_reservations_live_slot", "reservations", ["slot_id"], unique=True,
                    postgresql_where=LIVE, sqlite_where=LIVE)
    op.create_index("ix_reservations_slot_id", "reservations", ["slot_id"])
    op.create_index("ix_reservations_person_iin", "reservations", ["person_iin"])
    op.create_index("ix_reservations_state_hold_until", "reservations", ["state", "hold_until"])
    op.create_table(
        "reservation_events",
        sa.Column("id", ID, primary_key=True),
        sa.Column("reservation_id", ID, sa.ForeignKey("reservations.id"), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("ix_reservation_events_reservation_id", "reservation_events", ["reservation_id"])


def downgrade() -> None:
    op.drop_table("reservation_events")
    op.drop_table("reservations")
    op.drop_table("fee_payments")
    op.drop_table("slots")
