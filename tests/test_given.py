"""Given values: a situation gives a computed variable's value (a per-capita income proved by
documents, a poverty line for a what-if); the rules use it, the rest computes from it, the
explanation says it was given and by whom, and a name the rules do not know is refused with
its JSON path.

The working, from the parameter files, for 15 March 2026 (the quarter before is Q4 2025):
the poverty line is max(35% x median income 132,000 = 46,200; 70% x statistical subsistence
minimum of Q4 2025 58,872 = 41,210.40) = 46,200 tenge; TSA = (line - per-capita income) x members.
"""
import copy
import datetime as dt

import pytest
from fastapi.testclient import TestClient

from komek.api import create_app
from komek.errors import SituationError
from komek.kz.standard import standard
from komek.services.calc import calculate
from komek.settings import Settings

BY = "income certificate No. 17 of the akimat of Kyzylorda, 2 Mar 2026"
FAMILY = {
    "date": "2026-03-15", "region_code": "43",
    "household": {"members": [
        {"id": "a", "role": "head", "birth_date": "1988-05-01", "sex": "F", "incomes": {"wage": 300000}},
        {"id": "b", "role": "spouse", "birth_date": "1990-01-20", "sex": "M"},
        {"id": "c", "role": "child", "birth_date": "2015-06-01", "sex": "M"}]}}


def given(**changes):
    data = copy.deepcopy(FAMILY)
    for where, value in changes.items():
        if where == "household":
            data["household"]["given"] = value
        else:
            data["household"]["members"][int(where[1:])]["given"] = value
    return data


def test_the_parameters_of_the_working():
    p = standard().parameters
    q4 = dt.date(2025, 10, 1)
    assert p["tsa.median_income"].at(q4).value == {"default": 132000}       # no regional values loaded yet
    assert p["tsa.statistical_subsistence_minimum"].at(q4).value == {"default": 58872, "47": 69519, "75": 62069}
    assert p["tsa.poverty_line.median_share"].at(dt.date(2026, 3, 15)).value == 0.35
    assert p["tsa.poverty_line.subsistence_share"].at(dt.date(2026, 3, 15)).value == 0.70


def test_without_given_values_the_family_is_above_the_line():
    # 300,000 / 3 members = 100,000 a head, above 46,200.
    assert calculate(FAMILY)["household"]["tsa"] == 0


def test_a_given_per_capita_income_decides_tsa():
    result = calculate(given(household={"per_capita_income": {"value": 30000, "given_by": BY}}), with_explanation=True)
    assert result["household"]["tsa"] == (46200 - 30000) * 3 == 48600
    node = result["explanation"]["variables"]["per_capita_income"]
    assert node["kind"] == "given" and node["value"] == 30000 and node["given"] == [{"member": None, "by": BY}]
    assert "inputs" not in node                       # its formula did not run: no income tree under it
    assert f"! GIVEN, not computed: {BY}" in result["explanation_text"]
    tsa = next(s for s in result["explanation"]["summary"] if s["measure"] == "tsa")
    assert tsa["text"].endswith(f"Per-capita income: a value given, not computed ({BY}).")


def test_a_given_poverty_line_for_a_what_if():
    # 90,000 / 2 = 45,000 a head; against a line of 50,000: (50,000 - 45,000) x 2 = 10,000.
    data = {"date": "2026-03-15", "region_code": "43", "household": {
        "members": [{"id": "a", "role": "head", "birth_date": "1988-05-01", "sex": "F", "incomes": {"wage": 90000}},
                    {"id": "b", "role": "child", "birth_date": "2010-02-10", "sex": "M"}],
        "given": {"tsa_poverty_line": {"value": 50000, "given_by": "what-if: a line of 50,000"}}}}
    result = calculate(data)
    assert result["household"]["tsa"] == 10000
    # The line's own parameters are not used, so their assumptions are not reported.
    assert "tsa.median_income" not in result["assumptions"]
    assert "tsa.statistical_subsistence_minimum" not in result["assumptions"]
    assert "tsa.median_income" in calculate({**data, "household": {**data["household"], "given": {}}})["assumptions"]


def test_a_member_given_value_and_the_others_computed():
    # The head's counted income proved to be 12,000; the spouse and the child have none:
    # (12,000 + 0 + 0) / 3 = 4,000 a head; TSA = (46,200 - 4,000) x 3 = 126,600.
    result = calculate(given(m0={"tsa_income": {"value": 12000, "given_by": BY}}), with_explanation=True)
    assert result["household"]["tsa"] == 126600
    node = result["explanation"]["variables"]["tsa_income"]
    assert node["kind"] == "formula" and node["given"] == [{"member": "a", "by": BY}]
    assert node["value"] == {"a": 12000, "b": 0, "c": 0}
    # Other measures still count the wage: the employer's and the employee's contributions on 300,000.
    assert result["members"]["a"]["opv"] == 30000


def test_a_given_value_without_a_source_says_so():
    result = calculate(given(household={"per_capita_income": {"value": 30000}}), with_explanation=True)
    assert result["explanation"]["variables"]["per_capita_income"]["given"][0]["by"] == \
        "given in the situation, no source stated"


@pytest.mark.parametrize("changes, path, message", [
    ({"household": {"poverty_treshold": {"value": 1}}}, "household.given.poverty_treshold", "unknown variable"),
    ({"m1": {"per_capita_incme": {"value": 1}}}, "household.members[1].given.per_capita_incme", "unknown variable"),
    ({"household": {"area_m2": {"value": 40}}}, "household.given.area_m2", "an input"),
    ({"household": {"tsa_income": {"value": 40}}}, "household.given.tsa_income", "a person's variable"),
    ({"m0": {"tsa": {"value": 40}}}, "household.members[0].given.tsa", "a household's variable"),
    ({"household": {"per_capita_income": {"value": -5}}}, "household.given.per_capita_income.value", "not negative"),
    ({"household": {"per_capita_income": {"value": 1.005}}}, "household.given.per_capita_income.value", "2 decimals"),
    ({"household": {"tsa_eligible": {"value": 1}}}, "household.given.tsa_eligible.value", "true or false"),
    ({"household": {"household_size": {"value": 2.5}}}, "household.given.household_size.value", "whole number"),
])
def test_a_wrong_given_value_names_its_path(changes, path, message):
    with pytest.raises(SituationError) as e:
        calculate(given(**changes))
    assert [p["path"] for p in e.value.problems] == [path]
    assert message in e.value.problems[0]["message"]


def test_the_api_refuses_an_unknown_given_name_with_its_path():
    api = TestClient(create_app(Settings(database_url="sqlite:///:memory:")))
    r = api.post("/api/v1/trace", json=given(household={"poverty_treshold": {"value": 1, "given_by": "x"}}))
    assert r.status_code == 422
    assert r.json()["detail"] == [{"path": "household.given.poverty_treshold",
                                   "message": "unknown variable (GET /api/v1/variables lists them)"}]
    r = api.post("/api/v1/trace", json=given(household={"per_capita_income": {"value": 30000, "given_by": BY}}))
    assert r.status_code == 200 and r.json()["household"]["tsa"] == 48600
    assert r.json()["explanation"]["variables"]["per_capita_income"]["given"] == [{"member": None, "by": BY}]
