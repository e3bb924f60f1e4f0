"""Scoring services: index levels (or the 2025 method's categories) for every household of a
source, the household card's level, the targeting of the standard's measures, and the two
methods compared on the same households."""
from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from komek import analytics
from komek.errors import FieldError, NotFound
from komek.kz import registry_inputs
from komek.kz.standard import benefits
from komek.registry import Source
from komek.scoring import index, method2025, synthetic
from komek.scoring.targeting import by_measure
from komek.services.sources import source
from komek.synth import generate

AS_OF, SURVEY_DAY = dt.date(2026, 11, 1), dt.date(2026, 10, 31)
# The household scoring methods: the vulnerability index (levels A-E, the default) and the
# 2025 vulnerability and sustainability method (categories 1-6).
METHODS = ("index", "2025")
TABLES_2025 = (*registry_inputs.TABLES, "assets")


def method_of(method: str) -> str:
    if method not in METHODS:
        raise FieldError("method", f"{method!r} is not a scoring method; one of {', '.join(METHODS)}")
    return method


def score_households(source: Source, on: dt.date, method: str = "index") -> pl.DataFrame:
    """Score, level and deprived indicators for every household living on `on`; an indicator
    whose data the source lacks is not computed, and then neither is the level. With method
    "2025", the category 1-6 of `method2025.score` (criteria not known make it provisional)."""
    tables = registry_inputs.tables_of(source)
    persons, households = registry_inputs.build(tables, on)
    if method_of(method) == "2025":
        return method2025.score(persons, households, on, tables, source.scan("assets") if source.has("assets") else None)
    return index.score(persons, households, on, tables)


def not_computed(source: Source, method: str = "index") -> dict[str, str]:
    """The indicators (or the 2025 method's criteria) a source cannot support, with why."""
    if method_of(method) == "2025":
        return method2025.unknown([t for t in TABLES_2025 if source.has(t)])
    return index.unknown([t for t in registry_inputs.TABLES if source.has(t)])


def sample_survey(out: Path, households: int, seed: int) -> pl.DataFrame:
    """A labelled survey drawn from a synthetic country (`scoring.synthetic`), written as CSV with
    the household id in `hhid` and the poverty class (1 poorest .. 4) in `poverty`."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), households, seed=seed, as_of=AS_OF)
        tables = registry_inputs.tables_of(source(tmp))
        persons, hh = registry_inputs.build(tables, SURVEY_DAY)
    frame = synthetic.survey(persons, hh, SURVEY_DAY, seed).rename({"household_id": "hhid", "poverty_class": "poverty"})
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(out)
    return frame


def write_levels(levels: pl.DataFrame, out: Path, unknown: dict[str, str] | None = None) -> Path:
    """levels.parquet, levels_by_region.parquet and indicators.parquet (each indicator: computed,
    or why not; `unknown` from `index.unknown`)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    levels.write_parquet(out / "levels.parquet")
    index.distribution(levels).write_parquet(out / "levels_by_region.parquet")
    indicators(unknown).write_parquet(out / "indicators.parquet")
    return out / "levels.parquet"


