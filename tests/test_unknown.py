"""Missing is unknown, never zero: a table the source lacks, pension savings no table holds, a date
past the data or past the parameters' last known values are said so in every output, and nothing
is computed from nothing."""
from __future__ import annotations

import datetime as dt
import json
import shutil

import polars as pl
import pytest

from komek.audit.run import not_run
from komek.kz import registry_inputs
from komek.kz.standard import benefits, standard
from komek.scoring import index
from komek.services.audit import run_audit
from komek.services.calc import calculate
from komek.services.card import card
from komek.services.extracts import consequences, ingest_extract, validate_folder
from komek.services.score import score_households
from komek.services.simulate import simulate
from komek.services.sources import source
from komek.settings import settings

ON = dt.date(2026, 10, 31)


def without(extract, tmp_path, *tables: str):
    """A copy of the extract with some tables left out."""
    folder = tmp_path / ("without-" + "-".join(tables))
    shutil.copytree(extract, folder)
    for t in tables:
        (folder / f"{t}.parquet").unlink()
    return folder


def test_every_input_of_the_standard_has_a_stated_origin():
    rules = standard()
    inputs = {v.name for v in rules.variables.values() if v.is_input}
    stated = set(registry_inputs.FROM) | set(registry_inputs.ASSUMED) | set(registry_inputs.UNKNOWN)
    assert inputs == stated
    assert set(registry_inputs.FROM.values()) <= set(registry_inputs.TABLES)


def test_pension_savings_are_not_known_so_those_pensions_are_not_computed(registry):
    run = simulate(registry, ON)
    assert set(run.not_computed) == {"uapf_pension", "uapf_lump_sum"}
    assert all("pension savings" in why for why in run.not_computed.values())
    rows = run.summary.filter(pl.col("measure").is_in(["uapf_pension", "uapf_lump_sum"]))
    assert rows.height > 0 and rows["recipients"].is_null().all() and rows["spending"].is_null().all()
    assert run.households["uapf_pension"].is_null().all() and run.persons["uapf_lump_sum"].is_null().all()
    assert run.households["base_pension"].null_count() == 0 and run.households["base_pension"].cast(float).sum() > 0
    # What rests on an assumption says which.
    assert any("no member is counted as a student" in a for a in run.assumptions["large_family_benefit"])


def test_without_incomes_the_means_tested_are_not_computed(extract, tmp_path):
    folder = without(extract, tmp_path, "incomes")
    checked = validate_folder(folder)
    assert checked.extract.absent == ["incomes"]
    cannot = checked.cannot_compute["incomes"]
    assert {"measure tsa", "measure housing_assistance", "score indicator income_below_minimum",
            "audit check concealed_income"} <= set(cannot)
    registry = source(folder)
    run = simulate(registry, ON)
    for m in ("tsa", "tsa_child_supplement", "housing_assistance", "opv", "childcare_benefit"):
        assert "the incomes table is not in the source" in run.not_computed[m]
        assert run.households[m].is_null().all()
    national = run.summary.filter(pl.col("measure") == "tsa")
    assert national["spending"].is_null().all()           # not 0 tenge, not 310 million
    assert "disability_benefit" not in run.not_computed    # what needs no income is still computed
    simulate(registry, ON, out=tmp_path / "sim")
    listed = pl.read_parquet(tmp_path / "sim" / "measures.parquet").filter(pl.col("measure") == "tsa").row(0, named=True)
    assert not listed["computed"] and "incomes" in listed["not_computed_because"]
    levels = score_households(registry, ON)
    assert levels["level"].is_null().all() and levels["score"].is_null().all() and levels["income_per_capita"].is_null().all()
    shares = index.distribution(levels, by=None).row(0, named=True)
    assert shares[index.NOT_KNOWN] == levels.height and shares["C"] == shares["D"] == shares["E"] == 0
    hid = levels["household_id"][0]
    c = card(registry, hid, ON)
    assert c["level"] is None and "tsa" in c["not_computed"]
    assert {i["indicator"] for i in c["not_computed_indicators"]} >= {"income_below_minimum", "no_earner"}


