"""Report section: the monitoring of public services for a month of applications, by region, with
the alerts where the share decided on time fell below the threshold."""
from __future__ import annotations

import html

import polars as pl

from komek.kz import regions
from komek.report import Section, charts, table


def _share(v) -> str:
    return "" if v is None else f"{100 * v:.1f}%"


def monitoring_section(out: dict, simulated: dict | None = None) -> Section:
    """`out`: services.monitoring.figures; `simulated`: what services.casework did, when the month was simulated."""
    names = {c: r["name"] for c, r in regions().items()}
    by_region = pl.DataFrame(out["by_region"], infer_schema_length=None) if out["by_region"] else None
    n, rule = out["national"], out["threshold"]
    month = out["month"]
    intro = ""
    if simulated:
        slow = ", ".join(names.get(r, r) for r in simulated["slow_offices"])
        intro = (f"<p><strong>A simulated month.</strong> {simulated['filed']:,} applications filed by citizens of the "
                 f"registry over the working days of {month}, assessed each evening by the rules and worked by each "
                 "region's office at a pace made up for the demonstration; two offices (" + html.escape(slow) +
                 ") were slowed on purpose so that the alerts have something to show. Mid-month the registry's "
                 f"events (births, disabilities assigned, a fourth child, income below the line) gave "
                 f"{simulated['offers']['offers']:,} proactive offers, {simulated['offers']['sent']:,} of them told by SMS "
                 "(the rest have no number known); about seven in ten people told were made to reply yes, one in ten "
                 "no, the rest left to lapse. The filings, assessments, moves, offers and deadlines are the "
                 "platform's own (the same services as the API).</p>")
    share = f"{100 * n['on_time'] / n['decisions']:.1f}%" if n["decisions"] else "no decision"
    summary = (f"<p>{n['applications']:,} applications ({n['offers_accepted']:,} of them an offer accepted, filed by "
               f"Komek), {n['decisions']:,} decisions ({n['by_rules']:,} by the rules, the rest by caseworkers), {share} "
               f"of them within the statutory deadline; at {out['as_of']}, "
               f"{n['open_at_end']:,} applications open, {n['overdue_at_end']:,} of them overdue. Working days to a "
               "decision are counted as the deadline counts them, without the days the clock stood while "
               "information was asked. Cells of fewer than ten applications or decisions are blank "
               "(suppressed).</p>")
    alerts = "".join(f"<li>{html.escape(names.get(a['region_code'], a['region_code']))}: {_share(a['on_time_share'])} on "
                     f"time of {a['decisions']:,} decisions ({a['late']:,} late)"
                     + (f"; below the threshold in {html.escape(', '.join(a['measures_below']))}" if a["measures_below"] else "")
                     + "</li>" for a in out["alerts"])
    alerts = (f"<p>Alerts (on-time share below {rule['threshold']:.0%} among at least {rule['min_decisions']} "
              f"decisions; {html.escape(rule['assumption'])}):</p><ul>{alerts}</ul>" if alerts
              else f"<p>No region below {rule['threshold']:.0%} on time.</p>")
    if by_region is None:
        return Section("services", f"Public services, {month}", intro + summary + alerts)
    shown = (by_region.with_columns(region=pl.col("region_code").replace_strict(names, default=None),
                                    on_time=pl.col("on_time_share").map_elements(_share, return_dtype=pl.String))
             .select("region_code", "region", "applications", "decisions", "on_time",
                     pl.col("median_working_days").alias("median days"), pl.col("p90_working_days").alias("90th pct days"),
                     pl.col("open_at_end").alias("open"), pl.col("overdue_at_end").alias("overdue"),
                     pl.col("appeals_decided").alias("appeals decided"),
                     pl.col("overturned_share").map_elements(_share, return_dtype=pl.String).alias("overturned"),
                     "offers", pl.col("accepted_share").map_elements(_share, return_dtype=pl.String).alias("accepted")))
    drawn = shown.with_columns(share=by_region["on_time_share"]).drop_nulls("share")     # a blank cell is not a zero
    svg = charts.bars(drawn["region"].to_list(), {"on time": (100 * drawn["share"]).to_list()},
                      title=f"Decisions within the deadline, {month} (a region whose share is suppressed or not known is left out)",
                      unit="% of decisions")
    return Section("services", f"Public services, {month}", intro + summary + alerts + f'<div class="charts">{svg}</div>'
                   + table(shown, caption=f"Applications and decisions by region, {month}"))
