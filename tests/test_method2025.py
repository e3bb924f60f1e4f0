"""The 2025 vulnerability and sustainability method: categories of hand-built households worked
out by hand, criteria not known making a category provisional (never a zero), the method
selectable in `komek score`, and the two methods compared on the shared extract."""
import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from typer.testing import CliRunner

from komek.cli import app
from komek.kz import registry_inputs
from komek.scoring import index, method2025
from komek.services.score import cross_table, household_category, not_computed, score_households, top_levels, write_categories
from komek.services.simulate import simulate
from komek.services.sources import source
from test_scoring import frames, household, person

ON = dt.date(2026, 10, 31)
LINE = 48300.0      # the TSA poverty line of region 75 on ON, as the rules give it
runner = CliRunner()


def asset(aid, iin, kind, value, acquired="2020-01-01", disposed=None):
    return {"asset_id": aid, "iin": iin, "kind": kind, "value": Decimal(value),
            "acquired": dt.date.fromisoformat(acquired), "disposed": disposed and dt.date.fromisoformat(disposed)}


PEOPLE = [person("W1", "1", "head", "1990-01-01", "M", wage=250000),
          person("W2", "2", "head", "1994-05-01"), person("W2", "3", "child", "2018-01-01"),
          person("W2", "4", "child", "2020-01-01"),
          person("W3", "5", "head", "1986-03-01", "M", wage=150000), person("W3", "6", "spouse", "1988-03-01"),
          person("W3", "7", "child", "2016-01-01"),
          person("W4", "8", "head", "1986-03-01", "M", wage=150000), person("W4", "9", "spouse", "1988-03-01"),
          person("W4", "10", "child", "2016-01-01", disability="child")]
HOMES = [household("W1", 45, "own"), household("W2", 30, "private_rent", rent=60000),
         household("W3", 54, "own"), household("W4", 54, "own")]
ASSETS = pl.DataFrame([asset("A1", "1", "vehicle", "20000000.00"), asset("A2", "1", "real_estate", "40000000.00"),
                       asset("A3", "5", "vehicle", "3000000.00", disposed="2025-06-01")])


def by_id(frame):
    return {r["household_id"]: r for r in frame.iter_rows(named=True)}


@pytest.fixture(scope="module")
def hand_built():
    return by_id(method2025.score(*frames(PEOPLE, HOMES), ON, assets=ASSETS))


def test_categories_of_hand_built_households(hand_built):
    w1, w2, w3, w4 = (hand_built[h] for h in ("W1", "W2", "W3", "W4"))
    # W1: 250,000 a month alone, 5.18 lines: base 6; 45 m2 alone is spacious (+1), a car (+1) worth
    # more than 15 million (+1); one real-estate item is the home. 6 + 3, kept at 6. Education and
    # loans (-1 each) could give 7 at worst, still 6; he earns, so hidden income does not apply.
    assert w1["income_ratio"] == pytest.approx(250000 / LINE)
    assert (w1["base_category"], w1["category"], w1["provisional"]) == (6, 6, False)
    assert set(w1["held"]) == {"spacious_home", "vehicle", "costly_vehicle"}
    assert set(w1["not_known"]) == {"education", "loans"}
    # W2: a mother without income and two children, renting 30 m2 (10 m2 a member): base 1,
    # no own home -1, two dependants for one working-age member -1: 1 - 2, kept at 1. She is
    # able-bodied without work income, so hidden income (+1) is not known: at best 1 - 2 + 1, still 1.
    assert (w2["base_category"], w2["category"], w2["provisional"]) == (1, 1, False)
    assert set(w2["held"]) == {"no_own_home", "high_dependency"}
    assert set(w2["not_known"]) == {"education", "loans", "hidden_income"}
    # W3: 150,000 for three, 50,000 a member, 1.035 lines: base 3, no criterion holds (the car was
    # sold in 2025). Education and loans could give 1, hidden income of the wife 4: provisional.
    assert (w3["base_category"], w3["category"], w3["held"]) == (3, 3, [])
    assert (w3["provisional"], w3["category_low"], w3["category_high"]) == (True, 1, 4)
    # W4: the same with a disabled child: -1 disability, -1 severe: 1, at best 2.
    assert (w4["category"], w4["category_low"], w4["category_high"]) == (1, 1, 2)
    assert set(w4["held"]) == {"disability_member", "severe_disability"}


def test_criteria_not_known_make_a_category_provisional_never_zero():
    people, homes = frames(PEOPLE, HOMES)
    # Without the assets table W1's car is not known (not taken as absent): 6 + spacious = 6, but
    # with education and loans against it at worst 5.
    w1 = by_id(method2025.score(people, homes, ON, registry_inputs.TABLES, assets=None))["W1"]
    assert (w1["category"], w1["category_low"], w1["category_high"], w1["provisional"]) == (6, 5, 6, True)
    assert {"vehicle", "costly_vehicle", "other_real_estate", "costly_land"} <= set(w1["not_known"])
    assert w1["held"] == ["spacious_home"]
    # Without incomes there is no base and no category, never category 1 for an income of zero.
    no_incomes = [t for t in registry_inputs.TABLES if t != "incomes"]
    rows = method2025.score(people, homes, ON, no_incomes, assets=ASSETS)
    assert rows["category"].null_count() == rows.height and rows["provisional"].all()
    assert rows["per_capita_income"].null_count() == rows.height
    assert method2025.unknown(no_incomes)["income"] == "the incomes table is not in the source"


