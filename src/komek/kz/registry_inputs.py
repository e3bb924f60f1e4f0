"""From the registry extract to the standard's inputs: who lives in which household on a date,
with what incomes, disability and housing.

Each input of the standard comes from a table of the registry (`FROM`), or is assumed, each
assumption stated (`ASSUMED`) and shown with every amount that rests on it, or is not known at
all (`UNKNOWN`: pension savings are in no table), and then whatever needs it is not computed.
A table the source does not have makes its inputs not known too (`coverage`). A person recorded
in two households on a date counts in the one joined last (then the one with the higher
household id).

The tables are read once into NumPy arrays keyed by position: a person is a row of `persons`, a
household its rank in household_id order. A date is then masks and gathers over those arrays,
with no join, so a run over many months (the audit's twelve, the generator's payments) pays for
the reading once, and the country's month costs seconds.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from komek.kz.standard import INCOME_KINDS, ages, standard
from komek.money import tiyn
from komek.periods import quarter_before, quarter_of
from komek.registry import Source

PERSON_COLUMNS = ["iin", "household_id", "role", "birth_date", "sex", "disability_group", "disability_cause",
                  "children_born", "participation_years", *(f"income_{k}" for k in INCOME_KINDS)]
HOUSEHOLD_COLUMNS = ["household_id", "region_code", "area_m2", "tenure", "only_home", "utilities", "maintenance",
                     "communication", "rent"]
COSTS = ("utilities", "maintenance", "communication", "rent")
TABLES = ("persons", "households", "addresses", "incomes", "disability", "housing")

# Where each input of the standard comes from.
FROM = {"role": "households", "birth_date": "persons", "sex": "persons", "region_code": "addresses",
        "locality_code": "addresses",
        "disability_group": "disability", "disability_cause": "disability",
        **{f"income_{k}": "incomes" for k in INCOME_KINDS},
        **{c: "housing" for c in ("area_m2", "tenure", "only_home", *COSTS)}}
ASSUMED = {
    "children_born": "a woman's children born are the children of her household if she is its head or spouse",
    "participation_years": "years in the pension system are age - 22, between 0 and 40",
    "social_contract": "the social contract is taken as signed (entitlement is computed, not take-up)",
    "student": "full-time study is in no table: no member is counted as a student",
    "military": "military service is in no table: no member is counted as serving",
    "self_employed_regime": "the tax regime of self-employment is in no table: the special regime is taken",
    "mother_award": "awards held are in no table: the award the children born qualify for is taken",
}
UNKNOWN = dict.fromkeys(("uapf_savings", "uapf_years_paid"),
                        "pension savings in the UAPF, and payments from them, are in no table of the registry")

NEVER = np.iinfo(np.int32).max      # an open end date, as a day number
# Up to this many rows (one household's), columns are converted through Python lists: a Polars
# operation costs tens of microseconds however few its rows, and a card makes hundreds.
SMALL = 256


@dataclass(frozen=True)
class Coverage:
    """What the standard can compute from a source: for each measure not computed, why; for each
    measure computed on an assumption, which."""
    not_computed: dict[str, str]
    assumptions: dict[str, list[str]]

    def computed(self, measures: Iterable[str]) -> list[str]:
        return [m for m in measures if m not in self.not_computed]


def coverage(present: Iterable[str]) -> Coverage:
    """Which measures the tables `present` let the standard compute, and on what assumptions."""
    rules, present = standard(), set(present)
    not_computed, assumptions = {}, {}
    for m in rules.measures():
        needs = rules.needs(m.name)
        missing = sorted({f"the {FROM[i]} table is not in the source" for i in needs
                          if i in FROM and FROM[i] not in present} | {UNKNOWN[i] for i in needs if i in UNKNOWN})
        if missing:
            not_computed[m.name] = "; ".join(missing)
        elif assumed := [ASSUMED[i] for i in needs if i in ASSUMED]:
            assumptions[m.name] = assumed
    return Coverage(not_computed, assumptions)


def tables_of(source: Source) -> dict[str, pl.LazyFrame]:
    """The source's tables the standard reads (those it has)."""
    return source.tables(TABLES)


