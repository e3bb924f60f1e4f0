"""Checks on where the recipient is: alive, in the country, registered in the paying region."""
from __future__ import annotations

import datetime as dt

import polars as pl

from komek.audit import check_config, findings, value

# A month's first and last day, looked up rather than parsed per row (parsing millions of
# "YYYY-MM" strings costs a second per use at a country's scale).
_MONTHS = pl.date_range(dt.date(1900, 1, 1), dt.date(2199, 12, 1), interval="1mo", eager=True)
MONTH_START = pl.col("month").replace_strict(_MONTHS.dt.strftime("%Y-%m"), _MONTHS, default=None, return_dtype=pl.Date)
MONTH_END = pl.col("month").replace_strict(_MONTHS.dt.strftime("%Y-%m"), _MONTHS.dt.month_end(), default=None,
                                           return_dtype=pl.Date)


def measured(check: str) -> pl.Expr:
    """The check's measures, as a condition to combine with others in one filter (each filter of
    a country's payments copies them)."""
    measures = check_config(check)["measures"]
    return pl.lit(True) if measures == "all" else pl.col("measure").is_in(measures)


def paid_after_death(paid: pl.DataFrame, persons: pl.DataFrame) -> pl.DataFrame:
    """A payment for a month that begins after the recipient's recorded death."""
    dead = persons.lazy().filter(pl.col("death_date").is_not_null()).select("iin", "death_date")
    hit = (paid.lazy().filter(measured("paid_after_death")).join(dead, on="iin")
           .filter(MONTH_START > pl.col("death_date")).collect())
    return findings("paid_after_death", hit, ["death_date"])


def stays_abroad(crossings: pl.DataFrame, as_of: dt.date | None) -> pl.DataFrame:
    """iin, exit, entry: each exit with the next entry after it (none yet: still abroad)."""
    c = crossings.sort("iin", "date", "direction")
    nxt = c.with_columns(next_dir=pl.col("direction").shift(-1).over("iin"), next_date=pl.col("date").shift(-1).over("iin"))
    return (nxt.filter(pl.col("direction") == "exit")
            .select("iin", pl.col("date").alias("exit"),
                    pl.when(pl.col("next_dir") == "entry").then(pl.col("next_date")).otherwise(None).alias("entry")))


def abroad_beyond_allowed(paid: pl.DataFrame, crossings: pl.DataFrame, as_of: dt.date | None = None) -> pl.DataFrame:
    """Abroad every day of the month, and the stay longer than allowed by the month's end."""
    allowed = value(check_config("abroad_beyond_allowed")["allowed_days_abroad"])
    stays = stays_abroad(crossings, as_of)
    hit = (paid.lazy().filter(measured("abroad_beyond_allowed")).join(stays.lazy(), on="iin")
           .filter((pl.col("exit") <= MONTH_START) & (pl.col("entry").is_null() | (pl.col("entry") > MONTH_END))
                   & ((MONTH_END - pl.col("exit")).dt.total_days() + 1 > allowed)).collect()
           .with_columns(days_abroad_by_month_end=(MONTH_END - pl.col("exit")).dt.total_days() + 1,
                         allowed_days=pl.lit(allowed))
           .unique("payment_id", keep="first", maintain_order=True))
    return findings("abroad_beyond_allowed", hit, ["exit", "entry", "days_abroad_by_month_end", "allowed_days"])


def registrations(addresses: pl.DataFrame | pl.LazyFrame, paid: pl.DataFrame) -> pl.DataFrame:
    """payment_id -> regions where the recipient was registered at some time in the month."""
    addresses = addresses.lazy().filter(pl.col("iin").is_in(paid["iin"].unique().implode()))
    return (paid.lazy().select("payment_id", "iin", "month")
            .join(addresses.select("iin", "region_code", "registered_from", "registered_to"), on="iin")
            .filter((pl.col("registered_from") <= MONTH_END) & (pl.col("registered_to").is_null() | (pl.col("registered_to") > MONTH_START)))
            .group_by("payment_id").agg(pl.col("region_code").unique().sort().alias("registered_regions")).collect())


def wrong_region(paid: pl.DataFrame, addresses: pl.DataFrame) -> pl.DataFrame:
    """Paid by a region where the recipient was not registered at any time in the month.

    A second payment of the same measure and month is a duplicate and reported as one, not here.
    """
    # The (person, region) pair packed in one integer: an IIN is below 2^40, a region code two digits.
    key = (pl.col("iin").cast(pl.UInt64, strict=False) * 1000
           + pl.col("region_code").cast(pl.UInt64, strict=False).fill_null(999)).alias("_key")
    # Payments by a region the recipient was registered in during the month: one join on the
    # (person, region) pair; the rest are the findings, whose registrations are then listed.
    rows = (paid.lazy().with_row_index("_row").filter(~pl.col("duplicate") & measured("wrong_region"))
            .select("_row", key, "month").collect())
    addr = addresses.lazy().select(key, "registered_from", "registered_to")
    fine = (rows.lazy().join(addr, on="_key")
            .filter((pl.col("registered_from") <= MONTH_END) & (pl.col("registered_to").is_null() | (pl.col("registered_to") > MONTH_START)))
            .select("_row").unique())
    out = paid[rows.lazy().join(fine, on="_row", how="anti").select("_row").collect()["_row"].sort()]
    hit = (out.join(registrations(addresses, out), on="payment_id", how="left")
           .with_columns(paying_region=pl.col("region_code")))
    return findings("wrong_region", hit, ["paying_region", "registered_regions"])