def test_without_jobseekers_participation_is_not_checked(extract, tmp_path):
    folder = without(extract, tmp_path, "jobseekers")
    result = run_audit(source(folder), tmp_path / "audit", anomalies=False)
    assert "conditional_without_participation" in result.not_run
    listed = pl.read_parquet(tmp_path / "audit" / "checks.parquet").filter(pl.col("check") == "conditional_without_participation")
    assert listed["status"].to_list() == ["not run"] and listed["findings"].to_list() == [None]
    assert "jobseekers" in result.not_run["conditional_without_participation"]
    assert result.findings.filter(pl.col("check") == "conditional_without_participation").is_empty()
    assert not result.findings.filter(pl.col("check") == "paid_after_death").is_empty()    # the rest runs
    assert not_run(["medical_exams"]).keys() == {"disability_no_exam", "disability_exam_expired", "disability_group_mismatch"}


def test_ingest_lists_what_an_absent_table_prevents(extract, tmp_path, registry_url):
    folder = without(extract, tmp_path, "border_crossings")
    report, saved, cannot = ingest_extract(folder, settings(data_dir=tmp_path / "data", database_url=registry_url))
    assert report.absent == ["border_crossings"] and cannot == {"border_crossings": ["audit check abroad_beyond_allowed"]}
    assert json.loads(saved.read_text())["absent"] == ["border_crossings"]
    assert consequences(["housing"])["housing"][:1] == ["measure housing_assistance"]
    # The database knows what it was given: the absent table stays absent, and says so.
    registry = source(database=registry_url)
    assert not registry.has("border_crossings") and registry.has("incomes")
    assert "abroad_beyond_allowed" in run_audit(registry, tmp_path / "audit", anomalies=False).not_run


def test_a_date_past_the_data_is_warned_of(registry):
    assert registry.as_of == dt.date(2026, 11, 1)
    late = simulate(registry, dt.date(2026, 11, 30))
    assert any("not in the data" in w and "2026-11-01" in w for w in late.warnings)
    assert not any("not in the data" in w for w in simulate(registry, ON).warnings)


SITUATION = {"date": "2027-03-31", "region_code": "75", "household": {"members": [
    {"id": "mother", "role": "head", "birth_date": "1990-04-02", "sex": "F", "incomes": {"wage": 60000}},
    {"id": "child", "role": "child", "birth_date": "2020-06-01", "sex": "M"}]}}


def test_parameters_past_their_last_known_value_are_warned_of():
    result = calculate(SITUATION, with_explanation=True)
    assert any(w.startswith("mci: no value is known for 2027") for w in result["warnings"])
    params = [p for node in result["explanation"]["variables"].values() for p in node.get("parameters", [])]
    assert any(p["name"] == "mci" and "no value is known" in p.get("warning", "") for p in params)
    assert "WARNING: mci: no value is known" in result["explanation_text"]
    current = calculate(dict(SITUATION, date="2026-10-31"))
    assert current["warnings"] == []


@pytest.mark.parametrize("measure", ["uapf_pension", "uapf_lump_sum"])
def test_coverage_names_the_missing_source(measure):
    cover = registry_inputs.coverage(registry_inputs.TABLES)
    assert measure in cover.not_computed and set(cover.not_computed) <= set(benefits())


def test_population_from_the_database_counts_ages_as_the_rules_do(extract, tmp_path, registry_url):
    """The demo's population report reads the database: every living person once, in the age band
    of the rules' age (full years)."""
    from komek.kz.standard import ages
    from komek.registry import engine
    from komek.services import population
    ingest_extract(extract, settings(data_dir=tmp_path / "data", database_url=registry_url))
    on = dt.date(2026, 11, 1)
    bands = population.age_sex(engine(registry_url), on)
    persons = pl.read_parquet(extract / "persons.parquet").filter(pl.col("death_date").is_null())
    assert int(bands["M"].sum() + bands["F"].sum()) == persons.height
    expected = pl.Series(ages(persons["birth_date"].to_numpy(), on)).clip(0, 85) // 5 * 5
    assert dict(zip(bands["band"], bands["M"] + bands["F"])) == dict(expected.value_counts().iter_rows())