def in_force(frame, start: str, end: str, on: dt.date):
    """The rows (of a frame or a lazy frame) in force on `on`: started by then, not yet ended."""
    return frame.filter((pl.col(start) <= on) & (pl.col(end).is_null() | (pl.col(end) > on)))


def households_on(tables: dict[str, pl.LazyFrame], on: dt.date) -> pl.LazyFrame:
    """household_id -> region_code (the head's latest current registration) for households
    living on `on`: a light query for callers that need only this (one card, a region list).
    Of two current registrations, the later (then the one listed last) counts, as in `prepare`."""
    members = in_force(tables["households"], "from_date", "to_date", on).with_columns(iin_key())
    heads = members.filter(pl.col("role") == "head").select("household_id", "_iin")
    addr = in_force(tables["addresses"].with_row_index("_row"), "registered_from", "registered_to", on).with_columns(iin_key())
    return (heads.join(addr.select("_iin", "region_code", "registered_from", "_row"), on="_iin", how="inner")
            .sort("registered_from", "_row").unique("household_id", keep="last").select("household_id", "region_code"))


def _locality(addresses: pl.LazyFrame) -> pl.Expr:
    """The registration's locality code; empty for a source without the column (the region's
    values then apply)."""
    if "locality_code" in addresses.collect_schema().names():
        return pl.col("locality_code").cast(pl.String)
    return pl.lit("", pl.String).alias("locality_code")


def iin_key() -> pl.Expr:
    """The IIN as an integer (`_iin`): what the registry's arrays are keyed on."""
    return pl.col("iin").cast(pl.UInt64, strict=False).alias("_iin")


EPOCH = dt.date(1970, 1, 1)


def day_number(on: dt.date) -> int:
    """A date as its day number (days since 1970-01-01), the unit of the registry's date arrays."""
    return (on - EPOCH).days


def day_numbers(column: pl.Series, missing: int = NEVER) -> np.ndarray:
    """Dates as int32 day numbers; a missing date as `missing`."""
    if column.len() <= SMALL:
        return np.array([missing if v is None else (v - EPOCH).days for v in column.to_list()], dtype=np.int32)
    return column.to_physical().fill_null(missing).to_numpy().astype(np.int32, copy=False)


def _integers(column: pl.Series) -> np.ndarray:
    """An integer key column as a NumPy array; a missing key as 0 (no IIN is 0)."""
    if column.len() <= SMALL:
        return np.array([0 if v is None else v for v in column.to_list()], dtype=np.uint64)
    return column.fill_null(0).to_numpy()


def _encode(column: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, values): a text column as small integer codes into its sorted distinct values."""
    if column.len() <= SMALL:
        text = ["" if v is None else v for v in column.to_list()]
        values = sorted(set(text))        # code point order: Polars' order of UTF-8 text
        code = {v: i for i, v in enumerate(values)}
        return np.array([code[v] for v in text], dtype=np.uint32), np.array(values or [""], dtype=str)
    text = column.fill_null("")
    values = text.unique().sort()
    codes = text.cast(pl.Enum(values.to_list())).to_physical().to_numpy()
    return codes, np.array(values.to_list() or [""], dtype=str)


def month_codes(quarters: dict[str, list[str]]) -> pl.Expr:
    """Each row's month as a code: the months of `quarters` in order, so a row's quarter is the
    code // 3 (see `by_quarter`)."""
    return pl.col("month").cast(pl.Enum([m for q in quarters for m in quarters[q]])).to_physical()


def by_quarter(quarters: dict[str, list[str]], codes: np.ndarray, rows: np.ndarray):
    """(quarter, mask of `rows` in it) for each quarter, from `month_codes`."""
    quarter = codes // 3
    for i, q in enumerate(quarters):
        yield q, rows & (quarter == i)


def _code(values: np.ndarray, value: str) -> int:
    """The code of `value` in `values` (-1 when absent)."""
    i = int(np.searchsorted(values, value))
    return i if i < len(values) and values[i] == value else -1


