"""The findings list read in index order: each finding keeps its severity's rank
(komek.audit.severity_rank), and two indexes hold the list's order, whole and per review state,
so a page of a national audit is read, not sorted whole.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

RANKS = {"high": 0, "medium": 1, "low": 2, "info": 3}     # komek.audit.SEVERITY_ORDER when this was written


def upgrade() -> None:
    op.add_column("audit_findings", sa.Column("severity_rank", sa.SmallInteger(), nullable=True))
    ranks = " ".join(f"WHEN '{s}' THEN {r}" for s, r in RANKS.items())
    op.execute(f"UPDATE audit_findings SET severity_rank = CASE severity {ranks} ELSE {len(RANKS)} END")
    with op.batch_alter_table("audit_findings") as table:
        table.alter_column("severity_rank", existing_type=sa.SmallInteger(), nullable=False)
    op.create_index("ix_findings_order", "audit_findings",
                    ["severity_rank", sa.text("amount_at_risk DESC"), "finding_id"])
    op.create_index("ix_findings_state_order", "audit_findings",
                    ["review_state", "severity_rank", sa.text("amount_at_risk DESC"), "finding_id"])


def downgrade() -> None:
    op.drop_index("ix_findings_state_order", "audit_findings")
    op.drop_index("ix_findings_order", "audit_findings")
    with op.batch_alter_table("audit_findings") as table:
        table.drop_column("severity_rank")
