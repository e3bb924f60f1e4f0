"""Every measure for every household of an extract, for one month, region by region.

A region is the unit of work: the same `region_results` runs in this process or on a Dask
distributed worker (`scheduler=ADDRESS`), so a cluster gives the same numbers as one machine.
"""
from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from komek.contract.schema import MONEY
from komek.engine import Simulation
from komek.engine.reform import Reform
from komek.kz import registry_inputs
from komek.kz.standard import standard


@dataclass
class SimulationRun:
    month: dt.date
    summary: pl.DataFrame         # region_code, measure, recipients, spending
    quarantined: dict[str, int] = field(default_factory=dict)   # invalid rows left out, per table
    folder: Path | None = None    # where the results were written region by region, if they were
    counts: dict[str, int] = field(default_factory=dict)          # households and persons computed
    _households: pl.DataFrame | None = None
    _persons: pl.DataFrame | None = None

    @property
    def households(self) -> pl.DataFrame:
        """household_id, region_code, size, one column per measure (persons' measures summed)."""
        if self._households is None:
            self._households = pl.read_parquet(self.folder / "households" / "*.parquet")
        return self._households

    @property
    def persons(self) -> pl.DataFrame:
        """iin, household_id, one column per person measure."""
        if self._persons is None:
            self._persons = pl.read_parquet(self.folder / "persons" / "*.parquet")
        return self._persons


def measure_names() -> tuple[list[str], list[str]]:
    rules = standard()
    ms = rules.measures()
    return [m.name for m in ms if not m.entity.is_person], [m.name for m in ms if m.entity.is_person]