def latest(n: int, at: np.ndarray, when: np.ndarray) -> np.ndarray:
    """For each index in [0, n), the row of `at` with the latest `when` pointing at it (the last
    listed on a tie), or -1. Only indices named more than once need a sort."""
    out = np.full(n, -1, dtype=np.int64)
    count = np.bincount(at, minlength=n)
    once = count[at] == 1
    out[at[once]] = np.flatnonzero(once)
    many = np.flatnonzero(~once)
    if len(many):
        many = many[np.lexsort((many, when[many], at[many]))]
        last = np.r_[at[many][1:] != at[many][:-1], True]
        out[at[many[last]]] = many[last]
    return out


def _lookup(keys, reference) -> np.ndarray:
    """Each key's position in `reference` (distinct values), or -1: a hash join. Joining without
    keeping order and scattering the matches back is twice as fast as an ordered left join."""
    if len(keys) + len(reference) <= SMALL:        # a household's few rows: a dict, not a query
        keys, reference = (pl.Series(x).to_list() for x in (keys, reference))
        at = {k: i for i, k in enumerate(reference) if k is not None}
        return np.array([at.get(k, -1) for k in keys], dtype=np.int64)
    index = pl.LazyFrame({"k": reference, "p": np.arange(len(reference), dtype=np.int64)})
    hits = pl.LazyFrame({"k": keys, "r": np.arange(len(keys), dtype=np.int64)}).join(index, on="k", how="inner").collect()
    found = np.full(len(keys), -1, dtype=np.int64)
    found[hits["r"].to_numpy()] = hits["p"].to_numpy()
    return found


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each run of equal neighbours, each row's run number)."""
    start = np.r_[True, keys[1:] != keys[:-1]] if len(keys) else np.zeros(0, bool)
    return np.flatnonzero(start), np.cumsum(start) - 1


