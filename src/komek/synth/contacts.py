"""The mobile numbers of the synthetic people, as eGov's mobile citizens database would send them
(the optional `contacts` table): most living adults, one number each, registered some years ago.
The proactive offers' SMS go to these numbers; a person without one is offered but not told."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from komek.kz import contract

SHARE = 0.85        # of living adults with a number in the database: an assumption, no published figure read
ADULT = 16          # a number is registered from 16 (an IIN-bound SIM); an assumption
PREFIXES = ("700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778")


def contacts(extract: Path, as_of: dt.date, seed: int) -> pl.DataFrame:
    persons = pl.read_parquet(Path(extract) / "persons.parquet", columns=["iin", "birth_date", "death_date"])
    adult = as_of.replace(year=as_of.year - ADULT)
    living = persons.filter(pl.col("death_date").is_null() & (pl.col("birth_date") <= adult)).sort("iin")
    rng = np.random.default_rng([seed, 20261203])
    kept = living.filter(pl.Series(rng.random(living.height) < SHARE))
    n = kept.height
    numbers = [f"+7{PREFIXES[p]}{d:07d}" for p, d in zip(rng.integers(len(PREFIXES), size=n), rng.integers(10**7, size=n))]
    since = [as_of - dt.timedelta(days=int(d)) for d in rng.integers(30, 3650, size=n)]
    out = kept.select("iin").with_columns(phone=pl.Series(numbers), since=pl.Series(since, dtype=pl.Date),
                                          source_system=pl.lit("egov_mobile"))
    schema = contract().tables["contacts"].schema
    return out.select([pl.col(c).cast(t) for c, t in schema.items()])


def write_contacts(extract: Path, as_of: dt.date, seed: int) -> int:
    frame = contacts(extract, as_of, seed)
    frame.write_parquet(Path(extract) / "contacts.parquet")
    return frame.height
