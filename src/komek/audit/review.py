"""Findings into the database and the auditor's review: confirm (with the amount to recover) or
dismiss (with a reason). The share dismissed per check shows a check that cries wolf."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import polars as pl
from sqlalchemy import case, func, select

from komek.audit import severity_rank
from komek.errors import FieldError, ReviewError
from komek.registry.db import engine, require_current, session
from komek.registry.models import AuditFinding

REFRESHED = ["check", "lane", "payment_id", "iin", "household_id", "region_code", "month", "measure",
             "amount_paid", "amount_at_risk", "evidence", "severity", "rule_version"]


def save(url: str, frame: pl.DataFrame, batch: int = 20_000) -> dict[str, int]:
    """Insert new findings and refresh the facts of known ones; review state is kept."""
    require_current(url)
    now = dt.datetime.now(dt.UTC)
    table = AuditFinding.__table__
    new = updated = 0
    with engine(url).execution_options(immediate=True).begin() as conn:     # it reads, then writes
        known = set(conn.execute(select(table.c.finding_id)).scalars())
        rows = [dict(r, severity_rank=severity_rank(r["severity"])) for r in frame.to_dicts()]
        fresh = [dict(r, first_found=now, last_found=now) for r in rows if r["finding_id"] not in known]
        for i in range(0, len(fresh), batch):
            conn.execute(table.insert(), fresh[i:i + batch])
        seen = [dict({c: r[c] for c in (*REFRESHED, "severity_rank")}, fid=r["finding_id"], now=now) for r in rows if r["finding_id"] in known]
        if seen:
            from sqlalchemy import bindparam
            stmt = (table.update().where(table.c.finding_id == bindparam("fid"))
                    .values(**{c: bindparam(c) for c in (*REFRESHED, "severity_rank")}, last_found=bindparam("now")))
            conn.execute(stmt, seen)
        new, updated = len(fresh), len(seen)
    return {"new": new, "updated": updated}


def _open(s, finding_id: str) -> AuditFinding:
    f = s.get(AuditFinding, finding_id)
    if f is None:
        raise ReviewError(f"no finding {finding_id!r}")
    if f.review_state != "open":
        raise ReviewError(f"finding {finding_id} is already {f.review_state}")
    return f


def confirm(url: str, finding_id: str, recovery: Decimal | str | float, reviewer: str) -> None:
    """The auditor confirms the finding and states the amount to recover (0 if none)."""
    try:
        amount = Decimal(str(recovery)).quantize(Decimal("0.01"))
    except ArithmeticError:
        raise FieldError("confirm", f"{recovery!r} is not an amount in tenge") from None
    if amount < 0:
        raise ReviewError("the recovery amount cannot be negative")
    require_current(url)
    with session(url) as s:
        f = _open(s, finding_id)
        f.review_state, f.recovery_amount, f.reviewer = "confirmed", amount, reviewer
        f.reviewed_at = dt.datetime.now(dt.UTC)


def dismiss(url: str, finding_id: str, reason: str, reviewer: str) -> None:
    """The auditor dismisses the finding; the reason is required."""
    if not reason or not reason.strip():
        raise ReviewError("a dismissal needs a reason")
    require_current(url)
    with session(url) as s:
        f = _open(s, finding_id)
        f.review_state, f.dismiss_reason, f.reviewer = "dismissed", reason.strip(), reviewer
        f.reviewed_at = dt.datetime.now(dt.UTC)


def review_summary(url: str, where: Sequence = ()) -> pl.DataFrame:
    """Per check: findings, open, confirmed, dismissed, the share dismissed of those reviewed,
    the amount at risk and the amount confirmed for recovery (of the findings `where` selects)."""
    t = AuditFinding.__table__
    state = lambda s: func.sum(case((t.c.review_state == s, 1), else_=0))  # noqa: E731
    q = (select(t.c.check, func.count().label("findings"), state("open").label("open"), state("confirmed").label("confirmed"),
                state("dismissed").label("dismissed"), func.sum(t.c.amount_at_risk).label("amount_at_risk"),
                func.coalesce(func.sum(t.c.recovery_amount), 0).label("recovery"))
         .where(*where).group_by(t.c.check).order_by(t.c.check))
    with engine(url).connect() as conn:
        rows = conn.execute(q).all()
    frame = pl.DataFrame([tuple(r) for r in rows], orient="row", schema={
        "check": pl.String, "findings": pl.Int64, "open": pl.Int64, "confirmed": pl.Int64, "dismissed": pl.Int64,
        "amount_at_risk": pl.Float64, "recovery": pl.Float64})
    reviewed = pl.col("confirmed") + pl.col("dismissed")
    return frame.with_columns(dismissed_share=pl.when(reviewed > 0).then(pl.col("dismissed") / reviewed).otherwise(None))
