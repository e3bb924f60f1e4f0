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


def region_results(persons: pl.DataFrame, households: pl.DataFrame, on: dt.date,
                   reform: Reform | None = None, also: tuple[str, ...] = ()) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Run the standard (or a reform of it) over one region's input frames; `also` names other
    variables to return beside the measures (on the households or persons frame by entity)."""
    rules = standard()
    group_measures, person_measures = measure_names()
    p, h, group_of = registry_inputs.arrays(persons, households)
    sim = Simulation(rules, on, p, h, group_of, reform.parameters(rules) if reform else None)
    if reform:
        reform.apply(sim)
    person_values = {m: sim.calculate(m) for m in person_measures}
    hh = households.select("household_id", "region_code").with_columns(
        size=pl.Series(np.bincount(group_of, minlength=households.height), dtype=pl.Int32),
        **{m: pl.Series(sim.calculate(m)) for m in group_measures},
        **{m: pl.Series(np.bincount(group_of, weights=person_values[m], minlength=households.height))
           for m in person_measures})
    people = persons.select("iin", "household_id").with_columns(**{m: pl.Series(v) for m, v in person_values.items()})
    extra = {n: pl.Series(sim.calculate(n)) for n in also}
    hh = hh.with_columns(**{n: v for n, v in extra.items() if not rules.variables[n].entity.is_person})
    people = people.with_columns(**{n: v for n, v in extra.items() if rules.variables[n].entity.is_person})
    return _money(hh, group_measures + person_measures), _money(people, person_measures)


def _money(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    # Amounts are already rounded by each measure's rule; this fixes them as exact decimals.
    return frame.with_columns(pl.col(c).round(2).cast(MONEY) for c in columns)


def _tables(extract: str | Path | None, database: str | None, quarantine: dict | None = None) -> dict[str, pl.LazyFrame]:
    """The input tables from an extract folder, or from the registry database."""
    if database:
        return registry_inputs.scan_database(database)
    return registry_inputs.scan(Path(extract), quarantine)


def _task(extract: str | None, database: str | None, on: dt.date, region: str,
          reform: Reform | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    persons, households = registry_inputs.build(_tables(extract, database), on, [region])
    return region_results(persons, households, on, reform)


def summarize(households: pl.DataFrame, persons: pl.DataFrame) -> pl.DataFrame:
    """Recipients (households, or persons for person measures) and spending per region and measure."""
    group_measures, person_measures = measure_names()
    region = persons.join(households.select("household_id", "region_code"), on="household_id")
    spending = households.group_by("region_code").agg(pl.col(m).sum() for m in group_measures + person_measures)
    recipients = (households.group_by("region_code").agg((pl.col(m) > 0).sum() for m in group_measures)
                  .join(region.group_by("region_code").agg((pl.col(m) > 0).sum() for m in person_measures),
                        on="region_code"))
    long = lambda frame, name: frame.unpivot(index="region_code", variable_name="measure", value_name=name)  # noqa: E731
    return (long(recipients, "recipients").join(long(spending, "spending"), on=["region_code", "measure"])
            .with_columns(pl.col("recipients").cast(pl.UInt32)).sort("region_code", "measure"))


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

    def keep(code: str, result: tuple[pl.DataFrame, pl.DataFrame]) -> None:
        summary = summarize(*result)
        if out is not None:
            result[0].write_parquet(Path(out) / "households" / f"{code}.parquet")
            result[1].write_parquet(Path(out) / "persons" / f"{code}.parquet")
        with lock:
            summaries.append(summary)
            counts["households"] += result[0].height
            counts["persons"] += result[1].height
            if out is None:
                parts[code] = result

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
        persons, households = registry_inputs.cut(prepared, keep_region=True)
        del prepared      # the joined frames hold all that is needed; free the parts
        regions = list(registry_inputs.by_region(persons, households))

        def one(region) -> str:
            code, p, h = region
            keep(code, region_results(p, h, on, reform))
            return code

        # Two regions at a time: NumPy and Parquet writing release the GIL, so both cores work.
        with ThreadPoolExecutor(max_workers=2) as pool:
            for i, code in enumerate(pool.map(one, regions), 1):
                if progress:
                    progress(f"simulate: {code}", i, len(regions))
    summary = pl.concat(summaries).sort("region_code", "measure")
    run = SimulationRun(on, summary, {t: q.height for t, q in quarantine.items()}, Path(out) if out else None, counts)
    if out is None:
        run._households = pl.concat([parts[c][0] for c in sorted(parts)])
        run._persons = pl.concat([parts[c][1] for c in sorted(parts)])
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
