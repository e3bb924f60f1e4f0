"""From the registry extract to the standard's inputs: who lives in which household on a date,
with what incomes, disability and housing.

Some inputs the registry does not hold are derived, and each derivation is an assumption:
- a woman's children born: the children of her household if she is its head or spouse;
- years of participation in the pension system: age - 22, between 0 and 40;
- pension savings: not in the extract (payments from them appear as pension income);
- the social contract: assumed signed (entitlement, not take-up, is what is computed);
- a person recorded in two households on a date counts in the one joined last (then the one
  with the higher household id).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from komek.kz.standard import INCOME_KINDS

PERSON_COLUMNS = ["iin", "household_id", "role", "birth_date", "sex", "disability_group", "disability_cause",
                  "children_born", "participation_years", *(f"income_{k}" for k in INCOME_KINDS)]
HOUSEHOLD_COLUMNS = ["household_id", "region_code", "area_m2", "tenure", "only_home", "utilities", "maintenance",
                     "communication", "rent"]


TABLES = ("persons", "households", "addresses", "incomes", "disability", "housing")


def scan(folder: Path, quarantine: dict | None = None) -> dict[str, pl.LazyFrame]:
    """The extract's tables the standard needs, as lazy frames of valid rows.

    Every file is validated against the contract and its bad rows left out (kept in
    `quarantine` when a dict is given), except Parquet files of an extract whose manifest says
    it was validated when written (`"validated": true`, as the synthetic generator's are).
    """
    from komek.contract.schema import default_contract
    from komek.contract.validate import read_manifest, read_raw, table_path, validate_frame
    trusted = read_manifest(Path(folder)).get("validated") is True
    out = {}
    for name in TABLES:
        path = table_path(Path(folder), name)
        if path is None:
            continue
        if trusted and path.suffix == ".parquet":
            out[name] = pl.scan_parquet(path)
            continue
        result = validate_frame(default_contract().tables[name], read_raw(path), path)
        if quarantine is not None and result.rows_quarantined:
            quarantine[name] = result.quarantine
        out[name] = result.valid.lazy()
    return out


def quarter_before(on: dt.date) -> tuple[str, list[str]]:
    q = (on.month - 1) // 3
    year, q = (on.year, q) if q else (on.year - 1, 4)
    return f"{year}-Q{q}", [f"{year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]


def _current(frame: pl.LazyFrame, start: str, end: str, on: dt.date) -> pl.LazyFrame:
    return frame.filter((pl.col(start) <= on) & (pl.col(end).is_null() | (pl.col(end) > on)))


def households_on(tables: dict[str, pl.LazyFrame], on: dt.date,
                  members: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """household_id -> region_code (the head's current registration) for households living on `on`.

    `members` are the current memberships with `_iin`, when the caller has them already."""
    if members is None:
        members = _current(tables["households"], "from_date", "to_date", on).with_columns(_key())
    heads = members.filter(pl.col("role") == "head").select("household_id", "_iin")
    addr = _current(tables["addresses"], "registered_from", "registered_to", on).with_columns(_key())
    return _head_regions(heads, addr, "household_id")


def _head_regions(heads: pl.LazyFrame, addresses: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """`key` -> region_code: a household lives where its head is registered (the latest
    registration). Only heads' addresses are needed: join first, then keep each head's latest."""
    return (heads.join(addresses.select("_iin", "region_code", "registered_from"), on="_iin", how="inner")
            .sort("registered_from").unique(key, keep="last").select(key, "region_code"))


@dataclass
class Prepared:
    """The registry on one date: households with their regions and housing, living members, the
    quarter's incomes and current disability. Regions are then cut from it in memory."""
    on: dt.date
    households: pl.DataFrame     # _h, _hid, household_id, region_code, area_m2, tenure, only_home, costs
    members: pl.DataFrame        # _h, household_id, iin, role, _iin, birth_date, sex
    incomes: pl.DataFrame        # _iin, income_<kind>...
    disability: pl.DataFrame     # _iin, disability_group, disability_cause


class Registry:
    """The tables the standard reads, loaded once with integer keys, to prepare any date.

    Joins run on integers, much faster than on text: `_iin`, the IIN as a number (twelve digits
    fit in 64 bits), and `_hid`, a household's rank in household_id order. Quarterly facts
    (incomes, housing) are computed once per quarter, so a run over many months (the audit's
    twelve, the generator's payments) reads each table once.
    """

    def __init__(self, tables: dict[str, pl.LazyFrame], households: pl.Series | None = None):
        """`households` (household_id values), when given, are the only ones any date will ask for."""
        self.tables = tables
        # Sorted by household_id, a household's rank is a count of the id changes before it.
        members = (tables["households"].select("household_id", "iin", "role", "from_date", "to_date", _key())
                   .sort("household_id")
                   .with_columns(_hid=((pl.col("household_id") != pl.col("household_id").shift()).fill_null(True)
                                       .cum_sum() - 1).cast(pl.UInt32)).collect())
        self.ids = members.filter(pl.col("_hid") != pl.col("_hid").shift().fill_null(-1))["household_id"]
        # People with overlapping memberships: only they need a choice of household on a date.
        # Sorted by start, a person's memberships overlap if and only if two neighbours do.
        spans = (members.filter(pl.col("_iin").is_duplicated())
                 .select("_iin", "from_date", pl.col("to_date").fill_null(dt.date.max)).sort("_iin", "from_date"))
        self.overlapping = spans.filter((pl.col("_iin") == pl.col("_iin").shift())
                                        & (pl.col("from_date") < pl.col("to_date").shift()))["_iin"].unique()
        self.wanted, self.people = households, None
        if households is not None:
            wanted = pl.col("household_id").is_in(households.implode())
            members = members.filter(wanted | pl.col("_iin").is_in(self.overlapping.implode()))
        self.memberships = members.drop("household_id")
        persons = tables["persons"].select(_key(), "birth_date", "sex", "death_date")
        addresses = tables["addresses"].select(_key(), "region_code", "registered_from", "registered_to")
        if households is not None:       # only the people of those households
            self.people = self.memberships.select("_iin").unique()
            persons = persons.join(self.people.lazy(), on="_iin", how="semi")
            addresses = addresses.join(self.people.lazy(), on="_iin", how="semi")
        self.persons, self.addresses = persons.collect(), addresses.collect()
        self._quarterly: dict[tuple[str, str], pl.DataFrame] = {}
        self._housing_quarters: list[str] | None = None

    def hid(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` with `_hid` for its household_id (null for a household the registry does not know)."""
        index = pl.DataFrame({"household_id": self.ids}).with_row_index("_hid")
        return frame.join(index.with_columns(pl.col("_hid").cast(pl.UInt32)), on="household_id", how="left",
                          maintain_order="left")

    def prepare(self, on: dt.date, regions: Iterable[str] | None = None, households: pl.Series | None = None) -> Prepared:
        """The registry on `on`: for some regions only, or some households (`_hid` values), when given."""
        current = _current(self.memberships.lazy(), "from_date", "to_date", on).collect().lazy()
        # A person in two households at once counts in the one joined last (then the higher id),
        # decided before any restriction so that every cut of the registry agrees.
        overlapping = pl.col("_iin").is_in(self.overlapping.implode())
        members = pl.concat([current.filter(~overlapping),
                             current.filter(overlapping).sort("from_date", "_hid").unique("_iin", keep="last")])
        if households is not None:
            current = current.filter(pl.col("_hid").is_in(households.implode()))
            members = members.filter(pl.col("_hid").is_in(households.implode()))
        addr = _current(self.addresses.lazy(), "registered_from", "registered_to", on)
        hh = _head_regions(current.filter(pl.col("role") == "head").select("_hid", "_iin"), addr, "_hid")
        if regions is not None:
            hh = hh.filter(pl.col("region_code").is_in(list(regions)))
        hh = hh.collect()
        hh = (hh.lazy().join(self.housing(on, hh).lazy(), on="_hid", how="left")
              .with_columns(pl.col("area_m2").fill_null(0.0), pl.col("tenure").fill_null("other"),
                            pl.col("only_home").fill_null(False),
                            *(pl.col(c).fill_null(0.0) for c in ("utilities", "maintenance", "communication", "rent")))
              .sort("region_code", "_hid").collect().with_row_index("_h")
              .with_columns(household_id=pl.lit(self.ids).gather(pl.col("_hid"))))
        alive = self.persons.lazy().filter(pl.col("death_date").is_null() | (pl.col("death_date") > on)).select("_iin", "birth_date", "sex")
        members = (members.join(hh.lazy().select("_hid", "_h", "household_id"), on="_hid", how="inner")
                   .select("_h", "household_id", "iin", "role", "_iin")
                   .join(alive, on="_iin", how="inner").collect())
        incomes = self.incomes(on, members.select("_iin") if regions is not None else None)
        if households is not None:
            incomes = incomes.join(members.select("_iin"), on="_iin", how="semi")
        return Prepared(on, hh, members, incomes, _disability(self.tables, on))

    def load_quarters(self, dates: Iterable[dt.date]) -> None:
        """The incomes of every quarter the `dates` read, in one pass over the table."""
        wanted = dict(quarter_before(d) for d in dates)
        wanted = {q: months for q, months in wanted.items() if ("incomes", q) not in self._quarterly}
        if wanted:
            self._quarterly.update({("incomes", q): part for q, part in self._incomes(wanted).items()})

    def _incomes(self, quarters: dict[str, list[str]], only: pl.DataFrame | None = None) -> dict[str, pl.DataFrame]:
        """Monthly average income by kind over each quarter, one row per person, wide; for the
        people in `only` (`_iin`), or the registry's, when given."""
        names = list(quarters)
        number = {m: i for i, q in enumerate(names) for m in quarters[q]}
        # The quarter rides in the key's low bits (an IIN is below 2^40): one integer key groups fastest.
        rows = (self.tables["incomes"].filter(pl.col("month").is_in(list(number)))
                .select(_key(), "kind", "amount", _quarter=pl.col("month").replace_strict(number, return_dtype=pl.UInt64)))
        people = only if only is not None else self.people
        if people is not None:
            rows = rows.join(people.lazy(), on="_iin", how="semi")
        # One column per kind first: plain sums are the fast path of a group-by.
        amount = pl.col("amount").cast(pl.Float64)
        sums = (rows.select(_k=pl.col("_iin") * 16 + pl.col("_quarter"),
                            *(pl.when(pl.col("kind") == k).then(amount).otherwise(0.0).alias(f"income_{k}") for k in INCOME_KINDS))
                .group_by("_k").agg(pl.col(f"income_{k}").sum() / 3 for k in INCOME_KINDS)
                .select(_quarter=pl.col("_k") % 16, _iin=pl.col("_k") // 16, *(f"income_{k}" for k in INCOME_KINDS)).collect())
        parts = {names[i]: part.drop("_quarter") for (i,), part in sums.partition_by("_quarter", as_dict=True).items()}
        return {q: parts.get(q, sums.clear().drop("_quarter")) for q in quarters}

    HOUSING = {"area_m2": pl.Float64, "tenure": pl.String, "only_home": pl.Boolean, "utilities": pl.Float64,
               "maintenance": pl.Float64, "communication": pl.Float64, "rent": pl.Float64}

    def _housing_of(self, quarter: str) -> pl.DataFrame:
        """The housing records of one quarter, by `_hid` (kept: a run over many months reuses them)."""
        if ("housing", quarter) not in self._quarterly:
            rows = self.tables["housing"].filter(pl.col("quarter") == quarter)
            if self.wanted is not None:
                rows = rows.filter(pl.col("household_id").is_in(self.wanted.implode()))
            rows = rows.select("household_id", *(pl.col(c).cast(t) for c, t in self.HOUSING.items())).collect()
            self._quarterly["housing", quarter] = self.hid(rows).select("_hid", *self.HOUSING).drop_nulls("_hid")
        return self._quarterly["housing", quarter]

    def housing(self, on: dt.date, households: pl.DataFrame) -> pl.DataFrame:
        """Each of `households`' (`_hid`) latest housing record up to `on`'s quarter: that quarter's
        records first, then earlier quarters' for the households still without one."""
        empty = pl.DataFrame(schema={"_hid": pl.UInt32, **self.HOUSING})
        if "housing" not in self.tables:
            return empty
        if self._housing_quarters is None:
            self._housing_quarters = self.tables["housing"].select(pl.col("quarter").unique()).collect()["quarter"].sort().to_list()
        found, missing = [], households.select("_hid")
        for quarter in reversed([q for q in self._housing_quarters if q <= _quarter(on)]):
            if missing.is_empty():
                break
            part = self._housing_of(quarter).join(missing, on="_hid", how="semi")
            found.append(part)
            missing = missing.join(part.select("_hid"), on="_hid", how="anti")
        return pl.concat([empty, *found])

    def incomes(self, on: dt.date, only: pl.DataFrame | None = None) -> pl.DataFrame:
        quarter, months = quarter_before(on)
        if ("incomes", quarter) in self._quarterly:
            return self._quarterly["incomes", quarter]
        if only is not None:       # a few regions: their people only, not kept
            return self._incomes({quarter: months}, only)[quarter]
        self.load_quarters([on])
        return self._quarterly["incomes", quarter]


def _quarter(on: dt.date) -> str:
    return f"{on.year}-Q{(on.month - 1) // 3 + 1}"


def prepare(tables: dict[str, pl.LazyFrame], on: dt.date, regions: Iterable[str] | None = None) -> Prepared:
    """Read what the standard needs on `on` (for some regions only, when given)."""
    return Registry(tables).prepare(on, regions)


def _key() -> pl.Expr:
    return pl.col("iin").cast(pl.UInt64, strict=False).alias("_iin")


def build(tables: dict[str, pl.LazyFrame], on: dt.date, regions: Iterable[str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(persons, households) input frames for households living on `on`, optionally in some regions."""
    return cut(prepare(tables, on, regions), regions)


def by_region(persons: pl.DataFrame, households: pl.DataFrame):
    """(region code, persons, households) slices of `cut(..., keep_region=True)` frames.

    `prepare` numbers households in region order, so each region is a contiguous, zero-copy
    slice of both frames."""
    sizes = households.group_by("region_code", maintain_order=True).len()
    people = persons.group_by("region_code", maintain_order=True).len()
    h_at = p_at = 0
    for (code, n_h), (code_p, n_p) in zip(sizes.iter_rows(), people.iter_rows()):
        assert code == code_p, "persons and households are not in the same region order"
        yield code, persons.slice(p_at, n_p).drop("region_code"), households.slice(h_at, n_h)
        h_at, p_at = h_at + n_h, p_at + n_p


def cut(prepared: Prepared, regions: Iterable[str] | None = None, keep_region: bool = False,
        keys: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The (persons, households) input frames of some regions (all when None), with
    `region_code` on persons when `keep_region`, and the integer keys (`_iin`, `_hid`) when `keys`.

    Households are in region and household_id order, persons in their households' order.
    """
    on = prepared.on
    hh = prepared.households
    if regions is not None:
        hh = hh.filter(pl.col("region_code").is_in(list(regions)))
    members = prepared.members.join(hh.select("_h", "_hid", "region_code"), on="_h", how="inner")
    persons = (members.lazy().join(prepared.incomes.lazy(), on="_iin", how="left")
               .join(prepared.disability.lazy(), on="_iin", how="left")
               .with_columns(pl.col(f"income_{k}").fill_null(0.0) for k in INCOME_KINDS)
               .with_columns(pl.col("disability_group").fill_null(""), pl.col("disability_cause").fill_null("")))
    age = on.year - pl.col("birth_date").dt.year()
    children = members.lazy().filter(pl.col("role") == "child").group_by("_h").agg(_children=pl.len())
    persons = (persons.join(children, on="_h", how="left").with_columns(
        children_born=pl.when((pl.col("sex") == "F") & pl.col("role").is_in(["head", "spouse"]))
        .then(pl.col("_children").fill_null(0)).otherwise(0).cast(pl.Int64),
        participation_years=(age - 22).clip(0, 40).cast(pl.Int64))
        # One packed key sorts faster than two: _h below 2^23, an IIN below 2^40.
        .sort(pl.col("_h").cast(pl.UInt64) * (1 << 40) + pl.col("_iin")).collect())
    households = hh.join(members.select("_h").unique(), on="_h", how="semi").sort("_h")
    region = ["region_code"] if keep_region else []
    key = ["_iin", "_hid"] if keys else []
    return persons.select(*PERSON_COLUMNS, *region, *key), households.select(*HOUSEHOLD_COLUMNS, *key[1:])


def _disability(tables: dict[str, pl.LazyFrame], on: dt.date) -> pl.DataFrame:
    if "disability" not in tables:
        return pl.DataFrame(schema={"_iin": pl.UInt64, "disability_group": pl.String, "disability_cause": pl.String})
    current = _current(tables["disability"].with_columns(pl.col("valid_to").fill_null(dt.date(9999, 12, 31))),
                       "valid_from", "valid_to", on)
    return (current.with_columns(_key()).group_by("_iin")
            .agg(pl.col("group").sort_by("valid_from").last().alias("disability_group"),
                 pl.col("cause").sort_by("valid_from").last().alias("disability_cause"))
            .collect())


def _numpy(column: pl.Series) -> np.ndarray:
    """A column as NumPy; text as fixed-width strings built from its few distinct values, which is
    much faster than converting millions of Python strings."""
    if column.dtype != pl.String:
        return column.to_numpy()
    text = column.fill_null("")
    distinct = text.unique().sort()
    values = np.array(distinct.to_list() or [""], dtype=str)
    return values[distinct.search_sorted(text).to_numpy()]


def arrays(persons: pl.DataFrame, households: pl.DataFrame) -> tuple[dict, dict, np.ndarray]:
    """Engine inputs: person arrays, household arrays and each person's household index."""
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


def read_database(url: str, names: Iterable[str] = TABLES) -> dict[str, pl.DataFrame]:
    """Registry tables from the database, typed as the contract says (rows there were validated at ingest)."""
    from sqlalchemy import select

    from komek.contract.schema import default_contract
    from komek.registry.db import engine
    from komek.registry.models import RECORDS
    out = {}
    with engine(url).connect() as conn:
        for name in names:
            spec = default_contract().tables[name]
            model = RECORDS[name].__table__
            rows = conn.execute(select(*(model.c[c] for c in spec.columns))).all()
            out[name] = pl.DataFrame(rows, schema=spec.schema, orient="row")
    return out


def scan_database(url: str) -> dict[str, pl.LazyFrame]:
    """The standard's tables from the registry database, as lazy frames."""
    return {name: frame.lazy() for name, frame in read_database(url).items()}
