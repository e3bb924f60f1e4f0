"""An audit run: every rule check of checks.yaml over the payments, and the anomaly lane apart.

A check whose tables (`needs`) the source does not have is not run, and the result says so
(`not_run`); payments of a measure the rules cannot compute from the source are not compared
with the rules (`partial`).
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field

import polars as pl

from komek.audit import FINDING_SCHEMA, amounts, config, disability, need, presence
from komek.audit.anomaly import anomalies as detect
from komek.audit.data import AuditData
from komek.audit.recompute import annotate
from komek.kz import registry_inputs


@dataclass
class AuditResult:
    findings: pl.DataFrame                 # rule findings, FINDING_SCHEMA
    anomalies: pl.DataFrame                # the anomaly lane, FINDING_SCHEMA (lane = anomaly)
    problems: pl.DataFrame                 # payments left out: unknown person or measure
    payments: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    not_run: dict[str, str] = field(default_factory=dict)      # check -> why it could not run
    partial: dict[str, str] = field(default_factory=dict)      # check -> what it could not look at


def not_run(absent: list[str]) -> dict[str, str]:
    """The checks that need a table in `absent`, and why they cannot run."""
    out = {}
    for check, spec in config()["checks"].items():
        missing = [t for t in spec.get("needs", []) if t in absent]
        if missing:
            out[check] = "; ".join(f"the {t} table is not in the source" for t in missing)
    return out


def run_checks(data: AuditData, progress=None, anomalies: bool = True) -> AuditResult:
    t0 = time.perf_counter()
    if anomalies:    # the forest's library loads while the rules run
        threading.Thread(target=lambda: __import__("sklearn.ensemble"), daemon=True).start()
    skipped = not_run(data.absent)
    unknown = registry_inputs.coverage([t for t in registry_inputs.TABLES if t not in data.absent]).not_computed
    pay = data["payments"].rename({"amount": "amount_paid"})
    paid, members = annotate(pay, data.lazy(), progress, unknown)
    paid = amounts.mark_duplicates(paid)
    t1 = time.perf_counter()
    as_of = dt.date.fromisoformat(data.as_of) if data.as_of else None
    # The registry's large tables go to the checks as scans: each reads only the rows it needs.
    big = data.lazy()
    wanted = [c for c in config()["checks"] if c not in skipped]
    records = (disability.in_force(paid, data["disability"], data["medical_exams"], big["households"], big["persons"])
               if any(c in wanted for c in disability.CHECKS) else None)
    run = {
        "paid_after_death": lambda: presence.paid_after_death(paid, big["persons"]),
        "abroad_beyond_allowed": lambda: presence.abroad_beyond_allowed(paid, data["border_crossings"], as_of),
        "account_dormant": lambda: presence.account_dormant(paid, data["account_activity"]),
        "concealed_income": lambda: need.concealed_income(paid),
        "duplicate_payment": lambda: amounts.duplicate_payment(paid),
        "amount_differs": lambda: amounts.amount_differs(paid),
        "wrong_region": lambda: presence.wrong_region(paid, big["addresses"]),
        "disability_no_exam": lambda: disability.disability_no_exam(records),
        "disability_exam_expired": lambda: disability.disability_exam_expired(records),
        "disability_group_mismatch": lambda: disability.disability_group_mismatch(records),
        "conditional_without_participation": lambda: need.conditional_without_participation(paid),
        "assets_above_need": lambda: need.assets_above_need(paid, big["assets"], members),
    }
    if set(run) != set(config()["checks"]):
        raise RuntimeError(f"checks.yaml and the checks disagree: {sorted(set(run) ^ set(config()['checks']))}")
    found = pl.concat([pl.DataFrame(schema=FINDING_SCHEMA), *(run[c]() for c in wanted)]).sort("check", "month", "payment_id")
    t2 = time.perf_counter()
    lane = pl.DataFrame(schema=FINDING_SCHEMA)
    if anomalies:
        lane = detect(paid)
    t3 = time.perf_counter()
    paid_unknown = sorted(set(pay["measure"].unique().to_list()) & set(unknown))
    partial = ({"amount_differs": "payments not compared with the rules: " + "; ".join(f"{m} ({unknown[m]})" for m in paid_unknown)}
               if paid_unknown and "amount_differs" in wanted else {})
    return AuditResult(found, lane, data.problems, pay.height, data.quarantined,
                       {"rules engine": t1 - t0, "checks": t2 - t1, "anomalies": t3 - t2}, skipped, partial)
