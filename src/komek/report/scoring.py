"""Report sections of household scoring: vulnerability levels by region, the 2025 method's
categories against them, and which measures reach the households at levels D-E and the poorest
fifth."""
from __future__ import annotations

import html

import polars as pl

from komek.kz import regions
from komek.report import Section, charts, table
from komek.scoring import index, method2025
from komek.services.score import by_decile


def levels_section(levels: pl.DataFrame, cards: dict[str, str] | None = None) -> Section:
    """`cards`: level -> link to a sample household card (relative to the report)."""
    ix = index.load_index()
    names = {c: r["name"] for c, r in regions().items()}
    dist = index.distribution(levels).with_columns(region=pl.col("region_code").replace_strict(names, default=None))
    overall = index.distribution(levels, by=None).row(0, named=True)
    svg = charts.bars(dist["region"].to_list(), {lv: dist[f"{lv} %"].to_list() for lv in ("C", "D", "E")},
                      title="Households at levels C, D and E by region", unit="% of households")
    shares = ", ".join(f"{lv} {label} {overall[lv + ' %']:.1f}%" for lv, label, _ in ix.levels)
    top = (levels.explode("deprived").drop_nulls("deprived").group_by("deprived").len().sort("len", descending=True)
           .rename({"deprived": "indicator", "len": "households deprived"}))
    body = (f"<p>{levels.height:,} households scored with the vulnerability index (version {ix.version}, "
            "Alkire-Foster style, five domains; indicators, cut-offs and weights in "
            "<code>scoring/index.yaml</code>, all marked as assumptions). Levels: "
            f"{shares}. Each household's level comes with the indicators that put it there "
            "(<code>score/levels.parquet</code>).</p>"
            f'<div class="charts">{svg}</div>'
            + table(dist.select("region_code", "region", "households", *(f"{lv} %" for lv in index.LEVELS)),
                    percent=tuple(f"{lv} %" for lv in index.LEVELS))
            + "<h3>Indicators</h3>" + table(top))
    body += _deciles(by_decile(levels))
    if cards:
        links = ", ".join(f'<a href="{html.escape(link)}">level {lv}</a>' for lv, link in sorted(cards.items()))
        body += ("<h3>Household cards</h3><p>What a caseworker reads about one family (members, level and why, the "
                 f"support it is entitled to with the articles, open audit findings), one sample per level: {links}.</p>")
    return Section("levels", "Vulnerability levels A-E", body)


def _deciles(d: pl.DataFrame) -> str:
    """Levels against deciles of per-capita income: a table and a chart."""
    if d.height == 0:
        return "<h3>Levels by income decile</h3><p>Not known: the source holds no incomes.</p>"
    names = [str(x) for x in d["decile"]]
    svg = charts.bars(names, {lv: d[f"{lv} %"].to_list() for lv in index.LEVELS}, horizontal=False,
                      title="Levels in each decile of per-capita income (1 poorest)", unit="% of the decile's households")
    return ("<h3>Levels by income decile</h3><p>Households in deciles of per-capita income (income counted for TSA, "
            "a month per member, each decile a tenth of the people), with the share at each level. A household below "
            "the poverty line is at least level C; the deciles show how far the levels follow income beyond that.</p>"
            f'<div class="charts">{svg}</div>'
            + table(d.rename({"income_from": "from, tenge", "income_to": "to, tenge", "below_line": "below the line"})
                    .select("decile", "from, tenge", "to, tenge", "households", "below the line", *(f"{lv} %" for lv in index.LEVELS)),
                    money=("from, tenge", "to, tenge"), percent=tuple(f"{lv} %" for lv in index.LEVELS)))


def method2025_section(categories: pl.DataFrame, cross: pl.DataFrame, top: pl.DataFrame) -> Section:
    """The 2025 method's categories, the cross-table with the index's levels (`services.score.
    cross_table`) and each measure's recipients at the top levels of each (`top_levels`)."""
    m = method2025.load_method()
    d = method2025.distribution(categories)
    n = max(d["households"], 1)
    shares = ", ".join(f"{c} {label} {100 * d[c] / n:.1f}%" for c, label in m.categories)
    known = d["households"] - d[index.NOT_KNOWN]
    body = (f"<p>The same {d['households']:,} households scored with the 2025 vulnerability and sustainability method "
            f"(version {m.version}; <code>scoring/method2025.yaml</code>): six categories, 1 extreme need ... 6 high "
            "welfare, the opposite direction of the levels A-E. Income per member against the poverty line gives a base "
            "category; property, housing, disability, dependency load and capacity for self-support move it. The "
            "order's 23 criteria are not published: every criterion, threshold and step is an assumption. Education, "
            "loans and hidden income are in no table of the registry, so they are not known, never taken as absent: "
            f"{d['provisional']:,} of {known:,} categories are provisional (the criteria not known could move them). "
            f"Categories: {shares}"
            + (f", not known {d[index.NOT_KNOWN]:,}" if d[index.NOT_KNOWN] else "") + ".</p>")
    body += ("<h3>Levels A-E against categories 1-6</h3><p>Households by the index's level (rows) and the 2025 "
             "method's category (columns); the rows sum to the households scored.</p>"
             + table(cross.rename({"level": "index level"})))
    f = top.with_columns(pl.col("AB_share", "share_56") * 100)
    body += ("<h3>Recipients at the top welfare levels</h3><p>For each benefit of a simulation of the month: the "
             "households it pays, and how many of them the index places at A-B and the 2025 method at categories 5-6 "
             "(of those, how many provisionally), with both. A pension or disability benefit is not wrong to reach "
             "well-off families; a means-tested measure whose recipients one method places at the top is where the two "
             "methods disagree about need.</p>"
             + table(f.rename({"recipients": "recipient households", "at_AB": "at A-B", "at_56": "at 5-6",
                               "at_56_provisional": "5-6 provisional", "at_both": "at both", "AB_share": "A-B %",
                               "share_56": "5-6 %"}), percent=("A-B %", "5-6 %")))
    return Section("method2025", "Categories 1-6 of the 2025 method, against levels A-E", body)


def targeting_section(by_measure: pl.DataFrame) -> Section:
    f = by_measure.filter(pl.col("spending") > 0).with_columns(
        (pl.col(c) * 100) for c in ("to_DE", "to_bottom_quintile", "DE_coverage", "leakage_AB"))
    svg = charts.bars(f["measure"].to_list(), {"to D-E": f["to_DE"].to_list(),
                                               "to the poorest fifth": f["to_bottom_quintile"].to_list(),
                                               "to A-B": f["leakage_AB"].to_list()},
                      title="Where each measure's money goes", unit="% of the measure's spending")
    body = ("<p>For each benefit of the unified standard: the households it pays (a person measure counts the "
            "households of the persons it pays), the share of its spending that reaches households at "
            "levels D-E and the poorest fifth of households by income per person, the share of D-E households it "
            "reaches, and the share of its spending that goes to A-B households. Measures for a group other than "
            "the poor (pensions, disability) are not wrong to reach A-B; a poverty measure with a large A-B share "
            "or a small D-E coverage misses.</p>"
            f'<div class="charts">{svg}</div>'
            + table(f.rename({"recipients": "recipient households", "spending": "monthly tenge", "to_DE": "to D-E %", "to_bottom_quintile": "to poorest 20% %",
                              "DE_coverage": "D-E reached %", "leakage_AB": "to A-B %"}),
                    money=("monthly tenge",), percent=("to D-E %", "to poorest 20% %", "D-E reached %", "to A-B %")))
    return Section("targeting", "Which measures reach those in need", body)
