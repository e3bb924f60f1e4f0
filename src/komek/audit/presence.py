"""Checks on where the recipient is: alive, in the country, registered in the paying region."""
from __future__ import annotations

import datetime as dt

import polars as pl

from komek.audit import check_config, findings, residence, residence_bound, value

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
    """A residence-bound measure (residence.yaml) paid for a month the recipient spent wholly
    abroad, with more days abroad than the measure allows in the window ending at the month's end.
    Severity by measure; the evidence: the stay over the month, every stay in the window, the days
    abroad in it, and how many months of the measure were paid while wholly abroad."""
    rules = residence_bound()
    window = residence()["window_days"]
    allowed = pl.DataFrame({"measure": list(rules), "allowed_days": [r["allowed_days_abroad"] for r in rules.values()],
                            "measure_severity": [r["severity"] for r in rules.values()]})
    stays = stays_abroad(crossings, as_of).lazy()
    first = pl.max_horizontal("exit", MONTH_END - pl.duration(days=window - 1))
    last = pl.min_horizontal(pl.col("entry").fill_null(dt.date(9999, 12, 31)) - pl.duration(days=1), MONTH_END)
    whole = (pl.col("exit") <= MONTH_START) & (pl.col("entry").is_null() | (pl.col("entry") > MONTH_END))
    per = (paid.lazy().filter(pl.col("measure").is_in(list(rules))).join(stays, on="iin")
           .filter((pl.col("exit") <= MONTH_END) & (pl.col("entry").is_null() | (pl.col("entry") > MONTH_END - pl.duration(days=window - 1))))
           .with_columns(days=((last - first).dt.total_days() + 1).clip(lower_bound=0), whole=whole,
                         stay=pl.concat_str(pl.col("exit").cast(pl.String), pl.lit(".."),
                                            pl.col("entry").cast(pl.String).fill_null("")))
           .group_by("payment_id")
           .agg(pl.col("days").sum().alias("days_abroad"), pl.col("whole").any(),
                pl.col("exit").filter("whole").first(), pl.col("entry").filter("whole").first(),
                pl.col("stay").sort().alias("stays_in_window")))
    hit = (paid.lazy().join(per.filter("whole"), on="payment_id").join(allowed.lazy(), on="measure")
           .with_columns(window_days=pl.lit(window), months_paid_abroad=pl.col("month").n_unique().over("iin", "measure"))
           .filter(pl.col("days_abroad") > pl.col("allowed_days"))
           .collect().sort("payment_id"))
    return findings("abroad_beyond_allowed", hit, ["exit", "entry", "stays_in_window", "days_abroad", "window_days",
                                                   "allowed_days", "months_paid_abroad"],
                    severity=pl.col("measure_severity"))


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


def account_dormant(paid: pl.DataFrame, activity: pl.DataFrame) -> pl.DataFrame:
    """A pension paid for a month after `dormant_months` whole months in which the recipient's
    accounts had no expenditure, each of those months reported (a month with no row is not known,
    so it never counts as dormant)."""
    cfg = check_config("account_dormant")
    n = int(value(cfg["dormant_months"]))
    monthly = (activity.lazy().group_by("iin", "month")
               .agg(pl.col("expenditures").sum(), pl.col("account").unique().sort().alias("accounts")))
    pay = paid.lazy().filter(measured("account_dormant"))
    # The n months before each month paid, one row each, then the payments whose every one is
    # reported with no expenditure.
    before = (pay.select("payment_id", "iin", "month").with_columns(
        back=pl.int_ranges(1, n + 1)).explode("back")
        .with_columns(prior=MONTH_START.dt.offset_by(pl.concat_str(pl.lit("-"), pl.col("back").cast(pl.String), pl.lit("mo")))
                      .dt.strftime("%Y-%m"))
        .join(monthly, left_on=["iin", "prior"], right_on=["iin", "month"], how="left")
        .group_by("payment_id")
        .agg((pl.col("expenditures") == 0).fill_null(False).all().alias("dormant"),
             pl.col("prior").sort().alias("months_without_expenditure"), pl.col("accounts").list.explode(keep_nulls=False, empty_as_null=False).unique().sort()))
    hit = (pay.join(before.filter("dormant"), on="payment_id").collect().sort("payment_id"))
    return findings("account_dormant", hit, ["accounts", "months_without_expenditure"])
