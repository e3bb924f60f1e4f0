"""Every measure for every household of a source (an extract or the registry), for one month,
region by region.

A region is the unit of work: the same `region_results` runs in this process or on a Dask
distributed worker (`scheduler=ADDRESS`), so a cluster gives the same numbers as one machine.
What the source cannot support is not computed and says why (`SimulationRun.not_computed`), and
a date after the source's `as_of` carries a warning.
"""
from __future__ import annotations

import datetime as dt
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl

from komek.engine.reform import Reform
from komek.errors import ClusterError
from komek.kz import contract, registry_inputs
from komek.kz.batch import SUMMARY_SCHEMA, region_results
from komek.kz.standard import benefits, household_measures, person_measures, standard
from komek.registry import Source, reopen
from komek.services.sources import warnings_for

# Each household's poverty line beside its measures: what a reform's impact measures poverty by.
POVERTY_LINE = "tsa_poverty_line"


@dataclass
class SimulationRun:
    month: dt.date
    summary: pl.DataFrame         # region_code, measure, recipients, spending (null: not computed)
    quarantined: dict[str, int] = field(default_factory=dict)   # invalid rows left out, per table
    folder: Path | None = None    # where the results were written region by region, if they were
    counts: dict[str, int] = field(default_factory=dict)          # households and persons computed
    not_computed: dict[str, str] = field(default_factory=dict)    # measure -> why
    assumptions: dict[str, list[str]] = field(default_factory=dict)   # measure -> what it assumes
    warnings: list[str] = field(default_factory=list)
    _households: pl.DataFrame | None = None
    _persons: pl.DataFrame | None = None

    @property
    def households(self) -> pl.DataFrame:
        """household_id, region_code, size, one column per measure (persons' measures summed), and
        the household's poverty line (POVERTY_LINE)."""
        if self._households is None:
            self._households = pl.read_parquet(self.folder / "households" / "*.parquet")
        return self._households

    @property
    def persons(self) -> pl.DataFrame:
        """iin, household_id, one column per person measure."""
        if self._persons is None:
            self._persons = pl.read_parquet(self.folder / "persons" / "*.parquet")
        return self._persons


def _task(spec: tuple[str, str], on: dt.date, region: str, reform: Reform | None,
          unknown: list[str]) -> tuple[tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], set]:
    """One region on a worker: the source reopened there, only the region prepared."""
    tables = registry_inputs.tables_of(reopen(spec, contract()))
    warnings: set = set()
    return region_results(registry_inputs.prepare(tables, on, [region]), reform, (POVERTY_LINE,), unknown, warnings), warnings


def simulate(source: Source, on: dt.date, scheduler: str | None = None, progress=None,
             reform: Reform | None = None, out: Path | None = None) -> SimulationRun:
    """Run the standard over a source for the date `on`.

    With `out`, each region's results are written there as they come (households/RR.parquet,
    persons/RR.parquet, summary.parquet), so memory holds one region's results at a time.
    """
    standard()  # load and check the rules before any data is read
    tables = registry_inputs.tables_of(source)
    cover = registry_inputs.coverage(tables)
    unknown = sorted(cover.not_computed)
    parts: dict[str, tuple[pl.DataFrame, pl.DataFrame]] = {}
    summaries = []
    if out is not None:
        for sub in ("households", "persons"):
            (Path(out) / sub).mkdir(parents=True, exist_ok=True)

    counts = {"households": 0, "persons": 0}
    warnings: set[str] = set()
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
        _on_cluster(scheduler, source, tables, on, reform, unknown, keep, warnings, progress)
    else:
        prepared = registry_inputs.prepare(tables, on)
        regions = list(prepared.by_region())

        def one(region) -> str:
            code, part = region
            keep(code, region_results(part, reform, (POVERTY_LINE,), unknown, warnings))
            return code

        # Two regions at a time: NumPy and Parquet writing release the GIL, so both cores work.
        with ThreadPoolExecutor(max_workers=2) as pool:
            for i, code in enumerate(pool.map(one, regions), 1):
                if progress:
                    progress(f"simulate: {code}", i, len(regions))
    summary = pl.concat([pl.DataFrame(schema=SUMMARY_SCHEMA), *summaries]).sort("region_code", "measure")
    run = SimulationRun(on, summary, source.quarantined, Path(out) if out else None, counts,
                        cover.not_computed, cover.assumptions, warnings_for(source, on, warnings))
    if out is None:
        run._households = pl.concat([parts[c][0] for c in sorted(parts)]) if parts else None
        run._persons = pl.concat([parts[c][1] for c in sorted(parts)]) if parts else None
    else:
        summary.write_parquet(Path(out) / "summary.parquet")
        measures(run).write_parquet(Path(out) / "measures.parquet")
    return run


