"""`komek simulate` over a synthetic extract: invariants, agreement with `calc`, and the same
numbers on a Dask cluster as in one process."""
import datetime as dt

import polars as pl
import pytest

from komek.kz import contract, registry_inputs
from komek.periods import month_end as last_day
from komek.services.calc import calculate
from komek.services.simulate import simulate
from komek.services.sources import source

ON = dt.date(2026, 9, 30)


@pytest.fixture(scope="module")
def run(extract):
    return simulate(source(extract), ON)


def test_every_household_once_with_all_measures(run, extract):
    hh = run.households
    assert hh["household_id"].n_unique() == hh.height
    assert hh["size"].sum() == run.persons.height
    living = registry_inputs.households_on(registry_inputs.tables_of(source(extract)), ON).collect()
    assert set(hh["household_id"]) <= set(living["household_id"])
    for m in ("tsa", "housing_assistance", "disability_benefit", "base_pension", "opv"):
        assert (hh[m] >= 0).all()
    # Summary is the sum of the household results.
    total = run.summary.filter(pl.col("measure") == "tsa")["spending"].sum()
    assert total == hh["tsa"].sum()


def test_batch_agrees_with_one_household_calc(run, extract):
    """Rebuild one TSA household as a situation and compute it alone: the same amounts."""
    persons, households = registry_inputs.build(registry_inputs.tables_of(source(extract)), ON)
    target = run.households.filter(pl.col("tsa") > 0).sort("household_id").row(0, named=True)
    h = households.filter(pl.col("household_id") == target["household_id"]).row(0, named=True)
    members = persons.filter(pl.col("household_id") == target["household_id"])
    situation = {"date": ON.isoformat(), "region_code": h["region_code"], "household": {
        "members": [{"id": m["iin"], "role": m["role"], "birth_date": m["birth_date"].isoformat(), "sex": m["sex"],
                     "incomes": {k: round(m[f"income_{k}"], 2) for k in ("wage", "self_employed", "business", "pension",
                                 "benefit", "alimony", "rent", "other") if m[f"income_{k}"]},
                     "disability_group": m["disability_group"] or None, "disability_cause": m["disability_cause"] or None,
                     "children_born": m["children_born"], "participation_years": m["participation_years"]}
                    for m in members.iter_rows(named=True)],
        "housing": {"area_m2": h["area_m2"], "tenure": h["tenure"], "only_home": h["only_home"],
                    "monthly_costs": {c: round(h[c], 2) for c in ("utilities", "maintenance", "communication", "rent")}}}}
    alone = calculate(situation)["household"]
    for m in ("tsa", "tsa_child_supplement", "housing_assistance", "disability_benefit", "base_pension", "opv"):
        assert float(target[m]) == pytest.approx(alone[m], abs=0.01), m


def test_dask_cluster_gives_identical_results(run, extract):
    from dask.distributed import LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        distributed = simulate(source(extract), ON, scheduler=cluster.scheduler_address)
    assert distributed.households.sort("household_id").equals(run.households.sort("household_id"))
    assert distributed.persons.sort("iin").equals(run.persons.sort("iin"))


def test_month_end():
    assert last_day("2026-02") == dt.date(2026, 2, 28) and last_day("2024-02") == dt.date(2024, 2, 29)
    with pytest.raises(ValueError, match="not a month"):
        last_day("2026-13")


def test_payments_are_the_rules_amounts_for_those_who_take_up(tmp_path):
    from komek.periods import month_end as last_day
    from komek.services.extracts import generate_extract

    generate_extract(tmp_path, 1500, 5, dt.date(2026, 11, 1), 3)
    paid = pl.read_parquet(tmp_path / "payments.parquet")
    assert sorted(paid["month"].unique()) == ["2026-08", "2026-09", "2026-10"]
    assert paid["payment_id"].n_unique() == paid.height
    assert not paid["measure"].is_in(["opv", "opvr", "social_contribution", "vosms", "oosms"]).any()
    sep = simulate(source(tmp_path), last_day("2026-09"))
    month = paid.filter(pl.col("month") == "2026-09")
    # Household measures are paid to the head, once per household: the amount is the rules' amount.
    tsa = month.filter(pl.col("measure") == "tsa").join(sep.households.select("household_id", "tsa"), on="household_id")
    assert tsa.height > 0 and (tsa["amount"] == tsa["tsa"]).all()
    entitled = (sep.households["tsa"] > 0).sum()
    assert tsa.height < entitled                     # not everyone entitled takes TSA up
    pensions = month.filter(pl.col("measure") == "base_pension").join(
        sep.persons.select("iin", "base_pension"), on="iin")
    assert (pensions["amount"] == pensions["base_pension"]).all()


