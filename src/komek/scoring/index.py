"""The household vulnerability index (levels A-E): indicators, cut-offs and weights from
index.yaml, computed for every household at once with Polars.

Input: the standard's input frames (`komek.kz.registry_inputs.build`). Output: one row per
household with its score, level and the indicators it is deprived in. An indicator whose source
table is absent is not known (null), and so are the score and level: a level computed without an
indicator would read better or worse than the family is. Ages are the rules' (full years).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import polars as pl
import yaml

from komek.kz.standard import INCOME_KINDS, TRANSFER_INCOMES, ages, standard

LEVELS = ("A", "B", "C", "D", "E")
NOT_KNOWN = "not known"
WORK_INCOMES = ("income_wage", "income_self_employed", "income_business")
COSTS = ("utilities", "maintenance", "communication", "rent")


@dataclass(frozen=True)
class Indicator:
    name: str
    domain: str
    label: str
    weight: float
    cutoff: float | None
    why: str
    needs: tuple[str, ...] = ()      # registry tables it is computed from


@dataclass(frozen=True)
class Index:
    version: str
    ages: dict
    indicators: tuple[Indicator, ...]
    levels: tuple[tuple[str, str, float], ...]      # (level, label, below)

    def indicator(self, name: str) -> Indicator:
        return next(i for i in self.indicators if i.name == name)

    def cutoff(self, name: str) -> float:
        return self.indicator(name).cutoff


@cache
def load_index() -> Index:
    raw = yaml.safe_load(files(__package__).joinpath("index.yaml").read_text("utf-8"))
    indicators = tuple(Indicator(name, domain, spec["label"], float(spec["weight"]), spec.get("cutoff"), spec["why"],
                                 tuple(spec["needs"]))
                       for domain, d in raw["domains"].items() for name, spec in d["indicators"].items())
    for domain, d in raw["domains"].items():
        inner = sum(float(s["weight"]) for s in d["indicators"].values())
        if abs(inner - float(d["weight"])) > 1e-9:
            raise ValueError(f"index.yaml: indicator weights of {domain} sum to {inner}, not {d['weight']}")
    total = sum(i.weight for i in indicators)
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"index.yaml: weights sum to {total}, not 1")
    levels = tuple((lv["level"], lv["label"], float(lv["below"])) for lv in raw["levels"])
    return Index(str(raw["version"]), raw["ages"], indicators, levels)


def subsistence_minimum(on: dt.date) -> float:
    return float(standard().parameters["subsistence_minimum"].at(on).value)


def unknown(present: Iterable[str] | None) -> dict[str, str]:
    """Indicators that cannot be computed without tables absent from `present` (None: all there), and why."""
    if present is None:
        return {}
    present = set(present)
    return {i.name: "; ".join(f"the {t} table is not in the source" for t in i.needs if t not in present)
            for i in load_index().indicators if any(t not in present for t in i.needs)}


def household_facts(persons: pl.DataFrame, households: pl.DataFrame, on: dt.date,
                    transfers: pl.DataFrame | None = None) -> pl.DataFrame:
    """What the indicators are computed from, one row per household. With `transfers`
    (household_id, transfers: a month's benefits as a simulation gives them), those stand for the
    recorded pension and benefit incomes, so a reform's benefits reach the income indicators."""
    cut = load_index().ages
    persons = persons.with_columns(_age=pl.Series(ages(persons["birth_date"].to_numpy(), on)))
    age = pl.col("_age")
    adult, elderly = age >= cut["adult"], age >= cut["elderly"]
    disabled = pl.col("disability_group") != ""
    work = pl.sum_horizontal(*WORK_INCOMES)
    working_age = adult & ~elderly
    # Each person's flags first, as small integers, so the per-household step is plain sums.
    flags = persons.lazy().select(
        "household_id",
        income=pl.sum_horizontal(*(f"income_{k}" for k in INCOME_KINDS
                                   if transfers is None or k not in TRANSFER_INCOMES)),
        earners=(work > 0).cast(pl.Int32),
        able_adults=(working_age & ~disabled).cast(pl.Int32),
        working_age=working_age.cast(pl.Int32),
        children=(~adult).cast(pl.Int32),
        adults=adult.cast(pl.Int32),
        elderly=elderly.cast(pl.Int32),
        disabled=disabled.cast(pl.Int32),
        severe=pl.col("disability_group").is_in(["1", "child"]).cast(pl.Int32),
        young_idle=((age >= cut["adult"]) & (age <= cut["young_adult_to"]) & ~disabled & (work <= 0)).cast(pl.Int32))
    facts = flags.group_by("household_id").agg(*(pl.col(c).sum() for c in (
        "income", "earners", "able_adults", "working_age", "children", "adults", "elderly", "disabled", "severe",
        "young_idle")), size=pl.len())
    if transfers is not None:
        facts = (facts.join(transfers.lazy().select("household_id", pl.col("transfers").cast(pl.Float64)),
                            on="household_id", how="left")
                 .with_columns(income=pl.col("income") + pl.col("transfers")).drop("transfers"))
    return (households.lazy().select("household_id", "region_code", "area_m2", "tenure",
                                     pl.sum_horizontal(*COSTS).alias("housing_costs"))
            .join(facts, on="household_id", how="inner")
            .with_columns(income_per_capita=pl.col("income") / pl.col("size"))
            .collect())


def deprivations(facts: pl.DataFrame, on: dt.date) -> pl.DataFrame:
    """One boolean column per indicator (True = deprived)."""
    ix = load_index()
    line = ix.cutoff("income_below_minimum") * subsistence_minimum(on)
    dependants = pl.col("children") + pl.col("elderly")
    rules = {
        "income_below_minimum": pl.col("income_per_capita") < line,
        "no_earner": (pl.col("able_adults") > 0) & (pl.col("earners") == 0),
        # With no working-age member, only children make a dependency load (elderly alone or as a
        # couple are counted by elderly_alone and by their incomes, not twice here).
        "high_dependency": pl.when(pl.col("working_age") == 0).then(pl.col("children") > 0)
                             .otherwise(dependants >= ix.cutoff("high_dependency") * pl.col("working_age")),
        "disability_member": pl.col("disabled") > 0,
        "severe_disability": pl.col("severe") > 0,
        "overcrowded": (pl.col("area_m2") > 0) & (pl.col("area_m2") / pl.col("size") < ix.cutoff("overcrowded")),
        "cost_burden": (pl.col("housing_costs") > 0) & (pl.col("housing_costs") > ix.cutoff("cost_burden") * pl.col("income")),
        "no_own_home": pl.col("tenure").is_in(["private_rent", "other"]),
        "large_family": pl.col("children") >= ix.cutoff("large_family"),
        "single_parent": (pl.col("children") > 0) & (pl.col("adults") == 1),
        "elderly_alone": (pl.col("size") == 1) & (pl.col("elderly") == 1),
        "young_not_working": pl.col("young_idle") > 0,
    }
    missing = {i.name for i in ix.indicators} - rules.keys()
    if missing:
        raise ValueError(f"index.yaml names indicators with no rule: {sorted(missing)}")
    return facts.select("household_id", *(rules[i.name].fill_null(False).alias(i.name) for i in ix.indicators))


def score(persons: pl.DataFrame, households: pl.DataFrame, on: dt.date,
          present: Iterable[str] | None = None, transfers: pl.DataFrame | None = None) -> pl.DataFrame:
    """household_id, region_code, size, income_per_capita, score, level, deprived (indicator
    names). With `present` (the tables of the source), indicators needing an absent table are
    null, and so are the score and level (income_per_capita too without incomes). `transfers`:
    as in `household_facts`."""
    ix = load_index()
    missing = unknown(present)
    facts = household_facts(persons, households, on, transfers)
    d = deprivations(facts, on)            # one row per fact row, in the same order
    if missing:
        d = d.with_columns(pl.lit(None, pl.Boolean).alias(n) for n in missing)
        if present is not None and "incomes" not in set(present):
            facts = facts.with_columns(income_per_capita=pl.lit(None, pl.Float64))
    weighted = pl.sum_horizontal(*(pl.col(i.name).cast(pl.Float64) * i.weight for i in ix.indicators)).round(4)
    level = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
    for code, _, below in ix.levels:
        level = level.when(pl.col("score") < below).then(pl.lit(code))
    # The indicators a household is deprived in, as a bit mask: a few hundred distinct masks are
    # turned into lists of names once, instead of a list built for every household.
    mask = pl.sum_horizontal(*(pl.col(i.name).cast(pl.UInt32) * (1 << k) for k, i in enumerate(ix.indicators)))
    out = d.select(score=weighted, _mask=mask).with_columns(level=level.otherwise(pl.lit(LEVELS[-1])))
    if missing:     # a level without all its indicators is not known
        out = out.with_columns(score=pl.lit(None, pl.Float64), level=pl.lit(None, pl.String))
    masks = out.select(pl.col("_mask").unique())
    names = masks.with_columns(deprived=pl.concat_list(
        *(pl.when((pl.col("_mask") & (1 << k)) > 0).then(pl.lit(i.name)) for k, i in enumerate(ix.indicators))
    ).list.drop_nulls())
    out = out.join(names, on="_mask", how="left", maintain_order="left").drop("_mask")
    return pl.concat([facts.select("household_id", "region_code", "size", "income_per_capita"), out], how="horizontal")


def distribution(levels: pl.DataFrame, by: str | None = "region_code") -> pl.DataFrame:
    """Households per level (columns A-E, and `not known` where a level could not be computed),
    overall or by region, with shares in %."""
    key = by or "scope"
    frame = levels if by else levels.with_columns(scope=pl.lit("all"))
    frame = frame.with_columns(pl.col("level").fill_null(NOT_KNOWN))
    wide = frame.group_by(key, "level").len().pivot(on="level", index=key, values="len")
    columns = (*LEVELS, NOT_KNOWN)
    for lv in columns:
        if lv not in wide.columns:
            wide = wide.with_columns(pl.lit(0, pl.UInt32).alias(lv))
    wide = wide.with_columns(pl.col(lv).fill_null(0) for lv in columns)
    wide = wide.with_columns(households=pl.sum_horizontal(*columns))
    wide = wide.with_columns(**{f"{lv} %": 100 * pl.col(lv) / pl.col("households") for lv in columns})
    return wide.select(key, "households", *columns, *(f"{lv} %" for lv in columns)).sort(key)
