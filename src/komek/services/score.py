"""Scoring services: index levels for every household of a source, the household card's level,
and the targeting of the standard's measures."""
from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from komek import analytics
from komek.errors import NotFound
from komek.kz import registry_inputs
from komek.kz.standard import benefits
from komek.registry import Source
from komek.scoring import index, synthetic
from komek.scoring.targeting import by_measure
from komek.services.sources import source
from komek.synth import generate

AS_OF, SURVEY_DAY = dt.date(2026, 11, 1), dt.date(2026, 10, 31)


def score_households(source: Source, on: dt.date) -> pl.DataFrame:
    """Score, level and deprived indicators for every household living on `on`; an indicator
    whose data the source lacks is not computed, and then neither is the level."""
    tables = registry_inputs.tables_of(source)
    persons, households = registry_inputs.build(tables, on)
    return index.score(persons, households, on, tables)


def not_computed(source: Source) -> dict[str, str]:
    """The indicators a source cannot support (its tables are not there), with why."""
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
            "next_level": _next_level(ix, r["level"]),
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


def _next_level(ix: index.Index, level: str | None) -> dict | None:
    """The next worse level and the score it starts at (None at the worst or without a level)."""
    if level is None or ix.rank(level) == len(ix.levels) - 1:
        return None
    k = ix.rank(level)
    worse, label, _ = ix.levels[k + 1]
    return {"level": worse, "label": label, "from_score": ix.levels[k][2]}


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
