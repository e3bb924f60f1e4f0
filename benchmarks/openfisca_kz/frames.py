"""Input frames (the standard's persons and households, as Parquet) to the engines' arrays: the
benchmark's own step, timed as part of each engine's build, so both engines start from the same
files (Komek itself hands the registry's arrays to the engine directly: `Prepared.engine`)."""
from __future__ import annotations

import numpy as np
import polars as pl

from komek.kz.registry_inputs import HOUSEHOLD_COLUMNS, PERSON_COLUMNS


def _numpy(column: pl.Series) -> np.ndarray:
    if column.dtype != pl.String:
        return column.to_numpy()
    text = column.fill_null("")
    values = text.unique().sort()
    codes = text.cast(pl.Enum(values.to_list())).to_physical().to_numpy()
    return np.array(values.to_list() or [""], dtype=str)[codes]


def arrays(persons: pl.DataFrame, households: pl.DataFrame) -> tuple[dict, dict, np.ndarray]:
    """Person arrays, household arrays and each person's household index."""
    ids = households["household_id"]
    if ids.is_sorted():
        group_of = ids.search_sorted(persons["household_id"]).to_numpy()
    else:
        index = households.select("household_id").with_row_index("_g")
        group_of = persons.join(index, on="household_id", how="left", maintain_order="left")["_g"].to_numpy()
    p = {c: _numpy(persons[c]) for c in PERSON_COLUMNS if c not in ("iin", "household_id", "birth_date")}
    p["birth_date"] = persons["birth_date"].to_numpy().astype("datetime64[D]")
    h = {c: _numpy(households[c]) for c in HOUSEHOLD_COLUMNS if c != "household_id"}
    return p, h, group_of.astype(np.int64)
