"""The audit's findings in the registry database, with their review state.

A finding is open until an auditor confirms it (with the amount to recover) or dismisses it
(with a reason). Re-running an audit refreshes a finding's facts and never its review.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from komek.registry.models import Base, Code, Iin, Period, Region


class AuditFinding(Base):
    __tablename__ = "audit_findings"
    finding_id: Mapped[str] = mapped_column(String(17), primary_key=True)
    check: Mapped[str] = mapped_column(String(64), index=True)
    lane: Mapped[Code]                      # rule or anomaly
    payment_id: Mapped[str | None]
    iin: Mapped[Iin] = mapped_column(index=True)
    household_id: Mapped[str | None]
    region_code: Mapped[Region | None]
    month: Mapped[Period | None]
    measure: Mapped[str | None]
    amount_paid: Mapped[Decimal | None]
    amount_at_risk: Mapped[Decimal]
    evidence: Mapped[str] = mapped_column(Text)          # JSON naming the records
    severity: Mapped[Code]
    rule_version: Mapped[str]
    review_state: Mapped[Code] = mapped_column(index=True)   # open, confirmed, dismissed
    recovery_amount: Mapped[Decimal | None]
    dismiss_reason: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str | None]
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    first_found: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_found: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
