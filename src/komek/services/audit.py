"""The social audit as a service: read a source, run the checks, write the findings to Parquet
and to the database. Findings inform a review; nothing here sanctions."""
from __future__ import annotations

from pathlib import Path

import polars as pl

from komek.audit import config
from komek.audit.data import read
from komek.audit.plant import answer_key_path
from komek.audit.review import save
from komek.audit.run import AuditResult, run_checks
from komek.registry import Source


def run_audit(source: Source, out: Path, save_to: str | None = None, progress=None,
              anomalies: bool = True) -> AuditResult:
    """Audit a source (an extract folder or the registry database).

    Writes OUT/findings.parquet, OUT/anomalies.parquet and OUT/problems.parquet; with `save_to`
    (a database URL) the findings are saved there with their review state.
    """
    result = run_checks(read(source), progress, anomalies)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result.findings.write_parquet(out / "findings.parquet")
    result.anomalies.write_parquet(out / "anomalies.parquet")
    result.problems.write_parquet(out / "problems.parquet")
    checks(result).write_parquet(out / "checks.parquet")
    if save_to:
        save(save_to, pl.concat([result.findings, result.anomalies]))
    return result


def by_check(findings: pl.DataFrame) -> pl.DataFrame:
    titles = {k: v["title"] for k, v in config()["checks"].items()}
    return (findings.group_by("check", "severity").agg(pl.len().alias("findings"), pl.col("iin").n_unique().alias("people"),
                                                       pl.col("amount_at_risk").cast(pl.Float64).sum().alias("amount_at_risk"))
            .with_columns(title=pl.col("check").replace_strict(titles, default=""))
            .sort("amount_at_risk", descending=True).select("check", "title", "severity", "findings", "people", "amount_at_risk"))


def checks(result: AuditResult) -> pl.DataFrame:
    """Each check: run, not run or run in part, why, and its findings (checks.parquet)."""
    names = list(config()["checks"])
    counts = dict(result.findings.group_by("check").len().iter_rows())
    status = ["not run" if c in result.not_run else "partial" if c in result.partial else "run" for c in names]
    return pl.DataFrame({"check": names, "status": status,
                         "reason": [result.not_run.get(c) or result.partial.get(c) for c in names],
                         "findings": [None if c in result.not_run else counts.get(c, 0) for c in names]},
                        schema={"check": pl.String, "status": pl.String, "reason": pl.String, "findings": pl.UInt32})


def planted(extract: Path) -> pl.DataFrame | None:
    """Payments planted per check in a synthetic extract (its answer key), or None without one."""
    key = answer_key_path(extract)
    if not key.exists():
        return None
    return pl.read_parquet(key).group_by("check").len("planted").sort("check")
