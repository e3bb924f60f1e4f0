"""What a reform does to whom: from a baseline and a reform simulation of the same households
for the same month, the change by per-capita income decile, poverty headcount and gap before
and after (nationally and by region), the Gini coefficient, and the households that move
between vulnerability levels.

Definitions (disposable income, the poverty line kept fixed at the baseline's, the weight of
a synthetic household) are in docs/rules.md, "What a reform does".
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from komek import analytics
from komek.kz import regions, registry_inputs, total_population
from komek.kz.standard import INCOME_KINDS, TRANSFER_INCOMES, benefits
from komek.registry import Source
from komek.scoring import index
from komek.services import disclosure
from komek.services.simulate import POVERTY_LINE, SimulationRun

LINE_REFERENCE = "TSA poverty line (tsa_poverty_line; MLSP order No. 473 of 20 Dec 2024), baseline rules"


@dataclass
class Impact:
    month: str
    weight: float                      # households each household of the source stands for
    weight_basis: str
    benefits: list[str]                # the measures counted in disposable income
    poverty_line: float | None         # national mean of the households' lines, tenge a month per person
    not_computed: str | None = None    # why nothing below could be computed
    deciles: pl.DataFrame | None = None
    poverty: pl.DataFrame | None = None
    gini: dict[str, float | None] = field(default_factory=dict)
    levels: pl.DataFrame | None = None     # level_before, level_after, households


def weight_of(source: Source, people: int) -> tuple[float, str]:
    """How many households each household of the source stands for, and why."""
    manifest = getattr(source, "manifest", None) or {}
    if manifest.get("source") == "komek.synth" and people:
        w = total_population() / people
        return w, (f"synthetic sample: each household stands for {w:,.1f} households (the population of "
                   f"{total_population():,} over the {people:,} people simulated)")
    return 1.0, "the registry is the population: each household counts once"


def _money(frame: pl.DataFrame, cols: list[str]) -> pl.Expr:
    """Whole tiyn summed exactly, then tenge."""
    return pl.sum_horizontal(*((pl.col(c) * 100).round(0).cast(pl.Int64) for c in cols)) / 100


def impact(source: Source, base: SimulationRun, reformed: SimulationRun) -> Impact:
    """The distributional effect of `reformed` against `base` (the same source and month)."""
    tables = registry_inputs.tables_of(source)
    counted = [m for m in benefits() if m not in base.not_computed and m not in reformed.not_computed]
    weight, basis = weight_of(source, base.counts.get("persons", base.households["size"].sum()))
    out = Impact(base.month.isoformat()[:7], weight, basis, counted, None)
    if "incomes" not in tables:
        out.not_computed = "the incomes table is not in the source: incomes are not known"
        return out
    persons, households = registry_inputs.build(tables, base.month)
    own = [f"income_{k}" for k in INCOME_KINDS if k not in TRANSFER_INCOMES]
    income = persons.group_by("household_id").agg(pl.sum_horizontal(*own).sum().alias("own"))
    sides = {side: run.households.select("household_id", _money(run.households, counted).alias("transfers"))
             for side, run in (("before", base), ("after", reformed))}
    f = (base.households.select("household_id", "region_code", "size", pl.col(POVERTY_LINE).cast(pl.Float64).alias("line"))
         .join(income, on="household_id", how="left").with_columns(pl.col("own").fill_null(0.0))
         .join(sides["before"].rename({"transfers": "t_before"}), on="household_id")
         .join(sides["after"].rename({"transfers": "t_after"}), on="household_id")
         .with_columns(before=(pl.col("own") + pl.col("t_before")) / pl.col("size"),
                       after=(pl.col("own") + pl.col("t_after")) / pl.col("size"))
         .sort("household_id"))
    size, w = f["size"].to_numpy(), np.full(f.height, weight)
    before, after = f["before"].to_numpy(), f["after"].to_numpy()
    out.poverty_line = float(np.average(f["line"].to_numpy(), weights=size)) if f.height else None
    f = f.with_columns(decile=pl.Series(analytics.deciles(before, size, w, f["household_id"].to_numpy())))
    out.deciles = _deciles(f, weight)
    out.poverty = _poverty(f, weight)
    out.gini = {"before": analytics.gini(before, size, w), "after": analytics.gini(after, size, w)}
    out.levels = _levels(persons, households, base.month, tables, sides)
    return out


def _deciles(f: pl.DataFrame, weight: float) -> pl.DataFrame:
    change = pl.col("t_after") - pl.col("t_before")
    return (f.group_by("decile").agg(
                households=pl.len(), people=pl.col("size").sum(),
                income_before=(pl.col("before") * pl.col("size")).sum() / pl.col("size").sum(),
                change_per_person=change.sum() / pl.col("size").sum(),
                change_total=(change.sum() * weight).round(0),
                change_share=pl.when((pl.col("before") * pl.col("size")).sum() > 0)         # no income: no share
                             .then(100 * change.sum() / (pl.col("before") * pl.col("size")).sum()),
                gain=(change > 0).sum(), lose=(change < 0).sum())
            .with_columns(pl.col("decile").cast(pl.Int64)).sort("decile"))


def _poverty(f: pl.DataFrame, weight: float) -> pl.DataFrame:
    names = {c: r["name"] for c, r in regions().items()}
    rows = []
    for code, part in [("all", f), *sorted((k[0], g) for k, g in f.group_by("region_code"))]:
        size, w, line = part["size"].to_numpy(), np.full(part.height, weight), part["line"].to_numpy()
        row = {"region_code": code, "region": "Kazakhstan" if code == "all" else names.get(code),
               "households": part.height, "people": int(size.sum())}
        for side in ("before", "after"):
            p = analytics.poverty(part[side].to_numpy(), size, w, line)
            row |= {f"poor_{side}": int(size[part[side].to_numpy() < line].sum()),
                    f"headcount_{side}": 100 * p["headcount"], f"gap_{side}": 100 * p["gap"],
                    f"gap_tenge_{side}": round(p["gap_tenge"])}
        rows.append(row)
    return pl.DataFrame(rows)


def _levels(persons, households, on, tables, sides) -> pl.DataFrame:
    """Households by level before and after (`not known` where a level cannot be computed)."""
    lv = {side: index.score(persons, households, on, tables, transfers=t).select(
              "household_id", pl.col("level").fill_null(index.NOT_KNOWN).alias(f"level_{side}"))
          for side, t in sides.items()}
    moved = lv["before"].join(lv["after"], on="household_id").group_by("level_before", "level_after").len("households")
    return moved.sort("level_before", "level_after")


def moves(levels: pl.DataFrame) -> dict[str, int]:
    """Households whose level improves (towards A), worsens (towards E), stays, or is not known."""
    rank = {lv: i for i, lv in enumerate(index.LEVELS)}
    out = {"better": 0, "worse": 0, "same": 0, "not known": 0}
    for b, a, n in levels.iter_rows():
        key = ("not known" if b not in rank or a not in rank else
               "better" if rank[a] < rank[b] else "worse" if rank[a] > rank[b] else "same")
        out[key] += n
    return out


def published(result: Impact, suppress: bool = True) -> dict:
    """The impact as plain data. For an analyst's page or a job summary (`suppress`), every cell
    counting fewer than ten people or households is suppressed (services.disclosure); without,
    for the person who ran the simulation over the rows themselves."""
    data = {"month": result.month, "weight": result.weight, "weight_basis": result.weight_basis,
            "benefits": result.benefits, "poverty_line": result.poverty_line, "poverty_line_basis": LINE_REFERENCE,
            "not_computed": result.not_computed, "gini": result.gini}
    if result.not_computed:
        return data
    deciles, poverty, levels = result.deciles, result.poverty, result.levels
    if suppress:
        deciles = disclosure.suppress(deciles, "people", also=[c for c in deciles.columns if c not in ("decile", "people")])
        poverty = disclosure.suppress(poverty, "people", also=[c for c in poverty.columns if c not in ("region_code", "region", "people")])
        for side in ("before", "after"):
            poverty = disclosure.suppress(poverty, f"poor_{side}", also=(f"headcount_{side}", f"gap_{side}", f"gap_tenge_{side}"))
        levels = disclosure.suppress(levels, "households")
    return data | {"deciles": deciles.to_dicts(), "poverty": poverty.to_dicts(), "levels": levels.to_dicts(),
                   "moves": moves(result.levels)}
