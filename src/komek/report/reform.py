"""Report section: what a reform does to whom (services.impact): the change by per-capita income
decile, poverty before and after by region, the Gini coefficient and the households that move
between vulnerability levels."""
from __future__ import annotations

import html

import polars as pl

from komek.report import Section, charts, table
from komek.services.impact import LINE_REFERENCE, Impact, moves


def reform_section(name: str, result: Impact, comparison: pl.DataFrame | None = None,
                   moved: dict[str, int] | None = None) -> Section:
    """`comparison` (services.simulate.compare) and `moved` (gainers_losers) add the budget view."""
    body = f"<p><strong>{html.escape(name)}</strong>, {result.month}, against the rules in force.</p>"
    if comparison is not None:
        f = comparison.with_columns(pl.col(c).cast(pl.Float64) for c in ("spending_base", "spending_reform", "change"))
        body += table(f.filter(pl.col("change").fill_null(0) != 0).rename({
            "recipients_base": "recipients before", "recipients_reform": "recipients after",
            "spending_base": "tenge a month before", "spending_reform": "after", "change": "change"}),
            money=("tenge a month before", "after", "change"), caption="Budget by measure (measures that change)")
    if moved is not None:
        body += (f"<p>Households whose benefits rise: {moved['gain']:,}; fall: {moved['lose']:,}; "
                 f"stay the same: {moved['same']:,}.</p>")
    if result.not_computed:
        return Section("reform", "What the reform does", body + f"<p><strong>Not computed</strong>: {html.escape(result.not_computed)}.</p>")
    d, p = result.deciles, result.poverty
    gini = result.gini
    by_region = p.filter(pl.col("region_code") != "all")
    nat = p.filter(pl.col("region_code") == "all").row(0, named=True)
    svg = charts.bars([str(x) for x in d["decile"]], {"% of income": d["change_share"].to_list()},
                      title="Change by per-capita income decile", unit="% of disposable income before",
                      horizontal=False, size=(6, 3.8))
    svg2 = charts.bars(by_region["region"].to_list(), {"before": by_region["headcount_before"].to_list(),
                                                       "after": by_region["headcount_after"].to_list()},
                       title="People below the poverty line", unit="% of people")
    m = moves(result.levels)
    body += (f"<p>Over the weighted population ({html.escape(result.weight_basis)}). Disposable income: recorded "
             "incomes of the quarter before, without the recorded pensions and benefits, plus the benefits the rules "
             "give (the baseline's before, the reform's after), per person. Poverty line: the "
             f"{html.escape(LINE_REFERENCE)}, {result.poverty_line:,.0f} tenge a month per person, the same before and "
             f"after.</p><p>Gini coefficient of per-capita disposable income: <b>{_g(gini['before'])}</b> before, "
             f"<b>{_g(gini['after'])}</b> after. People below the line: {nat['headcount_before']:.2f}% before, "
             f"{nat['headcount_after']:.2f}% after; poverty gap {nat['gap_before']:.3f}% and {nat['gap_after']:.3f}% of "
             f"the line. Households by level: {m['better']:,} move towards A, {m['worse']:,} towards E, "
             f"{m['same']:,} stay, {m['not known']:,} not known.</p>"
             f'<div class="charts">{svg}{svg2}</div>'
             + table(d.rename({"income_before": "income per person before", "change_per_person": "change per person",
                               "change_total": "change, tenge a month (weighted)", "change_share": "change, % of income"}),
                     money=("income per person before", "change per person", "change, tenge a month (weighted)"),
                     percent=("change, % of income",), caption="By decile of per-capita disposable income before (tenge a month)")
             + table(p.select("region_code", "region", "people", "poor_before", "poor_after", "headcount_before",
                              "headcount_after", "gap_before", "gap_after")
                     .rename({"poor_before": "people poor before", "poor_after": "after", "headcount_before": "headcount before %",
                              "headcount_after": "after %", "gap_before": "gap before %", "gap_after": "gap after %"}),
                     percent=("headcount before %", "after %"), caption="Poverty by region (people in the source)")
             + table(result.levels.rename({"level_before": "level before", "level_after": "level after"}),
                     caption="Households by vulnerability level before and after"))
    return Section("reform", "What the reform does", body)


def _g(value: float | None) -> str:
    return "not computed" if value is None else f"{value:.4f}"
