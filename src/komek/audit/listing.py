"""The findings list for auditors: saved findings filtered and ordered by severity, then amount
at risk (largest first), and a summary per check. IINs are masked unless the full number is
asked for: an auditor who must identify a person asks, a list passed around does not."""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

import polars as pl
from sqlalchemy import and_, func, or_, select

from komek.audit import SEVERITY_ORDER, config, severity_rank
from komek.audit.review import review_summary
from komek.errors import FieldError, Forbidden, NotFound
from komek.kz import regions
from komek.kz.iin import mask_expr
from komek.money import MONEY
from komek.periods import MONTH
from komek.registry.db import engine, require_current
from komek.registry.models import AuditFinding

STATES = ("open", "confirmed", "dismissed")
LANES = ("rule", "anomaly")
COLUMNS = {"finding_id": pl.String, "check": pl.String, "lane": pl.String, "severity": pl.String,
           "review_state": pl.String, "month": pl.String, "region_code": pl.String, "measure": pl.String,
           "iin": pl.String, "household_id": pl.String, "payment_id": pl.String, "amount_paid": MONEY,
           "amount_at_risk": MONEY, "recovery_amount": MONEY, "evidence": pl.String, "dismiss_reason": pl.String,
           "reviewer": pl.String}
PERSONAL = ("iin", "payment_id", "evidence", "dismiss_reason")   # text that may carry an IIN


@dataclass(frozen=True)
class Filters:
    """What an auditor narrows the list to; None is any. Unknown values are refused, naming the filter."""
    check: str | None = None
    region: str | None = None
    state: str | None = None
    severity: str | None = None
    month: str | None = None
    lane: str | None = None
    household: str | None = None
    iin: str | None = None
    regions: tuple[str, ...] = ()      # within these regions only (an auditor's); empty: national

    def validate(self) -> Filters:
        known = {"check": [*config()["checks"], "anomaly"], "region": list(regions()), "state": list(STATES),
                 "severity": list(SEVERITY_ORDER), "lane": list(LANES)}
        for option, allowed in known.items():
            given = getattr(self, option)
            if given is not None and given not in allowed:
                raise FieldError(option, f"unknown {option} {given!r} (one of: {', '.join(allowed)})")
        if self.region is not None and self.regions and self.region not in self.regions:
            raise Forbidden(f"region {self.region} is not one this account covers ({', '.join(self.regions)})")
        if self.month is not None and not MONTH.fullmatch(self.month):
            raise FieldError("month", f"{self.month!r} is not a month (YYYY-MM)")
        return self

    def where(self) -> list:
        t = AuditFinding.__table__
        columns = {"check": t.c.check, "region": t.c.region_code, "state": t.c.review_state,
                   "severity": t.c.severity, "month": t.c.month, "lane": t.c.lane, "household": t.c.household_id,
                   "iin": t.c.iin}
        where = [col == getattr(self, name) for name, col in columns.items() if getattr(self, name) is not None]
        return where + ([t.c.region_code.in_(self.regions)] if self.regions else [])


def _saved(url: str) -> None:
    require_current(url)
    with engine(url).connect() as conn:
        if conn.execute(select(AuditFinding.__table__.c.finding_id).limit(1)).first() is None:
            raise NotFound("no audit findings in this database: an audit has not been saved to it")


def count_findings(url: str, filters: Filters = Filters()) -> int:
    _saved(url)
    with engine(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(AuditFinding.__table__).where(*filters.validate().where())).scalar()


def position(row: dict) -> tuple[int, Decimal, str]:
    """Where a finding stands in the list's order: its severity's rank, amount at risk and id."""
    return severity_rank(row["severity"]), Decimal(row["amount_at_risk"]), row["finding_id"]


def list_findings(url: str, filters: Filters = Filters(), limit: int | None = None, full_iin: bool = False,
                  checked: bool = False, after: tuple[int, Decimal, str] | None = None) -> pl.DataFrame:
    """Findings as a frame (COLUMNS), most severe first, then the largest amount at risk, then the
    id; `after`, the `position` of the last row of a page, starts the next one. `checked`: the
    caller has already found the schema current (a card read from the database), so an empty
    list is an answer, not "no audit saved"."""
    if not checked:
        _saved(url)
    t = AuditFinding.__table__
    rank, amount, fid = t.c.severity_rank, t.c.amount_at_risk, t.c.finding_id
    q = select(*(t.c[c] for c in COLUMNS)).where(*filters.validate().where())
    if after is not None:
        r, a, f = after
        q = q.where(or_(rank > r, and_(rank == r, amount < a), and_(rank == r, amount == a, fid > f)))
    with engine(url).connect() as conn:
        rows = conn.execute(q.order_by(rank, amount.desc(), fid).limit(limit)).all()
    frame = pl.DataFrame([tuple(r) for r in rows], schema=COLUMNS, orient="row")
    return frame if full_iin else masked(frame)


def masked(frame: pl.DataFrame) -> pl.DataFrame:
    """The findings with every IIN in their text masked."""
    return frame.with_columns(mask_expr(pl.col(c)) for c in PERSONAL)


def summary(url: str, filters: Filters = Filters()) -> pl.DataFrame:
    """Per check: findings, amount at risk, the shares open, confirmed and dismissed of all its
    findings, and (from the review) the share dismissed of those reviewed."""
    _saved(url)
    frame = review_summary(url, filters.validate().where()).rename({"dismissed_share": "dismissed_of_reviewed"})
    return frame.with_columns(**{f"{s}_share": pl.col(s) / pl.col("findings") for s in STATES}).select(
        "check", "findings", "amount_at_risk", *STATES, *(f"{s}_share" for s in STATES), "dismissed_of_reviewed",
        "recovery")


def to_json(frame: pl.DataFrame) -> str:
    """Findings as a JSON array: amounts as numbers, evidence as the object it encodes."""
    rows = frame.with_columns(pl.col(pl.Decimal).cast(pl.Float64)).to_dicts()
    for r in rows:
        if "evidence" in r and r["evidence"] is not None:
            r["evidence"] = json.loads(r["evidence"])
    return json.dumps(rows, ensure_ascii=False, indent=2)
