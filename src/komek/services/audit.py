"""The social audit as a service: read an extract or the registry, run the checks, write the
findings to Parquet and to the database. Findings inform a review; nothing here sanctions."""
from __future__ import annotations

from pathlib import Path

import polars as pl
from rich import box
from rich.table import Table as RichTable

from komek.audit.run import AuditResult


def run_audit(extract: Path | None, out: Path, database: str | None = None, save_to: str | None = None,
              progress=None, anomalies: bool = True) -> AuditResult:
    """Audit an extract folder (or the registry database when no extract is given).

    Writes OUT/findings.parquet, OUT/anomalies.parquet and OUT/problems.parquet; with `save_to`
    (a database URL) the findings are saved there with their review state.
    """
    from komek.audit.data import read_database, read_extract
    from komek.audit.run import run_checks
    if extract is None and database is None:
        raise ValueError("audit: give an extract folder or a database")
    data = read_extract(Path(extract)) if extract is not None else read_database(database)
    result = run_checks(data, progress, anomalies)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result.findings.write_parquet(out / "findings.parquet")
    result.anomalies.write_parquet(out / "anomalies.parquet")
    result.problems.write_parquet(out / "problems.parquet")
    if save_to:
        from komek.audit.review import save
        save(save_to, pl.concat([result.findings, result.anomalies]))
    return result


def by_check(findings: pl.DataFrame) -> pl.DataFrame:
    from komek.audit import config
    titles = {k: v["title"] for k, v in config()["checks"].items()}
    return (findings.group_by("check", "severity").agg(pl.len().alias("findings"), pl.col("iin").n_unique().alias("people"),
                                                       pl.col("amount_at_risk").cast(pl.Float64).sum().alias("amount_at_risk"))
            .with_columns(title=pl.col("check").replace_strict(titles, default=""))
            .sort("amount_at_risk", descending=True).select("check", "title", "severity", "findings", "people", "amount_at_risk"))


def audit_table(result: AuditResult) -> RichTable:
    bad = f"; payments left out (unknown person or measure): {result.problems.height:,}" if result.problems.height else ""
    t = RichTable(title=f"Audit of {result.payments:,} payments: {result.findings.height:,} findings, "
                        f"{result.anomalies.height:,} unusual recipients apart{bad}")
    for col in ("check", "severity", "findings", "people", "amount at risk, tenge"):
        t.add_column(col, justify="left" if col in ("check", "severity") else "right")
    for check, _, severity, n, people, risk in by_check(result.findings).iter_rows():
        t.add_row(check, severity, f"{n:,}", f"{people:,}", f"{risk:,.0f}")
    return t


def findings_table(frame: pl.DataFrame, total: int) -> RichTable:
    """The findings list as an auditor reads it; `frame` comes from listing.list_findings (masked)."""
    shown = f"{frame.height:,} of {total:,}" if total > frame.height else f"{total:,}"
    t = RichTable(title=f"Findings ({shown}), most severe and largest at risk first; IINs masked",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("finding", "check", "severity", "state", "month", "region", "measure", "IIN", "at risk, tenge"):
        # Ids and IINs whole (an auditor copies them into `komek review` or a search); the rest folds.
        t.add_column(col, justify="right" if col.startswith("at risk") else "left", no_wrap=col in ("finding", "IIN"),
                     overflow="fold", min_width={"finding": 17, "IIN": 12}.get(col))
    for r in frame.iter_rows(named=True):
        t.add_row(r["finding_id"], r["check"], r["severity"], r["review_state"], r["month"] or "", r["region_code"] or "",
                  r["measure"] or "", r["iin"], f"{float(r['amount_at_risk']):,.0f}")
    return t


def findings_summary_table(frame: pl.DataFrame) -> RichTable:
    """Per check (listing.summary): findings, amount at risk, and how the review stands."""
    t = RichTable(title="Findings by check: amount at risk and review")
    for col in ("check", "findings", "at risk, tenge", "open", "confirmed", "dismissed", "dismissed of reviewed"):
        t.add_column(col, justify="left" if col == "check" else "right")
    pct = lambda v: "" if v is None else f"{100 * v:.0f}%"  # noqa: E731
    for r in frame.sort("amount_at_risk", descending=True).iter_rows(named=True):
        t.add_row(r["check"], f"{r['findings']:,}", f"{r['amount_at_risk']:,.0f}", pct(r["open_share"]),
                  pct(r["confirmed_share"]), pct(r["dismissed_share"]), pct(r["dismissed_of_reviewed"]))
    return t
