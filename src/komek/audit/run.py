"""An audit run: every rule check over the payments, and the anomaly lane apart."""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

import polars as pl

from komek.audit import FINDING_SCHEMA, amounts, disability, need, presence
from komek.audit.data import AuditData
from komek.audit.recompute import annotate

RULE_CHECKS = ["paid_after_death", "abroad_beyond_allowed", "concealed_income", "duplicate_payment", "amount_differs",
               "wrong_region", "disability_no_exam", "disability_exam_expired", "disability_group_mismatch",
               "conditional_without_participation", "assets_above_need"]


@dataclass
class AuditResult:
    findings: pl.DataFrame                 # rule findings, FINDING_SCHEMA
    anomalies: pl.DataFrame                # the anomaly lane, FINDING_SCHEMA (lane = anomaly)
    problems: pl.DataFrame                 # payments left out: unknown person or measure
    payments: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def run_checks(data: AuditData, progress=None, anomalies: bool = True) -> AuditResult:
    import time
    t0 = time.perf_counter()
    if anomalies:    # the forest's library loads while the rules run
        threading.Thread(target=lambda: __import__("sklearn.ensemble"), daemon=True).start()
    pay = data["payments"].rename({"amount": "amount_paid"})
    paid, members = annotate(pay, data.lazy(), progress)
    paid = amounts.mark_duplicates(paid)
    t1 = time.perf_counter()
    as_of = dt.date.fromisoformat(data.as_of) if data.as_of else None
    # The registry's large tables go to the checks as scans: each reads only the rows it needs.
    big = data.lazy()
    records = disability.in_force(paid, data["disability"], data["medical_exams"], big["households"], big["persons"])
    parts = [
        presence.paid_after_death(paid, big["persons"]),
        presence.abroad_beyond_allowed(paid, data["border_crossings"], as_of),
        need.concealed_income(paid),
        amounts.duplicate_payment(paid),
        amounts.amount_differs(paid),
        presence.wrong_region(paid, big["addresses"]),
        disability.disability_no_exam(records),
        disability.disability_exam_expired(records),
        disability.disability_group_mismatch(records),
        need.conditional_without_participation(paid),
        need.assets_above_need(paid, big["assets"], members),
    ]
    found = pl.concat(parts).sort("check", "month", "payment_id")
    t2 = time.perf_counter()
    lane = pl.DataFrame(schema=FINDING_SCHEMA)
    if anomalies:
        from komek.audit.anomaly import anomalies as detect
        lane = detect(paid)
    t3 = time.perf_counter()
    return AuditResult(found, lane, data.problems, pay.height, data.quarantined,
                       {"rules engine": t1 - t0, "checks": t2 - t1, "anomalies": t3 - t2})
