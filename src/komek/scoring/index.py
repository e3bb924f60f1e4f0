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

from komek.engine import Simulation
from komek.kz.standard import INCOME_KINDS, TRANSFER_INCOMES, ages, standard
from komek.kz.standard.tsa import previous_quarter_start

LEVELS = ("A", "B", "C", "D", "E")
NOT_KNOWN = "not known"
WORK_INCOMES = ("income_wage", "income_self_employed", "income_business")
COSTS = ("utilities", "maintenance", "communication", "rent")
FLOOR_FACTS = ("below_poverty_line",)


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
class Floor:
    """A level no better than `at_least` when a household's fact `when` holds."""
    when: str           # a boolean column of the household facts (below_poverty_line)
    at_least: str
    reference: str
    why: str


@dataclass(frozen=True)
class Index:
    version: str
    ages: dict
    indicators: tuple[Indicator, ...]
    levels: tuple[tuple[str, str, float], ...]      # (level, label, below)
    floors: tuple[Floor, ...] = ()

    def rank(self, level: str) -> int:
        """0 for the best level, growing towards the worst."""
        return [lv for lv, _, _ in self.levels].index(level)

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
    floors = tuple(Floor(f["when"], f["at_least"], f["reference"], f["why"]) for f in raw.get("floors", ()))
    for f in floors:
        if f.when not in FLOOR_FACTS or f.at_least not in [lv for lv, _, _ in levels]:
            raise ValueError(f"index.yaml: floor {f.when} -> {f.at_least}: unknown fact or level")
    return Index(str(raw["version"]), raw["ages"], indicators, levels, floors)


def income_line(on: dt.date) -> tuple[dict[str, float], float]:
    """The income indicator's line, a month per member: its cut-off times the statistical
    subsistence minimum of the quarter before `on` (the one the poverty rate is counted against
    and the TSA line is a share of), for the regions with a value of their own, and for the others."""
    value = standard().parameters["tsa.statistical_subsistence_minimum"].at(previous_quarter_start(on)).value
    k = load_index().cutoff("income_below_minimum")
    return {r: k * v for r, v in value.items() if r != "default"}, k * value["default"]


def unknown(present: Iterable[str] | None) -> dict[str, str]:
    """Indicators that cannot be computed without tables absent from `present` (None: all there), and why."""
    if present is None:
        return {}
    present = set(present)
    return {i.name: "; ".join(f"the {t} table is not in the source" for t in i.needs if t not in present)
            for i in load_index().indicators if any(t not in present for t in i.needs)}


def poverty_line(persons: pl.DataFrame, households: pl.DataFrame, on: dt.date) -> pl.DataFrame:
    """household_id, per_capita_income (income counted for TSA, a month per member) and
    poverty_line (the TSA line of the household's region), as the rules compute them; and
    below_poverty_line, the one compared with the other (Social Code art. 120 para. 4)."""
    at = households.select("household_id").with_row_index("_at")
    group = persons.select("household_id").join(at, on="household_id", how="left", maintain_order="left")["_at"]
    incomes = [f"income_{k}" for k in INCOME_KINDS]
    sim = Simulation(standard(), on, {c: persons[c].to_numpy() for c in ("role", *incomes)},
                     {"region_code": households["region_code"].to_numpy()}, group.to_numpy())
    return pl.DataFrame({"household_id": households["household_id"],
                         "per_capita_income": sim.calculate("per_capita_income"),
                         "poverty_line": sim.calculate("tsa_poverty_line")}
                        ).with_columns(below_poverty_line=pl.col("per_capita_income") < pl.col("poverty_line"))


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
    regions, other = income_line(on)
    line = pl.col("region_code").cast(pl.String).replace_strict(regions, default=other, return_dtype=pl.Float64)
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


def measured(facts: dict, on: dt.date) -> dict[str, tuple[str, str]]:
    """Each indicator's value for one household (a row of `household_facts`) and the threshold it
    is deprived at, as short texts; the cut-offs are index.yaml's."""
    ix, f = load_index(), facts
    regions, other = income_line(on)
    line = regions.get(str(f["region_code"]), other)
    per_m2 = f["area_m2"] / f["size"] if f["area_m2"] else None
    share = f["housing_costs"] / f["income"] if f["income"] else None
    dependants = f["children"] + f["elderly"]
    return {
        "income_below_minimum": (f"{f['income_per_capita']:,.0f} tenge a member",
                                 f"below {line:,.0f} ({ix.cutoff('income_below_minimum')} x statistical subsistence minimum)"),
        "no_earner": (f"{f['earners']} earning, {f['able_adults']} able working-age",
                      "able working-age members and none earning"),
        "high_dependency": (f"{dependants} dependants, {f['working_age']} working-age",
                            f"{ix.cutoff('high_dependency')} or more per working-age member (none: any child)"),
        "disability_member": (f"{f['disabled']} disabled", "1 or more"),
        "severe_disability": (f"{f['severe']} group 1 or disabled child", "1 or more"),
        "overcrowded": ("area not recorded" if per_m2 is None else f"{per_m2:,.1f} m2 a member",
                        f"below {ix.cutoff('overcrowded')} m2 a member"),
        "cost_burden": ("no income" if share is None else f"{100 * share:.0f}% of income",
                        f"above {100 * ix.cutoff('cost_burden'):.0f}%"),
        "no_own_home": (f["tenure"] or "not recorded", "private rent or other"),
        "large_family": (f"{f['children']} children", f"{ix.cutoff('large_family')} or more"),
        "single_parent": (f"{f['children']} children, {f['adults']} adults", "children and one adult"),
        "elderly_alone": (f"{f['size']} members, {f['elderly']} aged {ix.ages['elderly']}+", "one member, elderly"),
        "young_not_working": (f"{f['young_idle']} aged {ix.ages['adult']}-{ix.ages['young_adult_to']} without work income",
                              "1 or more"),
    }