def write_categories(categories: pl.DataFrame, out: Path, unknown: dict[str, str] | None = None) -> Path:
    """categories.parquet (the 2025 method, one row per household) and criteria.parquet (each
    criterion: computed, or why not; `unknown` from `method2025.unknown`)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    categories.write_parquet(out / "categories.parquet")
    unknown = unknown or {}
    names = ["income", *(c.name for c in method2025.load_method().criteria)]
    pl.DataFrame({"criterion": names, "computed": [n not in unknown for n in names],
                  "not_computed_because": [unknown.get(n) for n in names]},
                 schema={"criterion": pl.String, "computed": pl.Boolean, "not_computed_because": pl.String}
                 ).write_parquet(out / "criteria.parquet")
    return out / "categories.parquet"


def indicators(unknown: dict[str, str] | None = None) -> pl.DataFrame:
    """Each indicator of the index: computed, or why not (`unknown`, from `index.unknown`)."""
    unknown = unknown or {}
    names = [i.name for i in index.load_index().indicators]
    return pl.DataFrame({"indicator": names, "computed": [n not in unknown for n in names],
                         "not_computed_because": [unknown.get(n) for n in names]},
                        schema={"indicator": pl.String, "computed": pl.Boolean, "not_computed_because": pl.String})


def household_card(levels: pl.DataFrame, household_id: str, unknown: dict[str, str] | None = None,
                   facts: dict | None = None, on: dt.date | None = None) -> dict:
    """What a caseworker reads: the level, the score and each indicator that put it there, with
    why; the indicators that could not be computed (`unknown`, from `index.unknown`), with why;
    the per-capita income against the poverty line; and, with the household's `facts` (a row of
    `index.household_facts`) on `on`, every indicator's value and threshold, deprived or not, so a
    level says why it is not lower."""
    row = levels.filter(pl.col("household_id") == household_id)
    if row.height == 0:
        raise NotFound(f"household {household_id!r}: not scored")
    r = row.row(0, named=True)
    ix = index.load_index()
    unknown = unknown or {}
    labels = {lv: label for lv, label, _ in ix.levels}
    values = index.measured(facts, on) if facts is not None else {}
    floors = [{"level": f.at_least, "because": f.when, "reference": f.reference, "why": f.why}
              for f in ix.floors if r.get(f.when)]
    return {"household_id": household_id, "level": r["level"], "level_label": labels.get(r["level"], "not known"),
            "score": r["score"], "index_version": ix.version,
            "income": {"per_capita_income": r.get("per_capita_income"), "poverty_line": r.get("poverty_line"),
                       "below_poverty_line": r.get("below_poverty_line")},
            "next_level": index.next_level(r["level"], r["score"], r["deprived"] or ()),
            "floors": floors,
            "deprived": [{"indicator": i.name, "domain": i.domain, "label": i.label, "weight": i.weight, "why": i.why}
                         for i in ix.indicators if i.name in r["deprived"]],
            "indicators": [{"indicator": i.name, "domain": i.domain, "label": i.label, "weight": i.weight,
                            "deprived": None if i.name in unknown else i.name in r["deprived"],
                            "value": None if i.name in unknown else values.get(i.name, (None, None))[0],
                            "threshold": values.get(i.name, (None, None))[1]}
                           for i in ix.indicators] if facts is not None else [],
            "not_computed_indicators": [{"indicator": i.name, "label": i.label, "why": unknown[i.name]}
                             for i in ix.indicators if i.name in unknown]}


def by_decile(levels: pl.DataFrame) -> pl.DataFrame:
    """Households per level in each decile of per-capita income (the rules', counted for TSA;
    1 poorest, each decile a tenth of the people), with the decile's income range and shares in %.
    Households whose income or level is not known are left out (not counted as poor)."""
    known = levels.filter(pl.col("per_capita_income").is_not_null() & pl.col("level").is_not_null()).sort("household_id")
    if known.height == 0:
        return pl.DataFrame(schema={"decile": pl.Int64, "households": pl.UInt32})
    size = known["size"].to_numpy()
    decile = analytics.deciles(known["per_capita_income"].to_numpy(), size, np.ones(known.height),
                               known["household_id"].to_numpy())
    f = known.with_columns(decile=pl.Series(decile).cast(pl.Int64))
    wide = f.group_by("decile", "level").len().pivot(on="level", index="decile", values="len")
    wide = wide.with_columns(pl.lit(0, pl.UInt32).alias(lv) for lv in index.LEVELS if lv not in wide.columns)
    wide = wide.with_columns(pl.col(lv).fill_null(0) for lv in index.LEVELS)
    ranges = f.group_by("decile").agg(income_from=pl.col("per_capita_income").min(), income_to=pl.col("per_capita_income").max(),
                                      below_line=pl.col("below_poverty_line").sum())
    out = wide.join(ranges, on="decile").with_columns(households=pl.sum_horizontal(*index.LEVELS))
    out = out.with_columns(**{f"{lv} %": 100 * pl.col(lv) / pl.col("households") for lv in index.LEVELS})
    return out.select("decile", "income_from", "income_to", "households", "below_line", *index.LEVELS,
                      *(f"{lv} %" for lv in index.LEVELS)).sort("decile")


def targeting(run, levels: pl.DataFrame) -> pl.DataFrame:
    """Per benefit computed: spending to D-E and the bottom quintile, D-E coverage, leakage to A-B."""
    measures = [m for m in benefits() if m in run.households.columns and m not in run.not_computed]
    return by_measure(run.households, levels.filter(pl.col("level").is_not_null()), measures)


def household_category(categories: pl.DataFrame, household_id: str, unknown: dict[str, str] | None = None) -> dict:
    """A household's 2025 category for the card: the category and its label, the base from
    income, every criterion (holds, no, or not known with why) with its step, and the range the
    criteria not known could move it to (provisional when more than one category)."""
    row = categories.filter(pl.col("household_id") == household_id)
    if row.height == 0:
        raise NotFound(f"household {household_id!r}: not scored")
    r, m, unknown = row.row(0, named=True), method2025.load_method(), unknown or {}
    return {"method": "2025", "method_version": m.version, "reference": m.reference, "sources": list(m.sources),
            "category": r["category"], "category_label": m.label(r["category"]),
            "base_category": r["base_category"], "income_ratio": r["income_ratio"],
            "income_not_known": unknown.get("income"),
            "provisional": r["provisional"], "category_low": r["category_low"], "category_high": r["category_high"],
            "criteria": [{"criterion": c.name, "component": c.component, "label": c.label, "step": c.step, "why": c.why,
                          "holds": None if c.name in r["not_known"] else c.name in r["held"],
                          "not_known_because": unknown.get(c.name) if c.name in r["not_known"] else None}
                         for c in m.criteria]}


def cross_table(levels: pl.DataFrame, categories: pl.DataFrame) -> pl.DataFrame:
    """Households by index level (rows A-E, then not known) and 2025 category (columns 1-6,
    then not known), on the households both scored; `households` is each row's total."""
    both = levels.select("household_id", "level").join(categories.select("household_id", "category"),
                                                       on="household_id", how="inner")
    both = both.with_columns(pl.col("level").fill_null(index.NOT_KNOWN),
                             pl.col("category").cast(pl.String).fill_null(index.NOT_KNOWN))
    columns = [*(str(c) for c in method2025.CATEGORIES), index.NOT_KNOWN]
    counts = {(lv, c): n for lv, c, n in both.group_by("level", "category").len().iter_rows()}
    rows = [{"level": lv, **{c: counts.get((lv, c), 0) for c in columns}} for lv in (*index.LEVELS, index.NOT_KNOWN)]
    out = pl.DataFrame(rows, schema={"level": pl.String, **dict.fromkeys(columns, pl.Int64)})
    return out.with_columns(households=pl.sum_horizontal(*columns))


