"""The 2025 vulnerability and sustainability method (categories 1 extreme need .. 6 high
welfare): criteria, thresholds and steps from method2025.yaml, computed for every household at
once with Polars.

A household's income gives its base category; each criterion that holds moves it by its step;
the category stays within 1..6. A criterion that cannot be known (its table is absent, or no
table holds it) is null, never False: the category is computed from what is known, with the
lowest and highest category the criteria not known could give, and is provisional when those
differ. The household facts are the index's (`index.household_facts`), so both methods read the
same families the same way.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import polars as pl
import yaml

from komek.kz.registry_inputs import TABLES
from komek.kz.standard import ages
from komek.scoring import index

CATEGORIES = (1, 2, 3, 4, 5, 6)
TOP = (5, 6)                    # the top welfare categories, as A-B are the index's
ASSET_FACTS = {"vehicles": pl.Int64, "top_vehicle": pl.Float64, "real_estate": pl.Int64, "top_land": pl.Float64}
CONDITIONS = ("able_idle",)     # the facts a criterion not known may apply only when


@dataclass(frozen=True)
class Criterion:
    name: str
    component: str
    label: str
    step: int
    why: str
    needs: tuple[str, ...] = ()
    known: bool = True              # False: no table of the registry holds it
    threshold: float | None = None
    applies_when: str | None = None


@dataclass(frozen=True)
class Method:
    version: str
    reference: str
    sources: tuple[str, ...]
    categories: tuple[tuple[int, str], ...]     # (category, label)
    bands: tuple[tuple[int, float], ...]        # (category, below): income as a multiple of the line
    income_needs: tuple[str, ...]
    criteria: tuple[Criterion, ...]

    def label(self, category: int | None) -> str:
        return dict(self.categories).get(category, index.NOT_KNOWN)

    def criterion(self, name: str) -> Criterion:
        return next(c for c in self.criteria if c.name == name)


@cache
def load_method() -> Method:
    raw = yaml.safe_load(files(__package__).joinpath("method2025.yaml").read_text("utf-8"))
    criteria = tuple(Criterion(name, c["component"], c["label"], int(c["step"]), c["why"], tuple(c.get("needs", ())),
                               bool(c.get("known", True)), c.get("threshold"), c.get("applies_when"))
                     for name, c in raw["criteria"].items())
    categories = tuple((int(c["category"]), c["label"]) for c in raw["categories"])
    bands = tuple((int(b["category"]), float(b["below"])) for b in raw["income"]["bands"])
    if tuple(c for c, _ in categories) != CATEGORIES or tuple(c for c, _ in bands) != CATEGORIES:
        raise ValueError("method2025.yaml: categories and income bands must be 1..6 in order")
    if any(a[1] >= b[1] for a, b in zip(bands, bands[1:])):
        raise ValueError("method2025.yaml: income bands must rise")
    for c in criteria:
        if c.step == 0 or (c.applies_when and c.applies_when not in CONDITIONS):
            raise ValueError(f"method2025.yaml: criterion {c.name}: a step of 0 or an unknown condition")
    return Method(str(raw["version"]), raw["reference"], tuple(raw["sources"]), categories, bands,
                  tuple(raw["income"]["needs"]), criteria)


def unknown(present: Iterable[str] | None) -> dict[str, str]:
    """Criteria not known for any household of a source with the tables `present` (None: all
    there), and why; the income too (`income`) when its table is absent."""
    m = load_method()
    out = {c.name: "no table of the registry holds it" for c in m.criteria if not c.known}
    if present is None:
        return out
    present = set(present)
    for name, needs in [("income", m.income_needs), *((c.name, c.needs) for c in m.criteria if c.known)]:
        if absent := [t for t in needs if t not in present]:
            out[name] = "; ".join(f"the {t} table is not in the source" for t in absent)
    return out


def asset_facts(assets: pl.LazyFrame | pl.DataFrame, persons: pl.DataFrame, on: dt.date) -> pl.DataFrame:
    """household_id, vehicles, top_vehicle (the highest value), real_estate (items), top_land:
    the assets the members hold on `on` (acquired by then, not disposed)."""
    held = (assets.lazy().filter((pl.col("acquired") <= on) & (pl.col("disposed").is_null() | (pl.col("disposed") > on)))
            .join(persons.lazy().select("iin", "household_id"), on="iin", how="inner")
            .with_columns(pl.col("value").cast(pl.Float64)))
    return (held.group_by("household_id").agg(
                vehicles=(pl.col("kind") == "vehicle").sum().cast(pl.Int64),
                top_vehicle=pl.col("value").filter(pl.col("kind") == "vehicle").max(),
                real_estate=(pl.col("kind") == "real_estate").sum().cast(pl.Int64),
                top_land=pl.col("value").filter(pl.col("kind") == "land").max())
            .collect())


def household_facts(persons: pl.DataFrame, households: pl.DataFrame, on: dt.date,
                    assets: pl.LazyFrame | pl.DataFrame | None = None) -> pl.DataFrame:
    """The index's household facts, the rules' per-capita income and poverty line, able_idle
    (able-bodied working-age members without work income) and the asset facts (zero when the
    source's assets table holds nothing for the household, null without the table)."""
    cut = index.load_index().ages
    age = pl.Series(ages(persons["birth_date"].to_numpy(), on))
    idle = (persons.with_columns(_age=age)
            .select("household_id", able_idle=((pl.col("_age") >= cut["adult"]) & (pl.col("_age") < cut["elderly"])
                                               & (pl.col("disability_group") == "")
                                               & (pl.sum_horizontal(*index.WORK_INCOMES) <= 0)).cast(pl.Int32))
            .group_by("household_id").agg(pl.col("able_idle").sum()))
    facts = (index.household_facts(persons, households, on)
             .join(index.poverty_line(persons, households, on), on="household_id", how="left", maintain_order="left")
             .join(idle, on="household_id", how="left", maintain_order="left"))
    if assets is None:
        return facts.with_columns(pl.lit(None, t).alias(c) for c, t in ASSET_FACTS.items())
    return (facts.join(asset_facts(assets, persons, on), on="household_id", how="left", maintain_order="left")
            .with_columns(pl.col("vehicles", "real_estate").fill_null(0), pl.col("top_vehicle", "top_land").fill_null(0.0)))


def criteria(facts: pl.DataFrame, present: Iterable[str] | None = None) -> pl.DataFrame:
    """One column per criterion: True (holds), False, or null (not known)."""
    m = load_method()
    t = {c.name: c.threshold for c in m.criteria}
    per_m2 = pl.col("area_m2") / pl.col("size")
    rules = {
        "vehicle": pl.col("vehicles") > 0,
        "costly_vehicle": pl.col("top_vehicle") > t["costly_vehicle"],
        # The most valuable item is taken as the home, so a second item is property besides it.
        "other_real_estate": pl.col("real_estate") > 1,
        "costly_land": pl.col("top_land") > t["costly_land"],
        "spacious_home": (pl.col("area_m2") > 0) & (per_m2 >= t["spacious_home"]),
        "overcrowded": (pl.col("area_m2") > 0) & (per_m2 < t["overcrowded"]),
        "no_own_home": pl.col("tenure").is_in(["private_rent", "other"]),
        "disability_member": pl.col("disabled") > 0,
        "severe_disability": pl.col("severe") > 0,
        "high_dependency": pl.when(pl.col("working_age") == 0).then(pl.col("children") > 0).otherwise(
            pl.col("children") + pl.col("elderly") >= t["high_dependency"] * pl.col("working_age")),
        "no_self_support": pl.col("able_adults") == 0,
    }
    conditions = {"able_idle": pl.col("able_idle") > 0}
    missing = {c.name for c in m.criteria if c.known} - rules.keys()
    if missing:
        raise ValueError(f"method2025.yaml names criteria with no rule: {sorted(missing)}")
    absent = unknown(present)
    columns = []
    for c in m.criteria:
        if c.name in absent and c.known:
            expr = pl.lit(None, pl.Boolean)
        elif not c.known:       # not known where it may apply; not applying elsewhere
            expr = (pl.when(conditions[c.applies_when]).then(pl.lit(None, pl.Boolean)).otherwise(False)
                    if c.applies_when else pl.lit(None, pl.Boolean))
        else:
            expr = rules[c.name].fill_null(False)
        columns.append(expr.alias(c.name))
    return facts.select(*columns)


def _clamp(x: pl.Expr) -> pl.Expr:
    return pl.min_horizontal(pl.max_horizontal(x, pl.lit(CATEGORIES[0])), pl.lit(CATEGORIES[-1]))


def categorise(facts: pl.DataFrame, held: pl.DataFrame, income_known: bool = True) -> pl.DataFrame:
    """base_category, category, category_low, category_high, provisional, from the facts'
    per_capita_income against poverty_line and one criterion column each (`criteria`)."""
    m = load_method()
    ratio = pl.col("per_capita_income") / pl.col("poverty_line")
    base = pl.lit(None, pl.Int64)
    for category, below in reversed(m.bands):
        base = pl.when(ratio < below).then(pl.lit(category, pl.Int64)).otherwise(base)
    if not income_known:
        base = pl.lit(None, pl.Int64)
    moved = pl.sum_horizontal(*(pl.col(c.name).fill_null(False).cast(pl.Int64) * c.step for c in m.criteria))
    down = pl.sum_horizontal(*(pl.col(c.name).is_null().cast(pl.Int64) * min(c.step, 0) for c in m.criteria))
    up = pl.sum_horizontal(*(pl.col(c.name).is_null().cast(pl.Int64) * max(c.step, 0) for c in m.criteria))
    frame = pl.concat([facts.select("per_capita_income", "poverty_line"), held], how="horizontal")
    out = frame.select(income_ratio=ratio if income_known else pl.lit(None, pl.Float64), base_category=base,
                       _moved=moved, _down=down, _up=up)
    known = pl.col("base_category").is_not_null()
    out = out.select("income_ratio", "base_category",
                     category=pl.when(known).then(_clamp(pl.col("base_category") + pl.col("_moved"))),
                     category_low=pl.when(known).then(_clamp(pl.col("base_category") + pl.col("_moved") + pl.col("_down"))),
                     category_high=pl.when(known).then(_clamp(pl.col("base_category") + pl.col("_moved") + pl.col("_up"))))
    return out.with_columns(provisional=~known | (pl.col("category_low") != pl.col("category_high")))


def _names(held: pl.DataFrame, test) -> pl.Series:
    """The criteria for which `test(column)` holds, a list per household: a bit mask each, and
    the few distinct masks turned into lists of names once."""
    cs = load_method().criteria
    mask = held.select(m=pl.sum_horizontal(*(test(pl.col(c.name)).cast(pl.UInt32) * (1 << k) for k, c in enumerate(cs))))
    names = mask.unique().with_columns(names=pl.concat_list(
        *(pl.when((pl.col("m") & (1 << k)) > 0).then(pl.lit(c.name)) for k, c in enumerate(cs))).list.drop_nulls())
    return mask.join(names, on="m", how="left", maintain_order="left")["names"]


def score(persons: pl.DataFrame, households: pl.DataFrame, on: dt.date, present: Iterable[str] | None = None,
          assets: pl.LazyFrame | pl.DataFrame | None = None) -> pl.DataFrame:
    """household_id, region_code, size, per_capita_income, poverty_line, income_ratio,
    base_category, category, category_low, category_high, provisional, held (criteria that
    hold), not_known (criteria not known for the household). With `present` (the source's
    tables), criteria needing an absent table are not known; without incomes, neither is the
    category. `assets`: the source's assets table (None: not in the source)."""
    present = {*(TABLES if present is None else present), "assets"} - ({"assets"} if assets is None else set())
    facts = household_facts(persons, households, on, assets)
    income_known = "incomes" in present
    held = criteria(facts, present)
    out = categorise(facts, held, income_known)
    return pl.concat([facts.select("household_id", "region_code", "size",
                                   *(pl.col(c) if income_known else pl.lit(None, pl.Float64).alias(c)
                                     for c in ("per_capita_income", "poverty_line"))),
                      out, pl.DataFrame({"held": _names(held, lambda c: c.fill_null(False)),
                                         "not_known": _names(held, lambda c: c.is_null())})], how="horizontal")


def distribution(categories: pl.DataFrame) -> dict:
    """Households per category (1..6 and not known), and how many are provisional."""
    counts = dict(categories.group_by("category").len().iter_rows())
    return {"households": categories.height, **{c: counts.get(c, 0) for c in CATEGORIES},
            index.NOT_KNOWN: counts.get(None, 0), "provisional": int(categories["provisional"].sum())}
