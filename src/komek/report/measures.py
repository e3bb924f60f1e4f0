"""Report section: what the unified standard pays, by measure and by region, for one month."""
from __future__ import annotations

import html

import polars as pl

from komek.kz import regions
from komek.kz.standard import CONTRIBUTIONS, person_measures
from komek.report import Section, charts, table
from komek.services.simulate import SimulationRun, national


def measures_section(run: SimulationRun) -> Section:
    nat = national(run.summary).filter(~pl.col("measure").is_in(list(run.not_computed))).with_columns(
        pl.col("spending").cast(pl.Float64))
    # A person measure counts the persons it pays, a household measure the households.
    nat = nat.with_columns(pl.when(pl.col("measure").is_in(person_measures())).then(pl.col("recipients"))
                           .alias("recipient persons"),
                           pl.when(~pl.col("measure").is_in(person_measures())).then(pl.col("recipients"))
                           .alias("recipient households")).drop("recipients")
    nat = nat.select("measure", "recipient households", "recipient persons", "spending")
    benefits = nat.filter(~pl.col("measure").is_in(CONTRIBUTIONS))
    contributions = nat.filter(pl.col("measure").is_in(CONTRIBUTIONS))
    names = {c: r["name"] for c, r in regions().items()}
    by_region = (run.summary.filter(~pl.col("measure").is_in(CONTRIBUTIONS)).drop_nulls("spending")
                 .group_by("region_code").agg(pl.col("spending").cast(pl.Float64).sum())
                 .join(run.households.group_by("region_code").agg(pl.col("size").sum().alias("people")), on="region_code")
                 .with_columns(region=pl.col("region_code").replace_strict(names, default=None),
                               per_person=pl.col("spending") / pl.col("people"))
                 .sort("region_code").select("region_code", "region", "people", "spending", "per_person"))
    svg = charts.bars(benefits["measure"].to_list(), {"tenge": (benefits["spending"] / 1e6).to_list()},
                      title=f"Benefit spending, {run.month:%Y-%m}", unit="million tenge a month", size=(7, 4.5))
    svg2 = charts.bars(by_region["region"].to_list(), {"tenge per person": by_region["per_person"].to_list()},
                       title="Benefit spending per resident", unit="tenge a month")
    body = (f"<p>Every measure of the unified standard computed for {run.counts['households']:,} households "
            f"({run.counts['persons']:,} people) for {run.month:%B %Y}: entitlements under the rules, before take-up. "
            "A household measure's recipients are households, a person measure's are persons (a pension, a "
            "contribution). Amounts per household and person are in <code>simulation/</code> (Parquet).</p>"
            + _unknown(run) +
            f'<div class="charts">{svg}{svg2}</div>'
            "<h3>Benefits</h3>" + table(benefits.rename({"spending": "monthly tenge"}), money=("monthly tenge",))
            + "<h3>Contributions</h3>" + table(contributions.rename({"spending": "monthly tenge"}), money=("monthly tenge",))
            + "<h3>By region</h3>" + table(by_region.rename({"spending": "benefits, tenge", "per_person": "per person"}),
                                           money=("benefits, tenge", "per person")))
    return Section("measures", "Support measures", body)


def _unknown(run: SimulationRun) -> str:
    """The measures not computed and why, the assumptions the others rest on, and the warnings."""
    parts = []
    if run.not_computed:
        parts.append("<p><strong>Not computed</strong> (the data they need is not in the source, so no figure is "
                     "given rather than a zero):</p><ul>"
                     + "".join(f"<li><code>{html.escape(m)}</code>: {html.escape(why)}</li>" for m, why in run.not_computed.items())
                     + "</ul>")
    assumed = sorted({a for items in run.assumptions.values() for a in items})
    if assumed:
        parts.append("<p>Computed on stated assumptions (the data is in no table):</p><ul>"
                     + "".join(f"<li>{html.escape(a)}</li>" for a in assumed) + "</ul>")
    if run.warnings:
        parts.append("<p><strong>Warnings:</strong></p><ul>" + "".join(f"<li>{html.escape(w)}</li>" for w in run.warnings) + "</ul>")
    return "".join(parts)
