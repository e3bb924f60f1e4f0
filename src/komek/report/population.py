"""Report sections about the registry: who lives where, ages, households, incomes, ingestion."""
from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import Engine

from komek.kz import statistics
from komek.periods import quarter_before
from komek.report import Section, charts, table
from komek.services import population


def population_section(engine: Engine) -> tuple[Section, pl.DataFrame]:
    f = population.people_by_region(engine)
    svg = charts.bars(f["region"].to_list(), {"registry": f["share"].to_list(), "official 2026": f["official_share"].to_list()},
                      title="Share of the population by region", unit="% of people")
    body = (f'<p>{f["people"].sum():,} living people with a current registration in the registry database, each at '
            "their own address (the later sections count the members of households living on the month's last day, "
            "placed where the head is registered). Official shares from the "
            "population on 1 January 2026 (regions marked as estimates in <code>kz/regions.yaml</code> are not confirmed).</p>"
            f'<div class="charts">{svg}</div>'
            + table(f.rename({"share": "share %", "official_share": "official %", "urban_share": "urban %"}),
                    percent=("share %", "official %", "urban %")))
    return Section("population", "Population by region", body), f


def demography_section(people: pl.DataFrame, on: dt.date) -> Section:
    """`people`: services.population.household_members, the population every later section counts."""
    ages = population.ages_and_sexes(people, on)
    sizes = people.group_by("household_id").len("size")
    dist = sizes.group_by(pl.col("size").clip(1, 10)).len().sort("size")
    pyramid = charts.pyramid(ages["label"].to_list(), ages["M"].to_list(), ages["F"].to_list(), title=f"Age and sex on {on}")
    hist = charts.bars([("10+" if s == 10 else str(s)) for s in dist["size"]], {"households": dist["len"].to_list()},
                       title="Households by size", unit="households", horizontal=False, size=(6, 4))
    body = (f"<p>{sizes.height:,} households living on {on} ({people.height:,} members), {sizes['size'].mean():.2f} members "
            f"on average; {(sizes['size'] >= 6).sum():,} with six or more members. These households and people are "
            "the ones every later section counts.</p>"
            f'<div class="charts">{pyramid}{hist}</div>')
    return Section("demography", "Age, sex and households", body)


def poverty_section(people: pl.DataFrame, on: dt.date) -> tuple[Section, pl.DataFrame]:
    """`people`: services.population.household_members."""
    stats = statistics()
    line = stats["statistical_subsistence_minimum"]["value"]
    households = population.member_incomes(people)
    if households["income"].null_count():
        body = "<p><strong>Not computed</strong>: the registry holds no income records, so incomes are not known.</p>"
        return Section("poverty", "Incomes and poverty", body), pl.DataFrame(schema={"region_code": pl.String, "poor": pl.Int64,
                                                                                     "people": pl.Int64})
    by_region = population.poverty_by_region(households, line)
    official = stats["poverty_rate"]["regions"]
    by_region = by_region.with_columns(official=pl.col("region_code").replace_strict(official, default=None, return_dtype=pl.Float64))
    people_n = by_region["people"].sum()
    national = 100 * by_region["poor"].sum() / people_n if people_n else 0.0
    label, _ = quarter_before(on)
    svg = charts.bars(by_region["region"].to_list(), {"registry": by_region["rate"].fill_null(0).to_list()},
                      title=f"People below the subsistence minimum, {label}", unit="% of people")
    hist = charts.histogram(households["per_capita"].clip(0, 600_000).to_list(), bins=60, unit="tenge a month per person",
                            title="Household per-capita income", marker=line, marker_label=f"subsistence minimum {line:,}")
    body = (f"<p>Per-capita income of the households living on {on}: their members' recorded incomes in {label}, a month "
            f"on average, per member, against the statistical subsistence minimum of {line:,} tenge "
            f"({stats['statistical_subsistence_minimum']['period']}, one national value: regional values are not confirmed). "
            f"National rate <b>{national:.1f}%</b> of {people_n:,} people; official "
            f"{stats['poverty_rate']['national']}% ({stats['poverty_rate']['period']}).</p>"
            f'<div class="charts">{svg}{hist}</div>'
            + table(by_region.select("region_code", "region", "people", "poor", "median", "rate", "official")
                    .rename({"median": "median per capita", "rate": "rate %", "official": "official %"}),
                    money=("median per capita",), percent=("rate %", "official %")))
    return Section("poverty", "Incomes and poverty", body), by_region


def ingestion_section(report: dict) -> Section:
    rows = pl.DataFrame([{"table": name, **{k: t.get(k) for k in ("rows_read", "inserted", "updated", "unchanged", "quarantined")}}
                         for name, t in report["tables"].items()])
    reasons = pl.DataFrame([{"table": name, "reason": r, "rows": n}
                            for name, t in report["tables"].items() for r, n in (t.get("reasons") or {}).items()],
                           schema={"table": pl.String, "reason": pl.String, "rows": pl.Int64})
    body = ("<p>Every row was checked against the extract contract; rows that failed are kept in the quarantine "
            "with their reasons, none is dropped.</p>" + table(rows)
            + ("<h3>Quarantine by reason</h3>" + table(reasons) if reasons.height else "<p>No row was quarantined.</p>"))
    return Section("ingestion", "Ingestion", body)
