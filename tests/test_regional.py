"""Regional values of the poverty line's inputs and of the housing-assistance share.

The poverty line of a quarter is max(35% x median income, 70% x the region's statistical
subsistence minimum), both of the quarter before (MLSP order No. 473 of 20 Dec 2024, as quoted;
from 1 Jul 2023 to 31 Dec 2024 the 70% alone, order No. 160). No regional quarterly minimum was
found (docs/rules.md, Regional values), so every region takes the national value and the entry
says so; the housing share has a value of its own, with its source, in five regions.
"""
import copy
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from komek.engine.simulation import Simulation
from komek.kz import regions
from komek.kz.standard import standard
from komek.services.calc import calculate

EXAMPLE = json.loads((Path(__file__).parents[1] / "docs" / "examples" / "situation.json").read_text("utf-8"))
NATIONAL = "national value used for every region"
REGIONAL = ["tsa.statistical_subsistence_minimum", "tsa.median_income", "housing_assistance.max_income_share"]


def explained(date: str, region: str, name: str) -> dict:
    data = copy.deepcopy(EXAMPLE)
    data.pop("parameters")
    data.update(date=date, region_code=region)
    return calculate(data, with_explanation=True)["explanation"]["variables"][name]


@pytest.mark.parametrize(("date", "region", "line"), [
    # Q1 2026, Mangystau: Q4 2025 median 132,000 x 35% = 46,200; minimum 60,878 x 70% = 42,614.60.
    ("2026-02-10", "47", 46200.00),
    # Q3 2025, Turkistan: Q2 2025 median 126,000 x 35% = 44,100; minimum 48,370 x 70% = 33,859.
    ("2025-08-01", "61", 44100.00),
    # Q1 2025, Astana: Q4 2024 median 120,000 x 35% = 42,000; minimum 48,370 x 70% = 33,859.
    ("2025-01-20", "71", 42000.00),
    # Q3 2024, Almaty city: order No. 160, 70% of the Q2 2024 minimum 48,370 = 33,859.
    ("2024-08-01", "75", 33859.00),
])
def test_poverty_line_from_the_quarter_before(date, region, line):
    households = {"region_code": np.array([region, "10"])}
    sim = Simulation(standard(), dt.date.fromisoformat(date), {}, households, np.array([], dtype=np.int64))
    assert sim.calculate("tsa_poverty_line").tolist() == [line, line]    # Abai alongside: one national value


@pytest.mark.parametrize(("region", "share", "amount"), [
    # Costs within the norms 21,559 (tests/cases/housing.yaml) less the share of the income 90,000.
    ("43", 0.07, 21559 - 6300),     # Kyzylorda 7%: 15,259
    ("71", 0.08, 21559 - 7200),     # Astana 8%: 14,359
    ("75", 0.10, 21559 - 9000),     # Almaty city 10%: 12,559
    ("11", 0.10, 21559 - 9000),     # Akmola: not found, the legal maximum 10%
])
def test_housing_share_of_the_region(region, share, amount):
    variable = explained("2026-03-15", region, "housing_assistance")
    (parameter,) = variable["parameters"]
    assert (parameter["value"], variable["value"]) == (share, amount)
    assert parameter["confirmed"] is False
    own = standard().parameters["housing_assistance.max_income_share"].at(dt.date(2026, 3, 15))
    assert parameter["source"] == own.source_for(region)[0]
    assert ("Kyzylorda" in parameter["source"]) == (region == "43")


def test_every_region_has_a_value_or_an_assumption_in_every_quarter():
    """Each quarter from the first value to the last: every one of the 20 regions has its own
    sourced value, or takes the default under an entry that is an assumption saying why."""
    codes = list(regions())
    assert len(codes) == 20
    ps = standard().parameters
    for name in REGIONAL:
        p = ps[name]
        first, last = p.history[0].start, p.history[-1].start
        quarters = [dt.date(y, m, 1) for y in range(first.year, last.year + 1) for m in (1, 4, 7, 10)
                    if first <= dt.date(y, m, 1) <= last]
        for q in quarters:
            entry = p.at(q)
            assert entry.regional, (name, q)
            for code in codes:
                source, confirmed = entry.source_for(code)
                assert source, (name, q, code)
                if code not in entry.value:
                    assert not entry.confirmed and ("not found" in source or NATIONAL in source), (name, q, code)