class Registry:
    """The tables the standard reads, loaded once into arrays, to prepare any date.

    A run over many months asks for many dates; quarterly facts (incomes, housing) are worked out
    once per quarter and kept.
    """

    def __init__(self, tables: dict[str, pl.LazyFrame], households: pl.Series | None = None,
                 dates: Iterable[dt.date] = ()):
        """`households` (household_id values), when given, are the only ones any date will ask
        for: incomes and housing are then kept for their members only. The quarterly facts of
        `dates` are read with the tables, all in one parallel collection."""
        self.tables = tables
        dates = list(dates)
        quarters = dict(quarter_before(d) for d in dates)
        own = sorted({quarter_of(d) for d in dates}) if "housing" in tables else []
        queries = [tables["persons"].select("iin", iin_key(), "birth_date", "sex", "death_date"),
                   tables["households"].select("household_id", iin_key(), "role", "from_date", "to_date"),
                   tables["addresses"].select(iin_key(), "region_code", _locality(tables["addresses"]),
                                              "registered_from", "registered_to")]
        if quarters and "incomes" in tables:
            queries.append(self._incomes_query(quarters))
        queries += [self._housing_query(q) for q in own]
        persons, members, addresses, *facts = pl.collect_all(queries)
        self.iin = persons["iin"]                       # as given, for the results
        self.key = _integers(persons["_iin"])
        self.birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
        self.sex, self.sexes = _encode(persons["sex"])
        self.death = day_numbers(persons["death_date"])
        self.n = len(self.key)
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None
        del persons

        if not members["household_id"].is_sorted():
            members = members.sort("household_id", maintain_order=True)
        new = (members["household_id"] != members["household_id"].shift()).fill_null(True)
        self.ids = members["household_id"].filter(new)      # household_id by rank
        self.m_hid = (new.cum_sum() - 1).to_numpy().astype(np.int32)
        self.m_pid = self.positions(members["_iin"])
        self.m_role, self.roles = _encode(members["role"])
        self.m_from, self.m_to = day_numbers(members["from_date"], -NEVER), day_numbers(members["to_date"])
        del members
        self.head = _code(self.roles, "head")
        self.a_pid = self.positions(addresses["_iin"])
        self.a_region, self.regions = _encode(addresses["region_code"])
        self.region_names = pl.Series(self.regions.tolist(), dtype=pl.String)
        self.a_locality, self.localities = _encode(addresses["locality_code"])
        self.a_from, self.a_to = day_numbers(addresses["registered_from"], -NEVER), day_numbers(addresses["registered_to"])
        del addresses

        self.wanted_households = self.wanted_people = None
        if households is not None:
            self.wanted_households = np.zeros(len(self.ids), bool)
            at = self.household_positions(pl.Series(households).unique())
            self.wanted_households[at[at >= 0]] = True
            self.wanted_people = np.zeros(self.n, bool)
            self.wanted_people[self.m_pid[self.wanted_households[self.m_hid] & (self.m_pid >= 0)]] = True
            # Only their memberships (all of them, to choose between two households) and
            # registrations can matter: every date is then a mask over far fewer rows.
            keep = self.wanted_people[np.maximum(self.m_pid, 0)] & (self.m_pid >= 0)
            self.m_hid, self.m_pid, self.m_role, self.m_from, self.m_to = (
                a[keep] for a in (self.m_hid, self.m_pid, self.m_role, self.m_from, self.m_to))
            keep = self.wanted_people[np.maximum(self.a_pid, 0)] & (self.a_pid >= 0)
            self.a_pid, self.a_region, self.a_locality, self.a_from, self.a_to = (
                a[keep] for a in (self.a_pid, self.a_region, self.a_locality, self.a_from, self.a_to))
        self.overlapping = self._overlapping()
        self._disability = self._read_disability()
        self._incomes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._housing: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
        self._housing_quarters: list[str] | None = None
        if quarters and "incomes" in tables:
            self._incomes.update(self._incomes_from(facts.pop(0), quarters))
        for q, rows in zip(own, facts):
            self._housing[q] = self._housing_from(rows)

    # Keys to positions.

    def positions(self, keys: pl.Series) -> np.ndarray:
        """Each IIN's (UInt64) row in `persons`, or -1 for a person the registry does not know.

        A table listing people in the persons table's order costs a comparison; otherwise each
        run of equal neighbours is looked up once, by a sorted search when the runs are in IIN
        order and by a hash join when not."""
        q = _integers(keys)
        if len(q) == self.n and np.array_equal(q, self.key):
            return np.arange(self.n, dtype=np.int64)
        first, run = _runs(q)
        heads = q[first]
        if len(heads) and np.all(heads[1:] >= heads[:-1]):
            if self._sorted is None:
                order = pl.Series(self.key).arg_sort().to_numpy()
                self._sorted = (self.key[order], order)
            ordered, order = self._sorted
            at = np.minimum(np.searchsorted(ordered, heads), max(self.n - 1, 0))
            found = np.where(ordered[at] == heads, order[at], -1) if self.n else np.full(len(heads), -1)
        else:
            found = _lookup(heads, self.key)
        return found[run].astype(np.int64, copy=False)

    def household_positions(self, ids: pl.Series) -> np.ndarray:
        """Each household_id's rank, or -1 for a household the registry does not know."""
        if ids.len() == self.ids.len() and ids.equals(self.ids, check_names=False):
            return np.arange(ids.len(), dtype=np.int64)
        return _lookup(ids, self.ids)

    def hid(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` with `_hid` for its household_id (null for a household the registry does not know)."""
        at = pl.Series("_hid", self.household_positions(frame["household_id"]))
        return frame.with_columns(_hid=pl.when(at >= 0).then(at).cast(pl.UInt32))

    def _overlapping(self) -> np.ndarray:
        """Whether each person has two memberships that overlap in time (then a date must choose)."""
        out = np.zeros(self.n, bool)
        known = self.m_pid >= 0
        twice = np.flatnonzero(known & (np.bincount(self.m_pid[known], minlength=self.n)[np.maximum(self.m_pid, 0)] > 1))
        if len(twice):
            # Sorted by start, a person's memberships overlap if and only if two neighbours do.
            rows = twice[np.lexsort((self.m_from[twice], self.m_pid[twice]))]
            same = self.m_pid[rows][1:] == self.m_pid[rows][:-1]
            out[self.m_pid[rows][1:][same & (self.m_from[rows][1:] < self.m_to[rows][:-1])]] = True
        return out

    # One date.

    def prepare(self, on: dt.date, regions: Iterable[str] | None = None, households: pl.Series | None = None) -> Prepared:
        """The registry on `on`: for some regions only, or some households (`_hid` values), when given."""
        d = day_number(on)
        current = np.flatnonzero((self.m_from <= d) & (self.m_to > d) & (self.m_pid >= 0))
        # A person in two households at once counts in the one joined last (then the higher id),
        # decided before any restriction so that every cut of the registry agrees.
        over = self.overlapping[self.m_pid[current]]
        if over.any():
            rows = current[over]
            chosen = latest(self.n, self.m_pid[rows], self.m_from[rows].astype(np.int64) * (1 << 31) + self.m_hid[rows])
            members = np.sort(np.concatenate([current[~over], rows[chosen[chosen >= 0]]]))
        else:
            members = current
        # A household lives where its head is registered: the head's latest current registration
        # (of two heads, the one registered last).
        addr = np.flatnonzero((self.a_from <= d) & (self.a_to > d) & (self.a_pid >= 0))
        home = latest(self.n, self.a_pid[addr], self.a_from[addr])        # person -> address row in addr
        heads = current[self.m_role[current] == self.head] if self.head >= 0 else current[:0]
        head_home = home[self.m_pid[heads]]
        heads, head_home = heads[head_home >= 0], addr[head_home[head_home >= 0]]
        chosen = latest(len(self.ids), self.m_hid[heads], self.a_from[head_home].astype(np.int64) * (1 << 31) + head_home)
        region = np.full(len(self.ids), -1, dtype=np.int16)
        locality = np.zeros(len(self.ids), dtype=self.a_locality.dtype)
        living = chosen >= 0
        region[living] = self.a_region[head_home[chosen[living]]]
        locality[living] = self.a_locality[head_home[chosen[living]]]
        if regions is not None:
            codes = [_code(self.regions, r) for r in regions]
            region[~np.isin(region, [c for c in codes if c >= 0])] = -1
        if households is not None:
            keep = np.zeros(len(self.ids), bool)
            keep[np.asarray(pl.Series(households).drop_nulls().to_numpy(), dtype=np.int64)] = True
            region[~keep] = -1
        # Members alive on the date, of the households living; households without one drop out.
        hid = self.m_hid[members]
        pid = self.m_pid[members]
        alive = (region[hid] >= 0) & (self.death[pid] > d)
        members, hid, pid = members[alive], hid[alive], pid[alive]
        hids = np.flatnonzero(np.bincount(hid, minlength=len(self.ids)) > 0)
        hids = hids[np.argsort(region[hids], kind="stable")]          # region, then household_id
        position = np.full(len(self.ids), -1, dtype=np.int64)
        position[hids] = np.arange(len(hids))
        group = position[hid]
        # Persons in their households' order, then by IIN: one packed key (a household below
        # 2^23, an IIN below 2^40) sorts faster than two.
        packed = group.astype(np.uint64) << np.uint64(40) | self.key[pid]
        if len(packed) and not np.all(packed[1:] >= packed[:-1]):
            order = pl.Series(packed).arg_sort().to_numpy()
            members, pid, group = members[order], pid[order], group[order]
        # The quarter's facts now, once, rather than in each region's worker.
        self.load_quarters([on])
        group_, cause = self.disability(on, pid)
        return Prepared(self, on, hids, region[hids], pid, members, group, self.housing(on, hids),
                        {"disability_group": group_, "disability_cause": cause}, locality[hids])

    # Quarterly facts.

    def load_quarters(self, dates: Iterable[dt.date]) -> None:
        """The incomes of every quarter the `dates` read, in one pass over the table."""
        wanted = dict(quarter_before(d) for d in dates)
        wanted = {q: months for q, months in wanted.items() if q not in self._incomes}
        if wanted:
            self._incomes.update(self._read_incomes(wanted))

    def incomes(self, on: dt.date) -> tuple[np.ndarray, np.ndarray]:
        """(each person's column in the values, values: kinds x people, the monthly average) for
        `on`'s reference quarter; a person without income points at a column of zeros."""
        quarter, _ = quarter_before(on)
        self.load_quarters([on])
        return self._incomes[quarter]

    def _read_incomes(self, quarters: dict[str, list[str]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        if "incomes" not in self.tables:
            return {q: (np.zeros(self.n, dtype=np.int32), np.zeros((len(INCOME_KINDS), 1))) for q in quarters}
        return self._incomes_from(self._incomes_query(quarters).collect(), quarters)

    def _incomes_query(self, quarters: dict[str, list[str]]) -> pl.LazyFrame:
        # Text as Enum codes and money as whole tiyn: no parsing.
        return (self.tables["incomes"].filter(pl.col("month").is_in([m for q in quarters for m in quarters[q]]))
                .select(iin_key(), month_codes(quarters),
                        pl.col("kind").cast(pl.Enum(list(INCOME_KINDS)), strict=False).to_physical()
                        .fill_null(len(INCOME_KINDS)), tiyn("amount")))

    def _incomes_from(self, rows: pl.DataFrame, quarters: dict[str, list[str]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        kinds = len(INCOME_KINDS)
        pid = self.positions(rows["_iin"])
        month, kind, amount = rows["month"].to_numpy(), rows["kind"].to_numpy(), rows["amount"].to_numpy()
        del rows
        known = (pid >= 0) & (kind < kinds)
        if self.wanted_people is not None:
            known &= self.wanted_people[np.maximum(pid, 0)]
        out = {}
        for q, sel in by_quarter(quarters, month, known):
            who, what, how_much = pid[sel], kind[sel], amount[sel]
            has = np.flatnonzero(np.bincount(who, minlength=self.n))
            index = np.full(self.n, len(has), dtype=np.int32)       # no income: the zero row at the end
            index[has] = np.arange(len(has), dtype=np.int32)
            # One row per kind, summed in whole tiyn (exact), then the monthly average in tenge.
            cell = what.astype(np.int64) * (len(has) + 1) + index[who]
            values = np.bincount(cell, weights=how_much.astype(np.float64), minlength=kinds * (len(has) + 1))
            values = values.reshape(kinds, -1) / 300
            out[q] = (index, values)
        return out

    HOUSING = {"area_m2": pl.Float64, "tenure": pl.String, "only_home": pl.Boolean,
               **{c: pl.Float64 for c in COSTS}}

    def _housing_query(self, quarter: str) -> pl.LazyFrame:
        return (self.tables["housing"].filter(pl.col("quarter") == quarter)
                .select("household_id", *(pl.col(c).cast(t) for c, t in self.HOUSING.items())))

    def _housing_of(self, quarter: str) -> tuple[np.ndarray, dict]:
        """(household ranks, values) of one quarter's housing records, one per household (of
        two, the last listed)."""
        if quarter not in self._housing:
            self._housing[quarter] = self._housing_from(self._housing_query(quarter).collect())
        return self._housing[quarter]

    def _housing_from(self, rows: pl.DataFrame) -> tuple[np.ndarray, dict]:
        at = self.household_positions(rows["household_id"])
        keep = at >= 0
        if self.wanted_households is not None:
            keep &= self.wanted_households[np.maximum(at, 0)]
        kept = np.flatnonzero(keep)
        last = latest(len(self.ids), at[kept], np.zeros(len(kept), np.int32))
        rows_kept = np.sort(kept[last[last >= 0]])
        values = {c: rows[c].fill_null(False if c == "only_home" else 0.0).to_numpy()[rows_kept]
                  for c in self.HOUSING if c != "tenure"}
        values["tenure"] = rows["tenure"].fill_null("other").gather(rows_kept)
        return at[rows_kept], values

    def housing(self, on: dt.date, hids: np.ndarray) -> dict:
        """Each household's latest housing record up to `on`'s quarter (none: no area, tenure
        other, not the only home, no costs); tenure as (codes, values)."""
        quarters = []
        if "housing" in self.tables:
            if self._housing_quarters is None:
                self._housing_quarters = sorted(self.tables["housing"].select(pl.col("quarter").unique()).collect()["quarter"]
                                                .drop_nulls().to_list())
            quarters = [q for q in self._housing_quarters if q <= quarter_of(on)][::-1]
        slot = np.full(len(self.ids), -1, dtype=np.int64)
        slot[hids] = np.arange(len(hids))
        out = {"area_m2": np.zeros(len(hids)), "only_home": np.zeros(len(hids), bool), **{c: np.zeros(len(hids)) for c in COSTS}}
        tenure_row = np.full(len(hids), -1, dtype=np.int64)
        tenures, offset, missing = [], 0, len(hids)
        for quarter in quarters:         # the date's quarter first, then back
            if not missing:
                break
            at, values = self._housing_of(quarter)
            take = np.flatnonzero(slot[at] >= 0)
            where = slot[at[take]]
            for c in out:
                out[c][where] = values[c][take]
            tenure_row[where] = take + offset
            tenures.append(values["tenure"])
            offset += values["tenure"].len()
            slot[at[take]] = -1
            missing -= len(take)
        tenure = pl.concat([*tenures, pl.Series(["other"])])
        out["tenure"] = _encode(tenure.gather(np.where(tenure_row >= 0, tenure_row, offset)))
        return out

    def _read_disability(self) -> tuple | None:
        if "disability" not in self.tables:
            return None
        d = self.tables["disability"].select(iin_key(), "group", "cause", "valid_from", "valid_to").collect()
        return (self.positions(d["_iin"]), day_numbers(d["valid_from"], -NEVER), day_numbers(d["valid_to"]),
                _encode(pl.concat([d["group"].fill_null(""), pl.Series([""])])),
                _encode(pl.concat([d["cause"].fill_null(""), pl.Series([""])])))

    def disability(self, on: dt.date, pid: np.ndarray) -> tuple[tuple, tuple]:
        """Each person's disability group and cause on `on` (the latest assignment in force, or
        ''), as (codes, values)."""
        if self._disability is None:
            none = (np.zeros(len(pid), np.int8), np.array([""]))
            return none, none
        who, start, end, (group, groups), (cause, causes) = self._disability
        d = day_number(on)
        rows = np.flatnonzero((start <= d) & (end > d) & (who >= 0))
        at = latest(self.n, who[rows], start[rows])[pid]
        pick = np.where(at >= 0, rows[np.maximum(at, 0)] if len(rows) else 0, len(group) - 1)     # the last row is ''
        return (group[pick], groups), (cause[pick], causes)


@dataclass
class Prepared:
    """The registry on one date: the households living (in region, then household_id order)
    and their living members (grouped by household, then by IIN), as positions in the registry.
    A region is a contiguous slice of both."""
    registry: Registry
    on: dt.date
    hid: np.ndarray          # households: rank
    region: np.ndarray       # households: code into registry.regions
    pid: np.ndarray          # persons: row in the persons table
    membership: np.ndarray   # persons: row in the memberships
    group: np.ndarray        # persons: their household's position in `hid`
    housing: dict            # households: housing inputs (tenure as codes and values)
    disability: dict         # persons: disability group and cause in force (codes and values)
    locality: np.ndarray     # households: code into registry.localities (its '' where not recorded)

    @property
    def region_codes(self) -> pl.Series:
        """Each household's region code."""
        return self.registry.region_names.gather(self.region)

    @property
    def locality_codes(self) -> list[str]:
        """Each household's locality code ('' where the registration has none)."""
        return self.registry.localities[self.locality].tolist()

    def by_region(self):
        """(region code, Prepared) for each region, in order: zero-copy slices."""
        if not len(self.hid):
            return
        cuts = np.flatnonzero(np.r_[True, self.region[1:] != self.region[:-1], True])
        people = np.searchsorted(self.group, cuts)
        for a, b, pa, pb in zip(cuts[:-1], cuts[1:], people[:-1], people[1:]):
            yield str(self.registry.regions[self.region[a]]), Prepared(
                self.registry, self.on, self.hid[a:b], self.region[a:b], self.pid[pa:pb],
                self.membership[pa:pb], self.group[pa:pb] - a, _rows(self.housing, slice(a, b)),
                _rows(self.disability, slice(pa, pb)), self.locality[a:b])

    @property
    def is_head(self) -> np.ndarray:
        """Whether each person is the head of their household."""
        return self.registry.m_role[self.membership] == self.registry.head

    @property
    def household_ids(self) -> pl.Series:
        return self.registry.ids.gather(self.hid)

    @property
    def iins(self) -> pl.Series:
        return self.registry.iin.gather(self.pid)

    @cached_property
    def _columns(self) -> tuple[dict, dict]:
        """Person and household inputs; text as (codes, values). Worked out once: a card asks for
        both the engine's arrays and the frames."""
        r, on = self.registry, self.on
        role = (r.m_role[self.membership], r.roles)
        sex = (r.sex[self.pid], r.sexes)
        birth = r.birth[self.pid]
        index, values = r.incomes(on)
        at = index[self.pid]
        group, cause = self.disability["disability_group"], self.disability["disability_cause"]
        is_role = lambda name: role[0] == _code(role[1], name)  # noqa: E731
        children = np.bincount(self.group[is_role("child")], minlength=len(self.hid))
        mother = (sex[0] == _code(sex[1], "F")) & (is_role("head") | is_role("spouse"))
        age = ages(birth, on)
        p = {"role": role, "birth_date": birth, "sex": sex, "disability_group": group, "disability_cause": cause,
             "children_born": np.where(mother, children[self.group], 0).astype(np.int64),
             "participation_years": np.clip(age - 22, 0, 40).astype(np.int64),
             **{f"income_{k}": values[i][at] for i, k in enumerate(INCOME_KINDS)}}
        h = {"region_code": (self.region, r.regions), "locality_code": (self.locality, r.localities), **self.housing}
        return p, h

    def engine(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
        """The engine's inputs: person arrays, household arrays and each person's household."""
        p, h = self._columns
        fixed = lambda v: v[1][v[0]] if isinstance(v, tuple) else v  # noqa: E731
        return ({k: fixed(v) for k, v in p.items()}, {k: fixed(v) for k, v in h.items()},
                self.group.astype(np.int64, copy=False))

    def frames(self, keep_region: bool = False, keys: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The (persons, households) input frames: PERSON_COLUMNS and HOUSEHOLD_COLUMNS, with
        `region_code` on persons when `keep_region`, and the integer keys (`_iin`, `_hid`) when `keys`."""
        p, h = self._columns
        series = lambda v: pl.Series(v[1].tolist(), dtype=pl.String).gather(v[0]) if isinstance(v, tuple) else pl.Series(v)  # noqa: E731
        ids = self.household_ids
        persons = pl.DataFrame({"iin": self.iins, "household_id": ids.gather(self.group),
                                **{c: series(p[c]) for c in PERSON_COLUMNS[2:]}})
        households = pl.DataFrame({"household_id": ids, **{c: series(h[c]) for c in HOUSEHOLD_COLUMNS[1:]}})
        if keep_region:
            persons = persons.with_columns(region_code=households["region_code"].gather(self.group))
        if keys:
            persons = persons.with_columns(_iin=pl.Series(self.registry.key[self.pid], dtype=pl.UInt64),
                                           _hid=pl.Series(self.hid[self.group], dtype=pl.UInt32))
            households = households.with_columns(_hid=pl.Series(self.hid, dtype=pl.UInt32))
        return persons, households


def _rows(columns: dict, rows) -> dict:
    """Some rows of each column; a text column is (codes, values)."""
    return {k: (v[0][rows], v[1]) if isinstance(v, tuple) else v[rows] for k, v in columns.items()}


def prepare(tables: dict[str, pl.LazyFrame], on: dt.date, regions: Iterable[str] | None = None) -> Prepared:
    """Read what the standard needs on `on` (for some regions only, when given)."""
    return Registry(tables, dates=[on]).prepare(on, regions)


def build(tables: dict[str, pl.LazyFrame], on: dt.date, regions: Iterable[str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(persons, households) input frames for households living on `on`, optionally in some regions."""
    return prepare(tables, on, regions).frames()
