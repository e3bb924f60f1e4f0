"""What a reform does to whom (services.impact): the distribution measures on small sets worked
out by hand, and on the shared extract the invariants of a reform that changes nothing."""
import datetime as dt
import shutil

import numpy as np
import polars as pl
import pytest

from komek import analytics
from komek.engine.reform import Reform
from komek.services.impact import impact, moves, published
from komek.services.simulate import simulate
from komek.services.sources import source

ON = dt.date(2026, 10, 31)
ONE = np.ones


def test_gini_of_small_distributions_by_hand():
    # {1, 2, 3, 4}: mean absolute difference over all ordered pairs 20/16, over twice the mean 5: 0.25.
    assert analytics.gini([1, 2, 3, 4], ONE(4), ONE(4)) == pytest.approx(0.25)
    # {1, 1, 3}: ordered-pair differences 8, 9 pairs, mean 5/3: 8 / (2 x 9 x 5/3) = 4/15; a weight of
    # two, or a household of two, is the same as two people.
    assert analytics.gini([1, 1, 3], ONE(3), ONE(3)) == pytest.approx(4 / 15)
    assert analytics.gini([1, 3], ONE(2), [2, 1]) == pytest.approx(4 / 15)
    assert analytics.gini([1, 3], [2, 1], ONE(2)) == pytest.approx(4 / 15)
    assert analytics.gini([5, 5, 5], ONE(3), ONE(3)) == pytest.approx(0)
    assert analytics.gini([0, 0], ONE(2), ONE(2)) is None
    with pytest.raises(ValueError, match="not known"):
        analytics.gini([1, np.nan], ONE(2), ONE(2))     # an unknown income is never read as zero


def test_deciles_on_a_small_weighted_set_by_hand():
    # Ten people of one weight, richest first: deciles reversed.
    assert analytics.deciles(np.arange(10, 0, -1), ONE(10), ONE(10)).tolist() == [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    # Five households of weight 2 (10 people): sorted 1, 2, 3, 4, 5 with 0, 2, 4, 6, 8 people
    # before each: deciles 1, 3, 5, 7, 9.
    assert analytics.deciles([5, 1, 3, 2, 4], ONE(5), np.full(5, 2.0)).tolist() == [9, 1, 5, 3, 7]
    # A household of 5 people (half the people) at the bottom, then 5 of one: 1, then 6..10.
    assert analytics.deciles([1, 2, 3, 4, 5, 6], [5, 1, 1, 1, 1, 1], ONE(6)).tolist() == [1, 6, 7, 8, 9, 10]


def test_poverty_headcount_and_gap_by_hand():
    # Line 100: the household of two at 50 is poor (shortfall half the line), the others are not
    # (100 is not below the line). Headcount 2/4, gap (2 x 0.5) / 4, 2 x 50 tenge a month.
    p = analytics.poverty([50, 100, 150], [2, 1, 1], ONE(3), 100)
    assert p == {"people": 4, "poor": 2, "headcount": 0.5, "gap": 0.25, "gap_tenge": 100}
    # Lines per household, and weights.
    p = analytics.poverty([50, 90], [1, 1], [3, 1], [100, 100])
    assert p["headcount"] == 1 and p["gap"] == pytest.approx((3 * 0.5 + 0.1) / 4) and p["gap_tenge"] == 160


def test_level_moves_are_counted_by_direction():
    levels = pl.DataFrame({"level_before": ["A", "B", "C", "D", "not known"], "level_after": ["A", "A", "D", "D", "B"],
                           "households": [5, 2, 1, 3, 4]})
    assert moves(levels) == {"better": 2, "worse": 1, "same": 8, "not known": 4}


@pytest.fixture(scope="module")
def base(registry):
    return simulate(registry, ON)


def test_a_reform_that_changes_nothing_changes_nothing(registry, base):
    same = Reform("the same line", dt.date(2026, 1, 1), {"tsa.poverty_line.median_share": 0.35})
    result = impact(registry, base, simulate(registry, ON, reform=same))
    d, p = result.deciles, result.poverty
    assert d["households"].sum() == base.counts["households"] and d["people"].sum() == base.counts["persons"]
    assert (d["change_total"] == 0).all() and (d["change_per_person"] == 0).all() and (d["change_share"] == 0).all()
    assert (d["gain"] == 0).all() and (d["lose"] == 0).all()
    for measure in ("poor", "headcount", "gap", "gap_tenge"):
        assert p[f"{measure}_before"].to_list() == p[f"{measure}_after"].to_list(), measure
    assert result.gini["before"] == result.gini["after"] is not None
    assert (result.levels["level_before"] == result.levels["level_after"]).all()
    assert moves(result.levels)["better"] == moves(result.levels)["worse"] == 0
    # The deciles hold a tenth of the people each, up to one household.
    assert (d["people"] - base.counts["persons"] / 10).abs().max() <= base.households["size"].max()
    nat = p.filter(pl.col("region_code") == "all").row(0, named=True)
    assert nat["people"] == p.filter(pl.col("region_code") != "all")["people"].sum() == base.counts["persons"]


def test_raising_the_tsa_line_helps_the_poorest(registry, base):
    reform = Reform("40% of the median", dt.date(2026, 1, 1), {"tsa.poverty_line.median_share": 0.40})
    result = impact(registry, base, simulate(registry, ON, reform=reform))
    d = result.deciles
    assert d.filter(pl.col("decile") == 1)["change_share"].item() > 0
    assert (d["lose"] == 0).all()
    nat = result.poverty.filter(pl.col("region_code") == "all").row(0, named=True)
    assert nat["headcount_after"] <= nat["headcount_before"] and nat["gap_after"] < nat["gap_before"]
    assert result.gini["after"] < result.gini["before"]
    assert moves(result.levels)["worse"] == 0
    # The line is the baseline's, kept fixed: the reform's own line is higher.
    assert result.poverty_line == pytest.approx(float(base.households["tsa_poverty_line"].cast(float).mean()))
    assert result.weight > 1 and "synthetic sample" in result.weight_basis       # the shared extract is synthetic
    shown = published(result)
    small = [r for r in shown["poverty"] if r["suppressed"]]
    assert small and all(r["poor_before"] is None or r["poor_after"] is None for r in small)
    assert all(r["poor_before"] is None or not 0 < r["poor_before"] < 10 for r in shown["poverty"])
    assert all(r["households"] is None or not 0 < r["households"] < 10 for r in shown["levels"])
    assert published(result, suppress=False)["poverty"] == result.poverty.to_dicts()


def test_without_incomes_nothing_is_computed(extract, tmp_path):
    folder = tmp_path / "no-incomes"
    shutil.copytree(extract, folder)
    (folder / "incomes.parquet").unlink()
    registry = source(folder)
    base = simulate(registry, ON)
    result = impact(registry, base, base)
    assert "incomes" in result.not_computed and result.deciles is None and result.gini == {}
    assert published(result)["not_computed"] == result.not_computed
