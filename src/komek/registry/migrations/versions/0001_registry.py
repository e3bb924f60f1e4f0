"""The registry: one table per contract table (contract version 1), the ingestion log, the quarantine.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

IIN, REGION, PERIOD, CODE = sa.String(12), sa.String(2), sa.String(7), sa.String(20)
MONEY = sa.Numeric(precision=14, scale=2)


def col(name, type_, required=True):
    return sa.Column(name, type_, nullable=not required)


def record_table(name, key, *columns, indexes=()):
    """A contract table: its columns, the extract stamp, the contract key as primary key."""
    op.create_table(name, *columns, col("extract_as_of", sa.Date()), sa.PrimaryKeyConstraint(*key))
    for c in indexes:
        op.create_index(f"ix_{name}_{c}", name, [c])


def upgrade() -> None:
    record_table("persons", ["iin"],
                 col("iin", IIN), col("birth_date", sa.Date()), col("sex", CODE), col("death_date", sa.Date(), False),
                 col("citizenship", sa.String()), col("last_name", sa.String()), col("first_name", sa.String()),
                 col("patronymic", sa.String(), False))
    record_table("households", ["household_id", "iin", "from_date"],
                 col("household_id", sa.String()), col("iin", IIN), col("role", CODE), col("from_date", sa.Date()),
                 col("to_date", sa.Date(), False), indexes=["iin"])
    record_table("addresses", ["iin", "registered_from"],
                 col("iin", IIN), col("region_code", REGION), col("locality_code", sa.String()), col("urban", sa.Boolean()),
                 col("registered_from", sa.Date()), col("registered_to", sa.Date(), False))
    record_table("incomes", ["iin", "month", "kind", "source"],
                 col("iin", IIN), col("month", PERIOD), col("kind", CODE), col("amount", MONEY), col("source", sa.String()))
    record_table("contributions", ["iin", "month", "employer_bin"],
                 col("iin", IIN), col("month", PERIOD), col("opv", MONEY), col("opvr", MONEY), col("employer_bin", IIN))
    record_table("disability", ["iin", "valid_from"],
                 col("iin", IIN), col("group", CODE), col("cause", CODE), col("valid_from", sa.Date()),
                 col("valid_to", sa.Date(), False), col("exam_id", sa.String()))
    record_table("medical_exams", ["exam_id"],
                 col("exam_id", sa.String()), col("iin", IIN), col("exam_date", sa.Date()), col("outcome", CODE),
                 indexes=["iin"])
    record_table("housing", ["household_id", "quarter"],
                 col("household_id", sa.String()), col("quarter", PERIOD), col("area_m2", sa.Float()), col("tenure", CODE),
                 col("only_home", sa.Boolean()), col("utilities", MONEY), col("maintenance", MONEY),
                 col("communication", MONEY), col("rent", MONEY))
    record_table("assets", ["asset_id"],
                 col("asset_id", sa.String()), col("iin", IIN), col("kind", CODE), col("value", MONEY),
                 col("acquired", sa.Date()), col("disposed", sa.Date(), False), indexes=["iin"])
    record_table("employment", ["iin", "employer_bin", "start_date"],
                 col("iin", IIN), col("employer_bin", IIN), col("start_date", sa.Date()), col("end_date", sa.Date(), False),
                 col("occupation_code", sa.String()), col("region_code", REGION), col("wage", MONEY))
    record_table("payments", ["payment_id"],
                 col("payment_id", sa.String()), col("iin", IIN), col("household_id", sa.String(), False),
                 col("measure", sa.String()), col("month", PERIOD), col("amount", MONEY), col("region_code", REGION),
                 indexes=["iin", "household_id"])
    record_table("border_crossings", ["iin", "date", "direction"],
                 col("iin", IIN), col("date", sa.Date()), col("direction", CODE))
    record_table("jobseekers", ["iin", "registered"],
                 col("iin", IIN), col("region_code", REGION), col("occupation_code", sa.String()),
                 col("registered", sa.Date()), col("status", CODE), col("wage", MONEY, False))
    record_table("vacancies", ["vacancy_id"],
                 col("vacancy_id", sa.String()), col("employer_bin", IIN), col("region_code", REGION),
                 col("occupation_code", sa.String()), col("posted", sa.Date()), col("status", CODE), col("wage", MONEY))
    record_table("injuries", ["case_id"],
                 col("case_id", sa.String()), col("employer_bin", IIN), col("iin", IIN), col("date", sa.Date()),
                 col("severity", CODE), col("occupation_code", sa.String(), False), indexes=["iin"])

    op.create_table("ingestions",
                    col("id", sa.Integer()), col("folder", sa.String()), col("extract_id", sa.String(), False),
                    col("as_of", sa.Date()), col("started", sa.DateTime(timezone=True)),
                    col("finished", sa.DateTime(timezone=True), False), col("status", sa.String(16)),
                    col("report", sa.Text(), False), sa.PrimaryKeyConstraint("id"))
    op.create_table("quarantine",
                    col("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")), col("ingestion_id", sa.Integer()),
                    col("table_name", sa.String(64)), col("row", sa.BigInteger()), col("reason", sa.Text()),
                    col("record", sa.Text()),
                    sa.ForeignKeyConstraint(["ingestion_id"], ["ingestions.id"], ondelete="CASCADE"),
                    sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_quarantine_ingestion_id", "quarantine", ["ingestion_id"])


def downgrade() -> None:
    for name in ("quarantine", "ingestions", "injuries", "vacancies", "jobseekers", "border_crossings", "payments",
                 "employment", "assets", "housing", "medical_exams", "disability", "contributions", "incomes",
                 "addresses", "households", "persons"):
        op.drop_table(name)   # drops its indexes too