def region_results(prepared: registry_inputs.Prepared, reform: Reform | None = None,
                   also: tuple[str, ...] = ()) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Run the standard (or a reform of it) over prepared households (one region, usually).

    Returns (households, persons, summary): household_id, region_code, size and every measure
    (person measures summed); iin, household_id and the person measures; and recipients and
    spending per region and measure. `also` names other variables to return beside the measures
    (on the households or persons frame by entity)."""
    rules = standard()
    on = prepared.on
    group_measures, person_measures = measure_names()
    p, h, group_of = prepared.engine()
    n = len(prepared.hid)
    sim = Simulation(rules, on, p, h, group_of, reform.parameters(rules) if reform else None)
    if reform:
        reform.apply(sim)
    person_values = {m: sim.calculate(m) for m in person_measures}
    household_values = {m: sim.calculate(m) for m in group_measures}
    household_values.update({m: np.bincount(group_of, weights=v, minlength=n) for m, v in person_values.items()})
    summary = _summary(prepared, household_values, person_values)
    ids = prepared.household_ids
    hh = pl.DataFrame({"household_id": ids,
                       "region_code": prepared.region_codes,
                       "size": pl.Series(np.bincount(group_of, minlength=n), dtype=pl.Int32),
                       **{m: _money(v) for m, v in household_values.items()}})
    people = pl.DataFrame({"iin": prepared.iins, "household_id": ids.gather(group_of),
                           **{m: _money(v) for m, v in person_values.items()}})
    extra = {name: pl.Series(sim.calculate(name)) for name in also}
    hh = hh.with_columns(**{k: v for k, v in extra.items() if not rules.variables[k].entity.is_person})
    people = people.with_columns(**{k: v for k, v in extra.items() if rules.variables[k].entity.is_person})
    return hh, people, summary


def _money(values: np.ndarray) -> pl.Series:
    """Amounts (already rounded by each measure's rule) as exact decimals: whole tiyn laid out as
    Arrow's 128-bit decimal values (low word, then the sign), which no cast has to parse."""
    tiyn = np.rint(np.asarray(values, dtype=np.float64) * 100).astype(np.int64)
    words = np.empty((len(tiyn), 2), dtype=np.int64)
    words[:, 0], words[:, 1] = tiyn, tiyn >> 63
    return pl.from_arrow(pa.Array.from_buffers(pa.decimal128(14, 2), len(tiyn), [None, pa.py_buffer(words)]))


def _summary(prepared: registry_inputs.Prepared, household_values: dict, person_values: dict) -> pl.DataFrame:
    """Recipients (households, or persons for a person measure) and spending per region and measure."""
    numbers, region = np.unique(prepared.region, return_inverse=True)     # a slice holds one region, or a few
    codes = prepared.registry.regions[numbers]
    person_region = region[prepared.group]
    rows = []
    for m, v in household_values.items():
        if m in person_values:
            recipients = np.bincount(person_region, weights=person_values[m] > 0, minlength=len(codes))
        else:
            recipients = np.bincount(region, weights=v > 0, minlength=len(codes))
        cents = np.bincount(region, weights=np.rint(v * 100), minlength=len(codes))
        rows += [(c, m, int(r), float(t)) for c, r, t in zip(codes.tolist(), recipients, cents)]
    frame = pl.DataFrame(rows, schema={"region_code": pl.String, "measure": pl.String, "recipients": pl.UInt32,
                                       "spending": pl.Float64}, orient="row")
    # Sums of whole tiyn are exact in a double far beyond a country's budget.
    return frame.with_columns((pl.col("spending") / 100).round(2).cast(MONEY)).sort("region_code", "measure")


def _tables(extract: str | Path | None, database: str | None, quarantine: dict | None = None) -> dict[str, pl.LazyFrame]:
    """The input tables from an extract folder, or from the registry database."""
    if database:
        return registry_inputs.scan_database(database)
    return registry_inputs.scan(Path(extract), quarantine)


def _task(extract: str | None, database: str | None, on: dt.date, region: str,
          reform: Reform | None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    return region_results(registry_inputs.prepare(_tables(extract, database), on, [region]), reform)


def simulate(extract: Path | None, on: dt.date, scheduler: str | None = None, progress=None,
             reform: Reform | None = None, database: str | None = None, out: Path | None = None) -> SimulationRun:
    """Run the standard over an extract folder, or over the registry database when `database` is given.

    With `out`, each region's results are written there as they come (households/RR.parquet,
    persons/RR.parquet, summary.parquet), so memory holds one region's results at a time.
    """
    standard()  # load and check the rules before any data is read
    quarantine: dict[str, pl.DataFrame] = {}
    tables = _tables(extract, database, quarantine)
    parts: dict[str, tuple[pl.DataFrame, pl.DataFrame]] = {}
    summaries = []
    if out is not None:
        for sub in ("households", "persons"):
            (Path(out) / sub).mkdir(parents=True, exist_ok=True)

    counts = {"households": 0, "persons": 0}
    lock = threading.Lock()

    def keep(code: str, result: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]) -> None:
        households, persons, summary = result
        if out is not None:
            # Results are read back whole or by region; light compression writes fastest.
            households.write_parquet(Path(out) / "households" / f"{code}.parquet", compression="lz4", statistics=False)
            persons.write_parquet(Path(out) / "persons" / f"{code}.parquet", compression="lz4", statistics=False)
        with lock:
            summaries.append(summary)
            counts["households"] += households.height
            counts["persons"] += persons.height
            if out is None:
                parts[code] = (households, persons)

    if scheduler:
        from dask.distributed import Client, as_completed
        codes = sorted(registry_inputs.households_on(tables, on).select("region_code").unique().collect()["region_code"])
        with Client(scheduler) as client:
            source = None if database else str(Path(extract).resolve())
            futures = {client.submit(_task, source, database, on, c, reform, pure=False): c for c in codes}
            for i, fut in enumerate(as_completed(futures), 1):
                keep(futures[fut], fut.result())
                if progress:
                    progress(f"simulate: {futures[fut]}", i, len(codes))
    else:
        prepared = registry_inputs.prepare(tables, on)
        regions = list(prepared.by_region())

        def one(region) -> str:
            code, part = region
            keep(code, region_results(part, reform))
            return code

        # Two regions at a time: NumPy and Parquet writing release the GIL, so both cores work.
        with ThreadPoolExecutor(max_workers=2) as pool:
            for i, code in enumerate(pool.map(one, regions), 1):
                if progress:
                    progress(f"simulate: {code}", i, len(regions))
    empty = pl.DataFrame(schema={"region_code": pl.String, "measure": pl.String, "recipients": pl.UInt32, "spending": MONEY})
    summary = pl.concat([empty, *summaries]).sort("region_code", "measure")
    run = SimulationRun(on, summary, {t: q.height for t, q in quarantine.items()}, Path(out) if out else None, counts)
    if out is None:
        run._households = pl.concat([parts[c][0] for c in sorted(parts)]) if parts else None
        run._persons = pl.concat([parts[c][1] for c in sorted(parts)]) if parts else None
    else:
        summary.write_parquet(Path(out) / "summary.parquet")
    return run


def last_day(month: str) -> dt.date:
    """The last day of a YYYY-MM month: amounts for a month are computed as of its end."""
    try:
        first = dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        raise ValueError(f"--month: {month!r} is not a month (YYYY-MM)") from None
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def national(summary: pl.DataFrame) -> pl.DataFrame:
    return (summary.group_by("measure").agg(pl.col("recipients").sum(), pl.col("spending").sum())
            .sort("spending", descending=True))


def benefit_spending(run: SimulationRun) -> float:
    """Total monthly spending on benefits (contributions excluded)."""
    from komek.kz.standard import CONTRIBUTIONS
    return float(run.summary.filter(~pl.col("measure").is_in(CONTRIBUTIONS))["spending"].sum())


def compare(base: SimulationRun, reformed: SimulationRun) -> pl.DataFrame:
    """Recipients and monthly spending per measure, baseline against reform."""
    b = national(base.summary).rename({"recipients": "recipients_base", "spending": "spending_base"})
    r = national(reformed.summary).rename({"recipients": "recipients_reform", "spending": "spending_reform"})
    return (b.join(r, on="measure", how="full", coalesce=True)
            .with_columns(change=pl.col("spending_reform") - pl.col("spending_base"))
            .sort(pl.col("change").abs(), descending=True))


def gainers_losers(base: SimulationRun, reformed: SimulationRun) -> dict[str, int]:
    """Households whose total benefits rise, fall or stay the same under the reform."""
    from komek.kz.standard import CONTRIBUTIONS
    cols = [c for c in base.households.columns if c not in ("household_id", "region_code", "size", *CONTRIBUTIONS)]
    total = lambda run: run.households.select("household_id", pl.sum_horizontal(cols).alias("t"))  # noqa: E731
    d = total(base).join(total(reformed), on="household_id", suffix="_r").with_columns(d=pl.col("t_r") - pl.col("t"))
    return {"gain": int((d["d"] > 0).sum()), "lose": int((d["d"] < 0).sum()), "same": int((d["d"] == 0).sum())}


def comparison_table(table: pl.DataFrame, title: str):
    from rich.table import Table
    t = Table(title=title)
    for col in ("measure", "recipients", "reform", "monthly tenge", "reform", "change"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    for m, rb, sb, rr, sr, ch in table.select("measure", "recipients_base", "spending_base", "recipients_reform",
                                              "spending_reform", "change").iter_rows():
        t.add_row(m, f"{rb:,}", f"{rr:,}", f"{sb:,.0f}", f"{sr:,.0f}", f"{ch:+,.0f}")
    return t


def summary_table(run: SimulationRun):
    from rich.table import Table
    left_out = f"; rows left out as invalid: {run.quarantined}" if run.quarantined else ""
    t = Table(title=f"Measures for {run.month:%Y-%m}: {run.counts['households']:,} households, "
                    f"{run.counts['persons']:,} people{left_out}")
    for col in ("measure", "recipients", "monthly amount, tenge"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    for m, n, amount in national(run.summary).iter_rows():
        t.add_row(m, f"{n:,}", f"{amount:,.0f}")
    return t
