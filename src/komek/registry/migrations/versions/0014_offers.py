"""Proactive offers: the optional contacts source (mobile numbers from eGov's mobile citizens
database), the offers an event creates, the consents given or refused, and the log of every
inbound SMS (docs/cases.md, "Proactive offers").

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-12
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TZ = sa.DateTime(timezone=True)
OPEN = sa.text("state IN ('sent', 'not_sent')")


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("iin", sa.String(12), nullable=False),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("source_system", sa.String(), nullable=False),
        sa.Column("extract_as_of", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("iin", "phone"),
    )
    op.create_table(
        "offers",
        sa.Column("id", ID, primary_key=True),
        sa.Column("event_kind", sa.String(20), nullable=False),
        sa.Column("event_key", sa.String(120), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("iin", sa.String(12), nullable=False),
        sa.Column("beneficiary_iin", sa.String(12), nullable=True),
        sa.Column("household_id", sa.String(), nullable=False),
        sa.Column("region_code", sa.String(2), nullable=False),
        sa.Column("measure", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("amount_tiyn", sa.BigInteger(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("rules_version", sa.String(), nullable=False),
        sa.Column("extract_as_of", sa.Date(), nullable=False),
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("phone", sa.String(16), nullable=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("why_not_sent", sa.Text(), nullable=True),
        sa.Column("created", TZ, nullable=False),
        sa.Column("reply_by", sa.Date(), nullable=False),
        sa.Column("decided", TZ, nullable=True),
        sa.Column("application_id", ID, sa.ForeignKey("applications.id"), nullable=True),
        sa.UniqueConstraint("event_key", "measure", name="uq_offers_event"),
    )
    for column in ("iin", "household_id", "state"):
        op.create_index(f"ix_offers_{column}", "offers", [column])
    op.create_index("uq_offers_open_code", "offers", ["code"], unique=True, postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_table(
        "consents",
        sa.Column("id", ID, primary_key=True),
        sa.Column("offer_id", ID, sa.ForeignKey("offers.id"), nullable=False),
        sa.Column("given", sa.Boolean(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("text_shown", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("phone", sa.String(16), nullable=True),
        sa.Column("account", sa.String(64), nullable=True),
    )
    op.create_index("ix_consents_offer_id", "consents", ["offer_id"])
    op.create_table(
        "inbound_messages",
        sa.Column("id", ID, primary_key=True),
        sa.Column("message_id", sa.String(200), nullable=False, unique=True),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received", TZ, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("offer_id", ID, sa.ForeignKey("offers.id"), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("inbound_messages")
    op.drop_index("ix_consents_offer_id", "consents")
    op.drop_table("consents")
    op.drop_index("uq_offers_open_code", "offers")
    for column in ("state", "household_id", "iin"):
        op.drop_index(f"ix_offers_{column}", "offers")
    op.drop_table("offers")
    op.drop_table("contacts")
