"""The demo end to end on a small synthetic country: every audit check finds the irregularities
planted for it, the sections count the same households and people, and an empty chart says so."""
import polars as pl
import pytest

from komek.audit import config
from komek.report import charts
from komek.report.demo import MONTH_END, run_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return run_demo(out, 1500, 3, f"sqlite:///{(out / 'demo.sqlite').as_posix()}")


def test_every_audit_check_has_findings(demo):
    found = demo.audit.findings.group_by("check").len()
    counts = dict(found.iter_rows())
    assert all(counts.get(check, 0) > 0 for check in config()["checks"]), counts
    html = demo.report.read_text("utf-8")
    assert "Planted for the demonstration" in html and "no data to chart" not in html


def test_the_sections_count_the_same_population(demo):
    run, people, levels, effect = demo.simulation, demo.people, demo.levels, demo.impact
    households, persons = run.counts["households"], run.counts["persons"]
    assert people["household_id"].n_unique() == households and people.height == persons
    assert levels.height == households and levels["size"].sum() == persons
    assert effect.deciles["households"].sum() == households and effect.deciles["people"].sum() == persons
    national = effect.poverty.filter(pl.col("region_code") == "all").row(0, named=True)
    assert (national["households"], national["people"]) == (households, persons)
    assert effect.levels["households"].sum() == households
    assert demo.facts[f"Households living on {MONTH_END}"] == f"{households:,}"
    assert demo.facts["Their members"] == f"{persons:,}"
    html = demo.report.read_text("utf-8")
    assert f"{households:,} households living on {MONTH_END} ({persons:,} members)" in html
    assert f"computed for {households:,} households ({persons:,} people)" in html
    assert f"{households:,} households scored" in html
    # Recipients are named by what they count.
    assert "recipient households" in html and "recipient persons" in html and "persons paid" in html


def test_a_chart_with_no_data_says_so():
    assert "no data to chart" in charts.bars([], {"tenge": []}, title="Amount at risk by check")
    assert "<svg" not in charts.bars([], {"tenge": []}, title="Amount at risk by check")
    assert "<svg" in charts.bars(["a"], {"tenge": [0.0]}, title="zero is data")


def test_the_month_of_applications_is_monitored(demo):
    """The simulated month's monitoring counts what is in the database: every application filed,
    every first decision of the month."""
    from sqlalchemy import func, select

    from komek.registry.db import session
    from komek.registry.models import Application, Transition
    out = demo.services
    with session(demo.database) as s:
        filed = s.scalar(select(func.count()).select_from(Application))
        decided = s.scalar(select(func.count(func.distinct(Transition.application_id)))
                           .where(Transition.to_state.in_(["approved", "rejected"])))
    assert out["month"] == f"{MONTH_END:%Y-%m}" and out["complete"]
    assert out["national"]["applications"] == filed >= 300          # 300 filed, and one for each offer accepted
    assert out["national"]["offers"] > 0 and out["national"]["offers_accepted"] > 0
    assert out["national"]["decisions"] == decided > 0
    assert out["national"]["by_rules"] > 0 and out["national"]["open_at_end"] > 0
    assert f"Public services, {MONTH_END:%Y-%m}" in demo.report.read_text("utf-8")


def test_one_account_per_role_signs_in(demo):
    from komek import access
    assert set(demo.accounts) == set(access.ROLES)
    for role, (username, password) in demo.accounts.items():
        actor = access.authenticate(demo.database, username, password)
        assert actor.role == role and len(password) >= 12
    citizen = access.authenticate(demo.database, *demo.accounts["citizen"])
    caseworker = access.authenticate(demo.database, *demo.accounts["caseworker"])
    assert citizen.iin and caseworker.regions
    from komek.services.statistics import statistics  # the analyst's pages have the demo's month
    analyst = access.authenticate(demo.database, *demo.accounts["analyst"])
    seen = statistics(demo.database, "2026-10", analyst)
    assert seen["support"] and seen["levels"] and not seen.get("not_known"), seen.get("not_known")
