"""Scoring services: index levels for every household of an extract or the registry, the
household card, and the targeting of the standard's measures."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from komek.scoring import index


def score_households(extract: Path | None, on: dt.date, database: str | None = None) -> pl.DataFrame:
    """Score, level and deprived indicators for every household living on `on`."""
    from komek.kz import registry_inputs
    tables = registry_inputs.scan_database(database) if database else registry_inputs.scan(Path(extract))
    persons, households = registry_inputs.build(tables, on)
    return index.score(persons, households, on)


def write_levels(levels: pl.DataFrame, out: Path) -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    levels.write_parquet(out / "levels.parquet")
    index.distribution(levels).write_parquet(out / "levels_by_region.parquet")
    return out / "levels.parquet"


def household_card(levels: pl.DataFrame, household_id: str) -> dict:
    """What a caseworker reads: the level, the score and each indicator that put it there, with why."""
    row = levels.filter(pl.col("household_id") == household_id)
    if row.height == 0:
        raise ValueError(f"household {household_id!r}: not scored")
    r = row.row(0, named=True)
    ix = index.load_index()
    labels = {lv: label for lv, label, _ in ix.levels}
    return {"household_id": household_id, "level": r["level"], "level_label": labels[r["level"]],
            "score": r["score"], "index_version": ix.version,
            "deprived": [{"indicator": i.name, "domain": i.domain, "label": i.label, "weight": i.weight, "why": i.why}
                         for i in ix.indicators if i.name in r["deprived"]]}


def targeting(run, levels: pl.DataFrame) -> pl.DataFrame:
    """Per benefit of a simulation: spending to D-E and the bottom quintile, D-E coverage, leakage to A-B."""
    from komek.kz.standard import CONTRIBUTIONS
    from komek.scoring.targeting import by_measure
    from komek.services.simulate import measure_names
    group, person = measure_names()
    measures = [m for m in group + person if m not in CONTRIBUTIONS and m in run.households.columns]
    return by_measure(run.households, levels, measures)


def distribution_table(levels: pl.DataFrame):
    from rich.table import Table
    ix = index.load_index()
    d = index.distribution(levels, by=None).row(0, named=True)
    t = Table(title=f"Vulnerability levels (index {ix.version}): {levels.height:,} households")
    for col in ("level", "", "households", "share"):
        t.add_column(col, justify="left" if col in ("level", "") else "right")
    for lv, label, _ in ix.levels:
        t.add_row(lv, label, f"{d[lv]:,}", f"{d[lv + ' %']:.1f}%")
    return t
