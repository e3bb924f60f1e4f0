"""Report section: the social audit: amount at risk by check and region, review state and the
share of findings dismissed per check, and the anomaly lane apart."""
from __future__ import annotations

import html

import polars as pl

from komek.audit.run import AuditResult
from komek.kz import regions
from komek.kz.iin import mask_expr
from komek.report import Section, charts, table
from komek.services.audit import by_check


def audit_section(result: AuditResult, review: pl.DataFrame | None = None, planted: pl.DataFrame | None = None,
                  rate: float | None = None) -> Section:
    """`planted` (check, planted: payments) and `rate`: the irregularities planted in a synthetic
    extract at that rate (its answer key), shown beside what each check found."""
    f = result.findings
    checks = by_check(f)
    if planted is not None:
        checks = checks.join(planted, on="check", how="full", coalesce=True).with_columns(
            pl.col("findings", "people").fill_null(0), pl.col("amount_at_risk").fill_null(0.0)).sort("amount_at_risk", descending=True)
    names = {c: r["name"] for c, r in regions().items()}
    by_region = (f.group_by("region_code").agg(pl.len().alias("findings (payments)"), pl.col("iin").n_unique().alias("persons paid"),
                                               pl.col("amount_at_risk").cast(pl.Float64).sum())
                 .with_columns(region=pl.col("region_code").replace_strict(names, default=None)).sort("region_code")
                 .select("region_code", "region", "findings (payments)", "persons paid", "amount_at_risk"))
    pivot = (f.with_columns(pl.col("amount_at_risk").cast(pl.Float64)).pivot(on="check", index="region_code", values="amount_at_risk",
                                                                             aggregate_function="sum").sort("region_code")
             if f.height else pl.DataFrame())
    svg = charts.bars(checks["check"].to_list(), {"tenge": (checks["amount_at_risk"] / 1e3).to_list()},
                      title="Amount at risk by check", unit="thousand tenge", size=(7, 4.5))
    body = (f"<p>{result.payments:,} payments checked against the registries and the rules; "
            f"{f.height:,} findings for review. A finding is a reason to look, never a sanction: an auditor "
            "confirms it (with the amount to recover) or dismisses it (with a reason). Findings with their evidence "
            "are in <code>audit/findings.parquet</code>.</p>"
            + (f"<p>{result.problems.height:,} payments name an unknown person or measure and were left out "
               "(<code>audit/problems.parquet</code>).</p>" if result.problems.height else "")
            + (f"<p><strong>Planted for the demonstration</strong>: the synthetic country's records and payments were "
               f"altered on purpose, {100 * rate:g}% of the candidates of each kind of irregularity (at least three), so that "
               "every check has something to find; <code>planted</code> is the number of payments altered (the answer "
               "key, kept apart from the extract). These findings are about no real person.</p>" if planted is not None else "")
            + _not_run(result)
            + f'<div class="charts">{svg}</div>'
            + "<h3>By check</h3>" + table(checks.rename({"findings": "findings (payments)", "people": "persons paid",
                                                         "amount_at_risk": "at risk, tenge"}), money=("at risk, tenge",))
            + "<h3>By region</h3>" + table(by_region.rename({"amount_at_risk": "at risk, tenge"}), money=("at risk, tenge",)))
    if pivot.width > 1:
        body += "<h3>At risk by region and check, tenge</h3>" + table(pivot, money=tuple(pivot.columns[1:]))
    if review is not None and review.height:
        shares = review.with_columns((pl.col("dismissed_share") * 100).alias("dismissed, % of reviewed")).drop("dismissed_share")
        body += ("<h3>Review</h3><p>The share dismissed per check: a check whose findings are mostly dismissed "
                 "needs mending.</p>" + table(shares, money=("amount_at_risk", "recovery"), percent=("dismissed, % of reviewed",)))
    a = result.anomalies
    if a.height:
        # The report is read widely: IINs masked, evidence too.
        top = a.head(10).select(mask_expr(pl.col("iin")).alias("IIN (masked)"), "region_code",
                                mask_expr(pl.col("evidence")).alias("why unusual"))
        body += (f"<h3>Unusual payment patterns (apart, lowest severity)</h3><p>{a.height:,} recipients whose "
                 "payments look unusual to an isolation forest, with the features that deviate most (robust z-scores). "
                 f"The ten most unusual:</p>" + table(top))
    return Section("audit", "Social audit", body)


def _not_run(result: AuditResult) -> str:
    """The checks the source did not let run, or let run only in part, and why."""
    items = {**result.not_run, **result.partial}
    if not items:
        return ""
    return ("<p><strong>Not run, or run in part</strong> (the data they need is not in the source):</p><ul>"
            + "".join(f"<li><code>{html.escape(c)}</code>: {html.escape(why)}</li>" for c, why in items.items()) + "</ul>")