def next_level(level: str | None, score: float | None, deprived: Iterable[str]) -> dict | None:
    """Why a level is not lower: the next worse level and the score it starts at, how far the
    family's score is from it, the deprivations counted (with their weights) and those not counted
    that would each alone reach it. None at the worst level or without a level."""
    ix = load_index()
    if level is None or ix.rank(level) == len(ix.levels) - 1:
        return None
    k = ix.rank(level)
    worse, label, _ = ix.levels[k + 1]
    start, deprived = ix.levels[k][2], set(deprived)
    short = round(start - score, 4)        # positive: a floor only makes a level worse than its band
    def listed(names):
        return [{"indicator": i.name, "label": i.label, "weight": i.weight} for i in ix.indicators if i.name in names]
    return {"level": worse, "label": label, "from_score": start, "short_by": short, "counted": listed(deprived),
            "each_would_reach": listed({i.name for i in ix.indicators if i.name not in deprived and i.weight >= short - 1e-9})}


def grade(deprived: pl.DataFrame) -> pl.DataFrame:
    """score and level from one boolean column per indicator and per floor fact (null: not known).
    The level is the band of the score, made no better than each floor whose fact holds; so
    switching on a deprivation or a floor's fact never gives a better level (the weights are
    positive and the bands ordered). A null indicator makes the score and level null."""
    ix = load_index()
    score = pl.sum_horizontal(*(pl.col(i.name).cast(pl.Float64) * i.weight for i in ix.indicators)).round(4)
    rank = pl.lit(len(ix.levels) - 1)
    for k, (_, _, below) in reversed(list(enumerate(ix.levels))):
        rank = pl.when(pl.col("score") < below).then(pl.lit(k)).otherwise(rank)
    for f in ix.floors:
        rank = pl.max_horizontal(rank, pl.when(pl.col(f.when).fill_null(False)).then(ix.rank(f.at_least)).otherwise(0))
    codes = pl.Series([lv for lv, _, _ in ix.levels])
    known = pl.all_horizontal(*(pl.col(i.name).is_not_null() for i in ix.indicators))
    facts = [f.when for f in ix.floors]
    return (deprived.select(*facts, score=score, _known=known)
            .with_columns(_rank=rank.cast(pl.UInt32))
            .select(score=pl.when("_known").then("score"),
                    level=pl.when("_known").then(pl.lit(codes).gather(pl.col("_rank")))))


def score(persons: pl.DataFrame, households: pl.DataFrame, on: dt.date,
          present: Iterable[str] | None = None, transfers: pl.DataFrame | None = None) -> pl.DataFrame:
    """household_id, region_code, size, income_per_capita, per_capita_income, poverty_line,
    below_poverty_line, score, level, deprived (indicator names). With `present` (the tables of
    the source), indicators needing an absent table are null, and so are the score and level
    (the incomes and the line's comparison too without incomes). `transfers`: as in
    `household_facts`; the line's per-capita income is the rules' (transfers are not counted)."""
    ix = load_index()
    missing = unknown(present)
    facts = household_facts(persons, households, on, transfers)
    line = poverty_line(persons, households, on)
    facts = facts.join(line, on="household_id", how="left", maintain_order="left")
    no_incomes = present is not None and "incomes" not in set(present)
    if no_incomes:
        facts = facts.with_columns(pl.lit(None, pl.Float64).alias(c) for c in ("income_per_capita", "per_capita_income")
                                   ).with_columns(below_poverty_line=pl.lit(None, pl.Boolean))
    d = deprivations(facts, on)            # one row per fact row, in the same order
    if missing:
        d = d.with_columns(pl.lit(None, pl.Boolean).alias(n) for n in missing)
    out = grade(pl.concat([d, facts.select(*FLOOR_FACTS)], how="horizontal"))
    # The indicators a household is deprived in, as a bit mask: a few hundred distinct masks are
    # turned into lists of names once, instead of a list built for every household.
    mask = pl.sum_horizontal(*(pl.col(i.name).fill_null(False).cast(pl.UInt32) * (1 << k) for k, i in enumerate(ix.indicators)))
    out = out.with_columns(d.select(_mask=mask))
    masks = out.select(pl.col("_mask").unique())
    names = masks.with_columns(deprived=pl.concat_list(
        *(pl.when((pl.col("_mask") & (1 << k)) > 0).then(pl.lit(i.name)) for k, i in enumerate(ix.indicators))
    ).list.drop_nulls())
    out = out.join(names, on="_mask", how="left", maintain_order="left").drop("_mask")
    return pl.concat([facts.select("household_id", "region_code", "size", "income_per_capita", "per_capita_income",
                                   "poverty_line", *FLOOR_FACTS), out], how="horizontal")


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