def top_levels(run, levels: pl.DataFrame, categories: pl.DataFrame) -> pl.DataFrame:
    """Per benefit computed in a simulation `run`: the households it pays (recipients), and how
    many of them each method places at its top welfare levels (the index's A-B, the 2025
    method's categories 5-6, and of those how many provisionally), as counts and shares of the
    recipients. A recipient whose level or category is not known is not counted at the top."""
    measures = [m for m in benefits() if m in run.households.columns and m not in run.not_computed]
    f = (run.households.select("household_id", *measures)
         .join(levels.select("household_id", "level"), on="household_id", how="left")
         .join(categories.select("household_id", "category", "provisional"), on="household_id", how="left")
         .with_columns(ab=pl.col("level").is_in(["A", "B"]).fill_null(False),
                       top=pl.col("category").is_in(list(method2025.TOP)).fill_null(False)))
    rows = []
    for m in measures:
        paid = f.filter(pl.col(m) > 0)
        n, ab, top = paid.height, int(paid["ab"].sum()), int(paid["top"].sum())
        rows.append({"measure": m, "recipients": n, "at_AB": ab, "at_56": top,
                     "at_56_provisional": int((paid["top"] & paid["provisional"].fill_null(True)).sum()),
                     "at_both": int((paid["ab"] & paid["top"]).sum()),
                     "AB_share": ab / n if n else None, "share_56": top / n if n else None})
    schema = {"measure": pl.String, "recipients": pl.Int64, "at_AB": pl.Int64, "at_56": pl.Int64,
              "at_56_provisional": pl.Int64, "at_both": pl.Int64, "AB_share": pl.Float64, "share_56": pl.Float64}
    return pl.DataFrame(rows, schema=schema).filter(pl.col("recipients") > 0).sort("recipients", descending=True)
