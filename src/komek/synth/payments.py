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

from komek.kz import contract, registry_inputs
from komek.kz.batch import region_results
from komek.kz.standard import benefits
from komek.periods import month_end, months_before
from komek.registry import ExtractSource


@cache
def take_up() -> dict:
    return yaml.safe_load(files(__package__).joinpath("payments.yaml").read_text("utf-8"))


def _key_hashes(keys: pl.Series) -> np.ndarray:
    """A stable 32-bit hash of each key (CRC-32: the same across runs and library versions)."""
    return np.fromiter((zlib.crc32(k.encode()) for k in keys.to_list()), dtype=np.uint64, count=keys.len())


def _uniform(hashes: np.ndarray, measure: str, seed: int) -> np.ndarray:
    """A uniform number in [0, 1) per key hash, its own for each measure and seed, stable across
    months: the key's hash and the measure's are mixed by SplitMix64's finalizer."""
    x = hashes ^ (np.uint64(zlib.crc32(f"{seed}:{measure}".encode())) << np.uint64(32))
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / 2.0**53


def payments(extract: Path, as_of: dt.date, months: int, seed: int, progress=None) -> pl.DataFrame:
    """The payments table of the contract for the `months` months before `as_of`."""
    cfg = take_up()
    paid_months = months_before(as_of, months)
    tables = registry_inputs.tables_of(ExtractSource(Path(extract), contract()))
    registry = registry_inputs.Registry(tables, dates=[month_end(m) for m in paid_months])
    hashes = _key_hashes(registry.ids)            # by _hid
    paid_out = benefits()
    frames, contracts = [], []
    for i, month in enumerate(paid_months, 1):
        on = month_end(month)
        for _, part in registry.prepare(on).by_region():
            paid, registered = _region_payments(part, month, hashes[part.hid], paid_out, cfg, seed)
            frames.append(paid)
            contracts.append(registered)
        if progress:
            progress(f"payments: {month}", i, months)
    schema = contract().tables["payments"].schema
    if not frames:
        return pl.DataFrame(schema=schema), pl.DataFrame(schema={"iin": pl.String, "region_code": pl.String, "registered": pl.Date})
    out = pl.concat(frames).with_columns(
        payment_id=pl.concat_str([pl.lit("P"), pl.col("month").str.replace("-", ""), pl.lit("-"), pl.col("measure"),
                                  pl.lit("-"), pl.col("iin")]))
    registrations = pl.concat(contracts).sort("registered").unique("iin", keep="first").sort("iin")
    return out.select([pl.col(c).cast(t) for c, t in schema.items()]).sort("month", "region_code", "payment_id"), registrations


def _region_payments(part, month: str, hashes: np.ndarray, benefits: list[str], cfg: dict,
                     seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One region's payments for the month (`part`: the region's households prepared for the
    month's last day), and the social-contract registrations they imply."""
    on = part.on
    hh, people, _ = region_results(part, also=("tsa_unconditional", "able_bodied"))
    heads = (people.filter(pl.Series(part.is_head)).select("household_id", pl.col("iin").alias("head_iin"))
             .unique("household_id", keep="first", maintain_order=True))
    taken: dict[str, np.ndarray] = {}
    for m in benefits:
        rate = cfg["take_up"].get(m, cfg["take_up"]["default"])["rate"]
        leader = cfg.get("follows", {}).get(m)
        taken[m] = taken[leader] if leader in taken else _uniform(hashes, m, seed) < rate
    takes = hh.select("household_id", "region_code", **{f"_t_{m}": pl.Series(v) for m, v in taken.items()})
    frames = []
    for m in benefits:
        if m in people.columns:          # person measure: paid to the person
            paid = (people.filter(pl.col(m) > 0).join(takes.filter(pl.col(f"_t_{m}")).select("household_id", "region_code"),
                                                        on="household_id")
                    .select("iin", "household_id", "region_code", pl.col(m).alias("amount")))
        else:                            # household measure: paid to the head
            paid = (hh.filter(pl.col(m) > 0).join(takes.filter(pl.col(f"_t_{m}")).select("household_id"), on="household_id")
                    .join(heads, on="household_id")
                    .select(pl.col("head_iin").alias("iin"), "household_id", "region_code", pl.col(m).alias("amount")))
        frames.append(paid.with_columns(measure=pl.lit(m), month=pl.lit(month)))
    # Conditional TSA is paid under a social contract: its able-bodied members are registered
    # with the employment centre from the day before the first month paid.
    conditional = (hh.with_columns(_t=pl.Series(taken["tsa"]))
                   .filter(pl.col("_t") & (pl.col("tsa") > 0) & ~pl.col("tsa_unconditional")))
    contract = (people.filter(pl.col("able_bodied")).join(conditional.select("household_id", "region_code"), on="household_id")
                .select("iin", "region_code", registered=pl.lit(on.replace(day=1) - dt.timedelta(days=1))))
    return pl.concat(frames), contract


def register_jobseekers(extract: Path, registrations: pl.DataFrame) -> None:
    """Add the social-contract registrations to the extract's jobseekers (replacing older records)."""
    path = Path(extract) / "jobseekers.parquet"
    schema = contract().tables["jobseekers"].schema
    seekers = pl.read_parquet(path) if path.exists() else pl.DataFrame(schema=schema)
    added = registrations.with_columns(occupation_code=pl.lit("9629"), status=pl.lit("registered"), wage=pl.lit(None))
    seekers = seekers.filter(~pl.col("iin").is_in(registrations["iin"].implode()))
    merged = pl.concat([seekers, added.select([pl.col(c).cast(t) for c, t in schema.items()])], how="vertical_relaxed")
    merged.select([pl.col(c).cast(t) for c, t in schema.items()]).sort("iin", "registered").write_parquet(path)


def write_payments(extract: Path, as_of: dt.date, months: int, seed: int, progress=None) -> int:
    frame, registrations = payments(extract, as_of, months, seed, progress)
    frame.write_parquet(Path(extract) / "payments.parquet")
    register_jobseekers(extract, registrations)
    account_activity(frame, seed).write_parquet(Path(extract) / "account_activity.parquet")
    return frame.height


def account_activity(paid: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Each pension recipient's account, with its expenditure transactions in every month paid:
    1 or more (pensioners spend their pension); dormant accounts are planted, not generated."""
    pensioners = paid.filter(pl.col("measure").is_in(take_up()["accounts"]["measures"])).select("iin", "month").unique().sort("iin", "month")
    rng = np.random.default_rng([seed, 20260601])
    # An account number that does not carry the IIN: the recipient's position among them.
    number = pl.col("iin").rank("dense").cast(pl.Int64) + 10_000_000 * (seed % 100_000)
    out = pensioners.with_columns(
        account=pl.concat_str(pl.lit("KZ00722"), number.cast(pl.String).str.zfill(13)),
        expenditures=pl.Series(rng.poisson(take_up()["accounts"]["expenditures_mean"]["value"] - 1, pensioners.height) + 1))
    schema = contract().tables["account_activity"].schema
    return out.select([pl.col(c).cast(t) for c, t in schema.items()])
