"""Benefit payments for the synthetic extract: the rules' amounts for each month, paid to the
households that take each measure up (payments.yaml). Contributions are not payments."""
from __future__ import annotations

import datetime as dt
import zlib
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from komek.contract.schema import default_contract
from komek.kz.standard import CONTRIBUTIONS


@cache
def take_up() -> dict:
    return yaml.safe_load(files(__package__).joinpath("payments.yaml").read_text("utf-8"))


def _draw(keys: pl.Series, measure: str, seed: int) -> np.ndarray:
    """A uniform number per key, stable across months, runs and library versions."""
    salt = f"{seed}:{measure}:"
    return np.array([zlib.crc32((salt + k).encode()) / 2**32 for k in keys.to_list()])


def months_before(as_of: dt.date, months: int) -> list[str]:
    index = as_of.year * 12 + as_of.month - 1
    return [f"{(i // 12):04d}-{i % 12 + 1:02d}" for i in range(index - months, index)]


def payments(extract: Path, as_of: dt.date, months: int, seed: int, progress=None) -> pl.DataFrame:
    """The payments table of the contract for the `months` months before `as_of`."""
    from komek.kz import registry_inputs
    from komek.services.simulate import last_day, measure_names, region_results
    cfg = take_up()
    tables = registry_inputs.scan(Path(extract))
    frames, contracts = [], []
    for i, month in enumerate(months_before(as_of, months), 1):
        on = last_day(month)
        persons, households = registry_inputs.build(tables, on)
        hh, people = region_results(persons, households, on, also=("tsa_unconditional", "able_bodied"))
        heads = persons.filter(pl.col("role") == "head").select("household_id", pl.col("iin").alias("head_iin")).unique("household_id")
        region = hh.select("household_id", "region_code")
        taken: dict[str, pl.Series] = {}
        for m in [c for c in sum(measure_names(), []) if c not in CONTRIBUTIONS]:
            rate = cfg["take_up"].get(m, cfg["take_up"]["default"])["rate"]
            leader = cfg.get("follows", {}).get(m)
            takes = taken[leader] if leader in taken else pl.Series(_draw(hh["household_id"], m, seed) < rate)
            taken[m] = takes
            if m in people.columns:          # person measure: paid to the person
                paid = (people.join(hh.select("household_id").with_columns(_t=takes), on="household_id")
                        .filter(pl.col("_t") & (pl.col(m) > 0)).select("iin", "household_id", pl.col(m).alias("amount")))
            else:                            # household measure: paid to the head
                paid = (hh.with_columns(_t=takes).filter(pl.col("_t") & (pl.col(m) > 0))
                        .join(heads, on="household_id").select(pl.col("head_iin").alias("iin"), "household_id",
                                                                pl.col(m).alias("amount")))
            frames.append(paid.join(region, on="household_id").with_columns(measure=pl.lit(m), month=pl.lit(month)))
        # Conditional TSA is paid under a social contract: its able-bodied members are registered
        # with the employment centre from the day before the first month paid.
        conditional = hh.with_columns(_t=taken["tsa"]).filter(pl.col("_t") & (pl.col("tsa") > 0) & ~pl.col("tsa_unconditional"))
        contracts.append(people.filter(pl.col("able_bodied")).join(conditional.select("household_id", "region_code"),
                                                                    on="household_id")
                         .select("iin", "region_code", registered=pl.lit(on.replace(day=1) - dt.timedelta(days=1))))
        if progress:
            progress(f"payments: {month}", i, months)
    schema = default_contract().tables["payments"].schema
    if not frames:
        return pl.DataFrame(schema=schema), pl.DataFrame(schema={"iin": pl.String, "region_code": pl.String, "registered": pl.Date})
    out = pl.concat(frames).with_columns(
        payment_id=pl.concat_str([pl.lit("P"), pl.col("month").str.replace("-", ""), pl.lit("-"), pl.col("measure"),
                                  pl.lit("-"), pl.col("iin")]))
    registrations = pl.concat(contracts).sort("registered").unique("iin", keep="first").sort("iin")
    return out.select([pl.col(c).cast(t) for c, t in schema.items()]).sort("month", "region_code", "payment_id"), registrations


def register_jobseekers(extract: Path, registrations: pl.DataFrame) -> None:
    """Add the social-contract registrations to the extract's jobseekers (replacing older records)."""
    path = Path(extract) / "jobseekers.parquet"
    schema = default_contract().tables["jobseekers"].schema
    seekers = pl.read_parquet(path) if path.exists() else pl.DataFrame(schema=schema)
    added = registrations.with_columns(occupation_code=pl.lit("9629"), status=pl.lit("registered"), wage=pl.lit(None))
    seekers = seekers.filter(~pl.col("iin").is_in(registrations["iin"].implode()))
    merged = pl.concat([seekers, added.select([pl.col(c).cast(t) for c, t in schema.items()])], how="vertical_relaxed")
    merged.select([pl.col(c).cast(t) for c, t in schema.items()]).sort("iin", "registered").write_parquet(path)


def write_payments(extract: Path, as_of: dt.date, months: int, seed: int, progress=None) -> int:
    frame, registrations = payments(extract, as_of, months, seed, progress)
    frame.write_parquet(Path(extract) / "payments.parquet")
    register_jobseekers(extract, registrations)
    return frame.height
