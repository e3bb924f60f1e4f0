"""Audit findings for someone signed in: the list page by page, one finding with its evidence,
the review, and the per-check summary. Auditors only (a finding names a person and a payment),
within the regions of the account (none listed: national); every read and refusal is logged,
one entry per person whose findings were shown.

A finding is a reason for a person to look, never a sanction: the review records what the
auditor decided and why.
"""
from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

from komek import access
from komek.audit import review as audit_review
from komek.audit.listing import Filters, count_findings, list_findings, masked, position, summary
from komek.errors import FieldError, Forbidden, NotFound, ReviewError
from komek.registry.db import session
from komek.registry.models import AuditFinding
from komek.services import handling

READERS = ("auditor",)
MAX_PAGE = 500


def _scoped(actor: access.Actor, url: str, what: str, filters: Filters, purpose: str | None,
            client: str | None) -> Filters:
    """The filters narrowed to the actor's regions; a role that may not read findings is refused (logged)."""
    if actor.role not in READERS:
        access.record(url, actor, what, purpose=purpose, source=client, allowed=False)
        raise Forbidden(f"a {actor.role} does not read audit findings")
    try:
        return dataclasses.replace(filters, regions=actor.regions).validate()
    except Forbidden:
        access.record(url, actor, what, purpose=purpose, source=client, allowed=False)
        raise


def _plain(row: dict) -> dict:
    out = {k: float(v) if isinstance(v, Decimal) else v for k, v in row.items()}
    if out.get("evidence") is not None:
        out["evidence"] = json.loads(out["evidence"])
    return out


def findings_page(actor: access.Actor, url: str, filters: Filters, cursor: str | None = None, limit: int = 50,
                  full_iin: bool = False, purpose: str | None = None, client: str | None = None) -> dict:
    """One page of the list, most severe and largest at risk first; `next_cursor` is None on the last."""
    scope = _scoped(actor, url, "findings list", filters, purpose, client)
    if not 1 <= limit <= MAX_PAGE:
        raise FieldError("limit", f"from 1 to {MAX_PAGE}")
    after = handling.cursor(cursor, int, Decimal, str) if cursor else None
    full = list_findings(url, scope, limit + 1, full_iin=True, after=after)
    shown = full.head(limit)
    rows = (shown if full_iin else masked(shown)).to_dicts()
    iins = sorted(set(shown["iin"].to_list()))
    access.record(url, actor, "findings list (full IINs)" if full_iin else "findings list", iins=iins or [None],
                  purpose=purpose, source=client)
    return {"items": [_plain(r) for r in rows], "total": count_findings(url, scope),
            "next_cursor": handling.token(position(rows[-1])) if full.height > limit else None}


def _owned(s, actor: access.Actor, url: str, finding_id: str, what: str, purpose: str | None,
           client: str | None) -> AuditFinding:
    """The finding, if the actor may see it: another region's is "not found", and logged as refused."""
    if actor.role not in READERS:
        access.record(url, actor, what, purpose=purpose, source=client, allowed=False)
        raise Forbidden(f"a {actor.role} does not read audit findings")
    f = s.get(AuditFinding, finding_id)
    if f is None or (actor.regions and f.region_code not in actor.regions):
        if f is not None:
            access.record(url, actor, what, iin=f.iin, purpose=purpose, source=client, allowed=False)
        raise NotFound(f"finding {finding_id!r}: not among the findings this account covers")
    return f


def _whole(f: AuditFinding) -> dict:
    row = {c.name: getattr(f, c.name) for c in AuditFinding.__table__.columns}
    row |= {k: row[k].isoformat() for k in ("reviewed_at", "first_found", "last_found") if row[k] is not None}
    return _plain(row)


def finding(actor: access.Actor, url: str, finding_id: str, purpose: str | None = None,
            client: str | None = None) -> dict:
    """One finding whole: the payment, the person (full IIN: the auditor identifies), the evidence, the review."""
    with session(url) as s:
        f = _owned(s, actor, url, finding_id, "finding with evidence", purpose, client)
        data = _whole(f)
    access.record(url, actor, "finding with evidence", iin=data["iin"], household_id=data["household_id"],
                  purpose=purpose, source=client)
    return data


def review(actor: access.Actor, url: str, finding_id: str, decision: str, recovery: Decimal | None = None,
           reason: str | None = None, client: str | None = None) -> dict:
    """Confirm (with the amount to recover, 0 if none) or dismiss (with the reason). The same
    review sent again is answered with the finding as it stands, applied once; a different one
    on a reviewed finding is refused."""
    if decision == "confirm" and recovery is None:
        raise FieldError("recovery", "a confirmation states the amount to recover (0 if none)")
    if decision == "dismiss" and not (reason and reason.strip()):
        raise FieldError("reason", "a dismissal needs a reason")
    with session(url) as s:
        _owned(s, actor, url, finding_id, "finding review", None, client)
    try:
        if decision == "confirm":
            audit_review.confirm(url, finding_id, recovery, actor.username)
        else:
            audit_review.dismiss(url, finding_id, reason, actor.username)
    except ReviewError:
        with session(url) as s:
            f = s.get(AuditFinding, finding_id)
            same = f.reviewer == actor.username and (
                (decision == "confirm" and f.review_state == "confirmed" and f.recovery_amount == _tenge(recovery))
                or (decision == "dismiss" and f.review_state == "dismissed" and f.dismiss_reason == reason.strip()))
        if not same:
            raise
    with session(url) as s:
        data = _whole(s.get(AuditFinding, finding_id))
    access.record(url, actor, "finding review", iin=data["iin"], household_id=data["household_id"], source=client)
    return data


def _tenge(amount) -> Decimal:
    return Decimal(str(amount)).quantize(Decimal("0.01"))


def check_summary(actor: access.Actor, url: str, filters: Filters, client: str | None = None) -> list[dict]:
    """Per check: findings, amount at risk, the shares open, confirmed and dismissed (no person named)."""
    scope = _scoped(actor, url, "findings summary", filters, None, client)
    return summary(url, scope).to_dicts()