def measures(run: SimulationRun) -> pl.DataFrame:
    """Each measure: computed or not, why not, and the assumptions it rests on (measures.parquet)."""
    names = [*household_measures(), *person_measures()]
    return pl.DataFrame({"measure": names, "computed": [m not in run.not_computed for m in names],
                         "not_computed_because": [run.not_computed.get(m) for m in names],
                         "assumptions": [run.assumptions.get(m, []) for m in names]},
                        schema={"measure": pl.String, "computed": pl.Boolean, "not_computed_because": pl.String,
                                "assumptions": pl.List(pl.String)})


def _on_cluster(scheduler: str, source: Source, tables: dict, on: dt.date, reform: Reform | None,
                unknown: list[str], keep, warnings: set, progress) -> None:
    from dask.distributed import Client, as_completed
    _reachable(scheduler)
    codes = sorted(registry_inputs.households_on(tables, on).select("region_code").unique().collect()["region_code"])
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as e:
        raise ClusterError(f"scheduler {scheduler}: cannot connect ({' '.join(str(e).split())[:200]})") from None
    with client:
        futures = {client.submit(_task, source.spec, on, c, reform, unknown, pure=False): c for c in codes}
        for i, fut in enumerate(as_completed(futures), 1):
            result, seen = fut.result()
            keep(futures[fut], result)
            warnings.update(seen)
            if progress:
                progress(f"simulate: {futures[fut]}", i, len(codes))


def _reachable(scheduler: str) -> None:
    """Refuse a scheduler whose port does not answer at once, rather than retrying for half a minute."""
    address = urlsplit(scheduler if "://" in scheduler else f"tcp://{scheduler}")
    if address.scheme != "tcp":          # an in-process or TLS address: the client itself tells
        return
    try:
        with socket.create_connection((address.hostname, address.port or 8786), timeout=5):
            pass
    except (OSError, ValueError) as e:
        raise ClusterError(f"scheduler {scheduler}: cannot connect ({e})") from None


def national(summary: pl.DataFrame) -> pl.DataFrame:
    """Recipients and spending per measure over all regions (null for a measure not computed)."""
    computed = pl.col("spending").is_not_null().all()
    return (summary.group_by("measure").agg(pl.when(computed).then(pl.col("recipients").sum()),
                                            pl.when(computed).then(pl.col("spending").sum()))
            .sort("spending", "measure", descending=[True, False], nulls_last=True))


def benefit_spending(run: SimulationRun) -> float:
    """Total monthly spending on the benefits computed (contributions excluded)."""
    return float(run.summary.filter(pl.col("measure").is_in(benefits()))["spending"].drop_nulls().sum())


def compare(base: SimulationRun, reformed: SimulationRun) -> pl.DataFrame:
    """Recipients and monthly spending per measure, baseline against reform."""
    b = national(base.summary).rename({"recipients": "recipients_base", "spending": "spending_base"})
    r = national(reformed.summary).rename({"recipients": "recipients_reform", "spending": "spending_reform"})
    return (b.join(r, on="measure", how="full", coalesce=True)
            .with_columns(change=pl.col("spending_reform") - pl.col("spending_base"))
            .sort(pl.col("change").abs(), descending=True, nulls_last=True))


def compare_regions(base: SimulationRun, reformed: SimulationRun) -> pl.DataFrame:
    """Per region: its households, and the monthly spending on the benefits computed in both runs,
    baseline against reform."""
    computed = [m for m in benefits() if m not in base.not_computed and m not in reformed.not_computed]

    def spent(run: SimulationRun, side: str) -> pl.DataFrame:
        return (run.summary.filter(pl.col("measure").is_in(computed)).group_by("region_code")
                .agg(pl.col("spending").sum().alias(f"spending_{side}")))
    households = base.households.group_by("region_code").len("households").with_columns(pl.col("households").cast(pl.Int64))
    return (households.join(spent(base, "base"), on="region_code", how="left")
            .join(spent(reformed, "reform"), on="region_code", how="left")
            .with_columns(change=pl.col("spending_reform") - pl.col("spending_base")).sort("region_code"))


def gainers_losers(base: SimulationRun, reformed: SimulationRun) -> dict[str, int]:
    """Households whose total benefits (of the measures computed) rise, fall or stay the same."""
    cols = [c for c in benefits() if c in base.households.columns and c not in base.not_computed]
    total = lambda run: run.households.select("household_id", pl.sum_horizontal(cols).alias("t"))  # noqa: E731
    d = total(base).join(total(reformed), on="household_id", suffix="_r").with_columns(d=pl.col("t_r") - pl.col("t"))
    return {"gain": int((d["d"] > 0).sum()), "lose": int((d["d"] < 0).sum()), "same": int((d["d"] == 0).sum())}


