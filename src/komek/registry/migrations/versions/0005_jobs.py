"""Batch jobs: the `jobs` table (the record of every simulation, scoring and audit run), and on
PostgreSQL the queue that carries them to the workers (procrastinate's schema, as its
SchemaManager gives it for the pinned version), so `komek migrate` sets up everything.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _queue_schema() -> str:
    from procrastinate.schema import SchemaManager
    return SchemaManager.get_schema()


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", ID, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("step", sa.Text(), nullable=True),
        sa.Column("submitted_by", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("folder", sa.String(), nullable=True),
    )
    op.create_index("ix_jobs_state", "jobs", ["state"])
    if op.get_bind().dialect.name == "postgresql":
        # On the migration's own connection and transaction, as one script without parameters
        # (the script's `%` are its own, not placeholders).
        op.get_bind().connection.driver_connection.execute(_queue_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # What the schema creates, by name: tables (their triggers go with them), functions, types.
        schema = _queue_schema()
        for kind in ("TABLE", "FUNCTION", "TYPE"):
            for name in reversed(re.findall(rf"^CREATE {kind} (\w+)", schema, re.MULTILINE)):
                op.get_bind().exec_driver_sql(f"DROP {kind} IF EXISTS {name} CASCADE")
    op.drop_index("ix_jobs_state", "jobs")
    op.drop_table("jobs")
