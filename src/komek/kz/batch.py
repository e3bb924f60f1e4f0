"""The standard over many households at once: one region's prepared registry households through
the engine, their amounts as exact decimals and the region's summary. The same function runs in
this process or on a Dask worker, so a cluster gives the numbers one machine gives."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import polars as pl

from komek.engine import Simulation
from komek.engine.reform import Reform
from komek.kz.registry_inputs import Prepared
from komek.kz.standard import household_measures, person_measures, standard
from komek.money import MONEY, money_series

SUMMARY_SCHEMA = {"region_code": pl.String, "measure": pl.String, "recipients": pl.UInt32, "spending": MONEY}


def region_results(prepared: Prepared, reform: Reform | None = None, also: tuple[str, ...] = (),
                   unknown: Iterable[str] = (), warnings: set | None = None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Run the standard (or a reform of it) over prepared households (one region, usually).

    Returns (households, persons, summary): household_id, region_code, size and every measure
    (person measures summed); iin, household_id and the person measures; and recipients and
    spending per region and measure. `also` names other variables to return beside the measures
    (on the households or persons frame by entity). A measure in `unknown` (its data is not in
    the source) is not computed: its column is empty (null) and its summary row has no figures.
    Parameters read past their last known value are added to `warnings`."""
    rules, on, unknown = standard(), prepared.on, set(unknown)
    group_measures = [m for m in household_measures() if m not in unknown]
    person_ms = [m for m in person_measures() if m not in unknown]
    p, h, group_of = prepared.engine()
    n = len(prepared.hid)
    sim = Simulation(rules, on, p, h, group_of, reform.parameters(rules) if reform else None)
    if reform:
        reform.apply(sim)
    person_values = {m: sim.calculate(m) for m in person_ms}
    household_values = {m: sim.calculate(m) for m in group_measures}
    household_values.update({m: np.bincount(group_of, weights=v, minlength=n) for m, v in person_values.items()})
    if warnings is not None:
        warnings.update(sim.warnings)
    summary = _summary(prepared, household_values, person_values, unknown)
    ids = prepared.household_ids
    missing = {m: pl.lit(None, MONEY) for m in unknown}
    hh = pl.DataFrame({"household_id": ids,
                       "region_code": prepared.region_codes,
                       "size": pl.Series(np.bincount(group_of, minlength=n), dtype=pl.Int32),
                       **{m: money_series(v) for m, v in household_values.items()}}).with_columns(**missing)
    people = pl.DataFrame({"iin": prepared.iins, "household_id": ids.gather(group_of),
                           **{m: money_series(v) for m, v in person_values.items()}}).with_columns(
        **{m: v for m, v in missing.items() if m in person_measures()})
    order = [*household_measures(), *person_measures()]
    hh = hh.select("household_id", "region_code", "size", *order)
    people = people.select("iin", "household_id", *person_measures())
    extra = {name: pl.Series(sim.calculate(name)) for name in also}
    hh = hh.with_columns(**{k: v for k, v in extra.items() if not rules.variables[k].entity.is_person})
    people = people.with_columns(**{k: v for k, v in extra.items() if rules.variables[k].entity.is_person})
    return hh, people, summary


def _summary(prepared: Prepared, household_values: dict, person_values: dict, unknown: set[str]) -> pl.DataFrame:
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
    rows += [(c, m, None, None) for m in sorted(unknown) for c in codes.tolist()]
    frame = pl.DataFrame(rows, schema={"region_code": pl.String, "measure": pl.String, "recipients": pl.UInt32,
                                       "spending": pl.Float64}, orient="row")
    # Sums of whole tiyn are exact in a double far beyond a country's budget.
    return frame.with_columns((pl.col("spending") / 100).round(2).cast(MONEY)).sort("region_code", "measure")
