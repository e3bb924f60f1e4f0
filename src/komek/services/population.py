"""What the registry says about the population: people by region, age and sex, households and
their incomes. Aggregation happens in the database (GROUP BY), so it scales to the country."""
from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import Date, Engine, Float, and_, case, cast, column, func, select, table

from komek.kz import regions, registry_inputs
from komek.kz.standard import INCOME_KINDS, ages
from komek.periods import quarter_before
from komek.registry import Source

persons = table("persons", column("iin"), column("birth_date", Date), column("sex"), column("death_date", Date))
members = table("households", column("household_id"), column("iin"), column("role"), column("to_date"))
addresses = table("addresses", column("iin"), column("region_code"), column("urban"), column("registered_to"))
incomes = table("incomes", column("iin"), column("month"), column("amount"))

def _frame(engine: Engine, query, schema: dict) -> pl.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return pl.DataFrame(rows, schema=schema, orient="row")


def _living():
    return and_(persons.c.death_date.is_(None), addresses.c.registered_to.is_(None))


def people_by_region(engine: Engine) -> pl.DataFrame:
    """Living people at their current address: region, name, people, urban share, and the official share."""
    q = (select(addresses.c.region_code, func.count(), func.sum(case((addresses.c.urban, 1), else_=0)))
         .select_from(addresses.join(persons, persons.c.iin == addresses.c.iin)).where(_living())
         .group_by(addresses.c.region_code))
    f = _frame(engine, q, {"region_code": pl.String, "people": pl.Int64, "urban": pl.Int64})
    reg = regions()
    total_official = sum(r["population"] for r in reg.values())
    official = pl.DataFrame({"region_code": list(reg), "region": [r["name"] for r in reg.values()],
                             "official_share": [100 * r["population"] / total_official for r in reg.values()]})
    return (official.join(f, on="region_code", how="left").fill_null(0)
            .with_columns(share=100 * pl.col("people") / pl.col("people").sum(),
                          urban_share=100 * pl.col("urban") / pl.col("people").clip(1))
            .select("region_code", "region", "people", "share", "official_share", "urban_share"))


def age_sex(engine: Engine, on: dt.date) -> pl.DataFrame:
    """Living people by five-year age band and sex (85+ in the last band), ages as the rules count them."""
    q = (select(persons.c.birth_date, persons.c.sex, func.count()).where(persons.c.death_date.is_(None))
         .group_by(persons.c.birth_date, persons.c.sex))       # a few tens of thousands of distinct days
    f = _frame(engine, q, {"birth_date": pl.Date, "sex": pl.String, "people": pl.Int64})
    f = f.with_columns(age=pl.Series(ages(f["birth_date"].to_numpy(), on), dtype=pl.Int64))
    return _bands(f)


def household_sizes(engine: Engine) -> pl.DataFrame:
    """Current households: household_id and size (members with no end date)."""
    q = (select(members.c.household_id, func.count()).where(members.c.to_date.is_(None))
         .group_by(members.c.household_id))
    return _frame(engine, q, {"household_id": pl.String, "size": pl.Int64})


def has_incomes(engine: Engine) -> bool:
    """Whether the registry holds any income record: without them incomes are not known, not zero."""
    with engine.connect() as conn:
        return conn.execute(select(incomes.c.iin).limit(1)).first() is not None


def household_incomes(engine: Engine, on: dt.date) -> pl.DataFrame:
    """Each current household's region, size and monthly per-capita income over the last full quarter.

    The household's region is its head's current registration.
    """
    _, months = quarter_before(on)
    q_income = (select(members.c.household_id, cast(func.sum(incomes.c.amount), Float))
                .select_from(members.join(incomes, incomes.c.iin == members.c.iin))
                .where(members.c.to_date.is_(None), incomes.c.month.in_(months))
                .group_by(members.c.household_id))
    q_region = (select(members.c.household_id, addresses.c.region_code)
                .select_from(members.join(addresses, addresses.c.iin == members.c.iin))
                .where(members.c.to_date.is_(None), members.c.role == "head", addresses.c.registered_to.is_(None)))
    income = _frame(engine, q_income, {"household_id": pl.String, "income": pl.Float64})
    region = _frame(engine, q_region, {"household_id": pl.String, "region_code": pl.String}).unique("household_id")
    return (household_sizes(engine).join(region, on="household_id", how="left")
            .join(income, on="household_id", how="left").with_columns(pl.col("income").fill_null(0.0))
            .with_columns(per_capita=pl.col("income") / 3 / pl.col("size")))


def poverty_by_region(households: pl.DataFrame, line: float) -> pl.DataFrame:
    """Share of people in households whose per-capita income is below `line`, by region and overall."""
    poor = (pl.col("per_capita") < line).cast(pl.Int64) * pl.col("size")
    by_region = (households.group_by("region_code")
                 .agg(people=pl.col("size").sum(), poor=poor.sum(), median=pl.col("per_capita").median())
                 .with_columns(rate=100 * pl.col("poor") / pl.col("people")))
    names = pl.DataFrame({"region_code": list(regions()), "region": [r["name"] for r in regions().values()]})
    return names.join(by_region, on="region_code", how="left").sort("region_code")


def household_members(source: Source, on: dt.date) -> pl.DataFrame:
    """Every member of every household living on `on`, as the rules count them (the population
    `simulate`, `score` and a reform's impact compute for): household_id, region_code (the
    household's), birth_date, sex and income (recorded incomes of the quarter before, a month)."""
    tables = registry_inputs.tables_of(source)
    persons, households = registry_inputs.build(tables, on)
    income = pl.sum_horizontal(*(f"income_{k}" for k in INCOME_KINDS)) if "incomes" in tables else pl.lit(None, pl.Float64)
    return (persons.select("household_id", "birth_date", "sex", income.alias("income"))
            .join(households.select("household_id", "region_code"), on="household_id", how="left"))


def ages_and_sexes(people: pl.DataFrame, on: dt.date) -> pl.DataFrame:
    """`household_members` by five-year age band and sex (85+ in the last band), ages as the rules count them."""
    f = people.group_by("birth_date", "sex").len("people")
    f = f.with_columns(age=pl.Series(ages(f["birth_date"].to_numpy(), on), dtype=pl.Int64))
    return _bands(f)


def _bands(f: pl.DataFrame) -> pl.DataFrame:
    band = (pl.col("age").clip(0, 85) // 5 * 5).clip(0, 85)
    return (f.with_columns(band=band).group_by("band", "sex").agg(pl.col("people").sum()).sort("band")
            .pivot(on="sex", index="band", values="people").fill_null(0)
            .with_columns(label=pl.when(pl.col("band") == 85).then(pl.lit("85+"))
                          .otherwise(pl.format("{}-{}", pl.col("band"), pl.col("band") + 4))))


def member_incomes(people: pl.DataFrame) -> pl.DataFrame:
    """Each household of `household_members`: region, size and monthly per-capita income (null: not known)."""
    return (people.group_by("household_id").agg(pl.col("region_code").first(), size=pl.len(),
                                                income=pl.col("income").sum() if people["income"].null_count() == 0 else pl.lit(None, pl.Float64))
            .with_columns(per_capita=pl.col("income") / pl.col("size")).sort("household_id"))
