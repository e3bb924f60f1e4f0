"""`komek calc`: bad input is refused with its JSON path; explanations are complete."""
import copy
import json

import pytest
from typer.testing import CliRunner

from komek.cli import app
from komek.errors import SituationError
from komek.services.calc import calculate, situation_schema

EXAMPLE = {
    "date": "2026-03-15", "region_code": "43",
    "parameters": {"housing_assistance.max_income_share": 0.07},
    "household": {
        "members": [
            {"id": "a", "role": "head", "birth_date": "1988-05-01", "sex": "F",
             "incomes": {"wage": 90000}, "disability_group": None, "children_born": 4},
            {"id": "b", "role": "child", "birth_date": "2021-02-10", "sex": "M"}],
        "housing": {"area_m2": 60, "tenure": "own", "only_home": True,
                    "monthly_costs": {"utilities": 30000, "maintenance": 3600, "communication": 1399}}}}


def with_change(path, value):
    data = copy.deepcopy(EXAMPLE)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize("path, value, message", [
    (("household", "members", 0, "incomes", "wage"), -1, "household.members[0].incomes.wage: Input should be greater than or equal to 0"),
    (("household", "housing", "area_m2"), -5, "household.housing.area_m2: Input should be greater than or equal to 0"),
    (("date",), "2026-02-30", "date: Input should be a valid date"),
    (("household", "members", 1, "birth_date"), "2027-01-01", "is after the date 2026-03-15"),
    (("household", "members", 0, "sex"), "X", "household.members[0].sex: Input should be 'M' or 'F'"),
    (("household", "members", 0, "pet"), "cat", "household.members[0].pet: Extra inputs are not permitted"),
    (("household", "members", 0, "children_born"), "many", "household.members[0].children_born: Input should be a valid integer"),
    (("region_code",), "99", "region_code: Value error, unknown region code '99'"),
    (("parameters",), {"tsa.nonexistent": 1}, "parameters.tsa.nonexistent: unknown parameter"),
    (("household", "members", 1, "role"), "head", "exactly one member must have the role head"),
])
def test_bad_input_names_the_path_and_computes_nothing(path, value, message):
    with pytest.raises(SituationError) as e:
        calculate(with_change(path, value))
    assert message in str(e.value)


def test_override_changes_only_this_calculation():
    # Costs within norms 21,559 (tests/cases/housing.yaml); Kyzylorda's recorded share is 7%: 21,559 - 6,300.
    five = calculate(with_change(("parameters",), {"housing_assistance.max_income_share": 0.05}))
    assert five["household"]["housing_assistance"] == 21559 - 4500
    assert calculate(with_change(("parameters",), {}))["household"]["housing_assistance"] == 15259


def test_explanation_traces_every_amount_to_sourced_parameters():
    result = calculate(EXAMPLE, with_explanation=True)
    tree = result["explanation"]["variables"]
    paid = [m for m, v in result["household"].items() if v]
    assert set(paid) <= set(result["explanation"]["explains"])
    for measure in paid:
        node = tree[measure]
        assert node.get("reference"), measure
        # Walk the measure's inputs: some formula on the way uses parameters, each with a source and date.
        seen, stack, params = set(), [measure], []
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            params += tree[name].get("parameters", [])
            stack += tree[name].get("inputs", [])
        assert params, measure
        for p in params:
            assert p["source"] and p["in_force_from"] and "confirmed" in p, (measure, p)
    assert "tsa = 2400  — Targeted social assistance" in result["explanation_text"]
    assert "ASSUMPTION" in result["explanation_text"]      # unconfirmed values say so


def test_cli_calc_and_schema(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(EXAMPLE))
    runner = CliRunner()
    out = runner.invoke(app, ["calc", str(path)])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["household"]["tsa"] == 2400
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    out = runner.invoke(app, ["calc", str(bad)])
    assert out.exit_code == 2 and "not valid JSON" in out.output and "Traceback" not in out.output
    assert set(situation_schema()["properties"]) == {"date", "region_code", "locality_code", "parameters", "household"}
