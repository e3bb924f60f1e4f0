"""The social audit: payments that deserve a look, with the evidence and the amount at risk.

Each check (checks.yaml) is a small function over Polars frames that returns findings in one
schema. A finding informs an auditor's review; it never sanctions anyone by itself.
"""
from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files

import polars as pl
import yaml

from komek.kz.standard import rules_version
from komek.money import MONEY

FINDING_SCHEMA: dict[str, pl.DataType] = {
    "finding_id": pl.String, "check": pl.String, "lane": pl.String, "payment_id": pl.String, "iin": pl.String,
    "household_id": pl.String, "region_code": pl.String, "month": pl.String, "measure": pl.String,
    "amount_paid": MONEY, "amount_at_risk": MONEY, "evidence": pl.String, "severity": pl.String,
    "rule_version": pl.String, "review_state": pl.String,
}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}


def severity_rank(severity: str) -> int:
    """Where a severity stands in the review order (an unknown one last): stored with each saved
    finding, so the list is read in index order rather than sorted whole."""
    return SEVERITY_ORDER.get(severity, len(SEVERITY_ORDER))


@cache
def config() -> dict:
    """checks.yaml: every check's title, legal basis, severity and thresholds."""
    return yaml.safe_load(files(__package__).joinpath("checks.yaml").read_text("utf-8"))


@cache
def residence() -> dict:
    """residence.yaml: per measure, whether it is conditioned on residence, the days abroad
    allowed, the basis and the severity."""
    return yaml.safe_load(files(__package__).joinpath("residence.yaml").read_text("utf-8"))


def residence_bound() -> dict[str, dict]:
    """The measures conditioned on residence, with their rules."""
    return {m: r for m, r in residence()["measures"].items() if r["conditioned"]}


def check_config(check: str) -> dict:
    return config()["checks"][check]


def value(entry):
    """A threshold given plainly or as {value:, assumption:}."""
    return entry["value"] if isinstance(entry, dict) else entry


def finding_id(check: str, key: str) -> str:
    """Deterministic: the same check on the same payment (or person) always gives the same id."""
    return "F" + hashlib.sha1(f"{check}|{key}".encode()).hexdigest()[:16]


def findings(check: str, frame: pl.DataFrame, evidence: list[str], at_risk: pl.Expr | None = None,
             lane: str = "rule", key: str = "payment_id", severity: pl.Expr | None = None) -> pl.DataFrame:
    """Payments flagged by `check` as findings: `evidence` names the columns that show why;
    `severity`, when the check's depends on the row (by measure), else the check's own."""
    cfg = config()["anomalies"] if lane == "anomaly" else check_config(check)
    if frame.is_empty():
        return pl.DataFrame(schema=FINDING_SCHEMA)
    ev = pl.struct(*evidence).struct.json_encode() if evidence else pl.lit("{}")
    out = frame.with_columns(
        check=pl.lit(check), lane=pl.lit(lane), evidence=ev, severity=severity if severity is not None else pl.lit(cfg["severity"]),
        rule_version=pl.lit(rules_version()), review_state=pl.lit("open"),
        amount_at_risk=(at_risk if at_risk is not None else pl.col("amount_paid")).cast(MONEY))
    ids = [finding_id(check, k) for k in out[key].to_list()]
    return out.with_columns(finding_id=pl.Series(ids, dtype=pl.String)).select(
        [pl.col(c).cast(t) if c in out.columns or c == "finding_id" else pl.lit(None, t).alias(c)
         for c, t in FINDING_SCHEMA.items()])


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=FINDING_SCHEMA)