def test_method_file_is_complete():
    m = method2025.load_method()
    assert [c for c, _ in m.categories] == [1, 2, 3, 4, 5, 6]
    assert m.label(1) == "extreme need" and m.label(6) == "high welfare"
    assert all(c.why.strip() and c.label and c.step for c in m.criteria)
    assert {c.name for c in m.criteria if not c.known} == {"education", "loans", "hidden_income"}


@pytest.fixture(scope="module")
def both(extract):
    registry = source(extract)
    return score_households(registry, ON), score_households(registry, ON, method="2025")


def test_the_categories_of_the_extract(both, extract):
    levels, cats = both
    assert cats.height == levels.height == cats["household_id"].n_unique()
    assert set(cats["category"]) <= set(method2025.CATEGORIES)
    assert (cats["category_low"] <= cats["category"]).all() and (cats["category"] <= cats["category_high"]).all()
    assert (cats["provisional"] == (cats["category_low"] != cats["category_high"])).all()
    # Loans are in no table, so a household at 2-5 (not held at an end) could be lower: provisional.
    assert cats.filter(pl.col("category").is_between(2, 5))["provisional"].all()
    # The households holding a vehicle on ON, counted from the assets table directly.
    members = registry_inputs.build(registry_inputs.tables_of(source(extract)), ON)[0].select("iin", "household_id")
    cars = (source(extract).scan("assets").collect()
            .filter((pl.col("kind") == "vehicle") & (pl.col("acquired") <= ON)
                    & (pl.col("disposed").is_null() | (pl.col("disposed") > ON))))
    owners = set(members.filter(pl.col("iin").is_in(cars["iin"].implode()))["household_id"])
    assert set(cats.filter(pl.col("held").list.contains("vehicle"))["household_id"]) == owners


def test_cross_table_sums_to_the_households_scored(both):
    levels, cats = both
    t = cross_table(levels, cats)
    assert t["households"].sum() == levels.height
    assert t["level"].to_list() == [*index.LEVELS, index.NOT_KNOWN]
    for lv in index.LEVELS:     # each row is the households at that level
        assert t.filter(pl.col("level") == lv)["households"].item() == levels.filter(pl.col("level") == lv).height
    for c in method2025.CATEGORIES:
        assert t[str(c)].sum() == cats.filter(pl.col("category") == c).height


def test_top_levels_of_each_measure(both, extract):
    levels, cats = both
    run = simulate(source(extract), ON)
    top = by_id(top_levels(run, levels, cats).rename({"measure": "household_id"}))
    paid = run.households.filter(pl.col("housing_assistance") > 0).select("household_id")
    ab = paid.join(levels.filter(pl.col("level").is_in(["A", "B"])), on="household_id").height
    high = paid.join(cats.filter(pl.col("category") >= 5), on="household_id").height
    row = top["housing_assistance"]
    assert (row["recipients"], row["at_AB"], row["at_56"]) == (paid.height, ab, high)
    assert row["share_56"] == pytest.approx(high / paid.height)


def test_score_command_with_the_2025_method(extract, tmp_path):
    result = runner.invoke(app, ["score", str(extract), "--method", "2025", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "high welfare" in result.output and "provisional" in result.output
    written = pl.read_parquet(tmp_path / "categories.parquet")
    assert written.height > 0 and set(written["category"]) <= set(method2025.CATEGORIES)
    criteria = pl.read_parquet(tmp_path / "criteria.parquet")
    assert criteria.filter(pl.col("criterion") == "loans")["computed"].to_list() == [False]
    bad = runner.invoke(app, ["score", str(extract), "--method", "2030", "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "method" in bad.output


def test_household_category_for_the_card(both, extract):
    _, cats = both
    hid = cats.filter(pl.col("provisional")).sort("household_id")["household_id"][0]
    c = household_category(cats, hid, not_computed(source(extract), "2025"))
    row = cats.filter(pl.col("household_id") == hid).row(0, named=True)
    assert (c["category"], c["provisional"], c["category_low"]) == (row["category"], True, row["category_low"])
    loans = next(x for x in c["criteria"] if x["criterion"] == "loans")
    assert loans["holds"] is None and loans["not_known_because"] == "no table of the registry holds it"


def test_write_categories(both, tmp_path):
    _, cats = both
    write_categories(cats, tmp_path)
    assert pl.read_parquet(tmp_path / "categories.parquet").height == cats.height


def test_the_card_with_the_2025_method(both, extract, tmp_path):
    from komek.report.card import write_card
    from komek.services.card import card
    levels, cats = both
    row = cats.filter(pl.col("held").list.contains("vehicle")).sort("household_id").row(0, named=True)
    c = card(source(extract), row["household_id"], ON, method="2025")
    assert (c["category"]["category"], c["category"]["category_low"]) == (row["category"], row["category_low"])
    assert c["level"] == levels.filter(pl.col("household_id") == row["household_id"])["level"].item()
    assert next(x for x in c["category"]["criteria"] if x["criterion"] == "vehicle")["holds"] is True
    page = write_card(c, tmp_path / "card.html").read_text("utf-8")
    assert "2025 method: category" in page and "Every criterion of the 2025 method" in page
    assert card(source(extract), row["household_id"], ON)["category"] is None
    result = runner.invoke(app, ["card", row["household_id"], str(extract), "--method", "2025"])
    assert result.exit_code == 0 and "2025 method: category" in result.output


def test_the_report_section_shows_both_methods(both, extract):
    from komek.report.scoring import method2025_section
    levels, cats = both
    run = simulate(source(extract), ON)
    section = method2025_section(cats, cross_table(levels, cats), top_levels(run, levels, cats))
    assert "Levels A-E against categories 1-6" in section.body and "at 5-6" in section.body
    assert f"{int(cats['provisional'].sum()):,} of {cats.height:,} categories are provisional" in section.body