def test_reform_from_yaml_and_replaced_formula(run, extract, tmp_path):
    from pathlib import Path

    from komek.engine.reform import Reform
    from komek.errors import ReformError
    from komek.kz.standard import standard
    from komek.services.simulate import compare, gainers_losers

    docs = Path(__file__).parents[1] / "docs" / "examples"
    reform = Reform.load(docs / "reform-tsa-line.yaml")
    reformed = simulate(source(extract), ON, reform=reform)
    table = compare(run, reformed).filter(pl.col("measure") == "tsa").row(0, named=True)
    # A higher line can only raise TSA: more recipients, more spending; nothing else changes.
    assert table["spending_reform"] > table["spending_base"]
    assert table["recipients_reform"] >= table["recipients_base"]
    assert gainers_losers(run, reformed)["lose"] == 0
    assert reformed.households["base_pension"].equals(run.households["base_pension"])
    # Replacing a formula: a flat large-family benefit of 50,000 for every large family.
    flat = Reform("flat", ON, formulas={"large_family_benefit": lambda x, p: x.dependent_children * 0 + 50_000})
    lf = simulate(source(extract), ON, reform=flat).households.filter(pl.col("large_family_benefit") > 0)
    assert lf.height == (run.households["large_family_benefit"] > 0).sum()
    # The base rule is replaced; its exception (8 or more children: an amount per child) still has the last word.
    both = lf.join(run.households, on="household_id", suffix="_base")
    flat_or_exception = (both["large_family_benefit"] == 50_000) | (both["large_family_benefit"] == both["large_family_benefit_base"])
    assert flat_or_exception.all() and (both["large_family_benefit"] == 50_000).sum() > 0.9 * both.height
    bad = tmp_path / "bad.yaml"
    bad.write_text("start: 2026-01-01\nparameters: {tsa.nope: 1}\n")
    with pytest.raises(ReformError, match="parameters.tsa.nope: unknown parameter"):
        Reform.load(bad).check(standard())


def test_database_gives_the_same_results_as_the_extract(run, extract, registry_url):
    from komek.registry.ingest import ingest

    ingest(extract, registry_url, contract(), report_dir=extract.parent / "reports")
    from_db = simulate(source(database=registry_url), ON)
    assert from_db.households.sort("household_id").equals(run.households.sort("household_id"))
    assert from_db.persons.sort("iin").equals(run.persons.sort("iin"))


def test_clean_extract_registers_conditional_tsa_families(tmp_path):
    """Conditional TSA is paid under a social contract: every able-bodied member of a family paid
    conditional TSA is registered with the employment centre before the month paid."""
    from komek.kz.batch import region_results
    from komek.services.extracts import generate_extract

    generate_extract(tmp_path, 1500, 8, dt.date(2026, 11, 1), 2)
    paid = pl.read_parquet(tmp_path / "payments.parquet").filter(pl.col("measure") == "tsa")
    seekers = pl.read_parquet(tmp_path / "jobseekers.parquet")
    on = last_day("2026-10")
    hh, people, _ = region_results(registry_inputs.prepare(registry_inputs.tables_of(source(tmp_path)), on),
                                   also=("tsa_unconditional", "able_bodied"))
    conditional = hh.filter(~pl.col("tsa_unconditional")).join(
        paid.filter(pl.col("month") == "2026-10").select("household_id"), on="household_id", how="semi")
    able = people.filter(pl.col("able_bodied")).join(conditional, on="household_id", how="semi")
    assert able.height > 0
    registered = seekers.filter(pl.col("registered") < dt.date(2026, 10, 1))
    assert able.join(registered, on="iin", how="anti").is_empty()
