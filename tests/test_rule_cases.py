"""Hand-worked cases from the law (tests/cases/*.yaml): a situation and the amounts it must give."""
from pathlib import Path

import pytest
import yaml

from komek.services.calc import calculate

CASES = [(f"{path.stem}: {case['name']}", case)
         for path in sorted((Path(__file__).parent / "cases").glob("*.yaml"))
         for case in yaml.safe_load(path.read_text("utf-8"))]


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[i for i, _ in CASES])
def test_case(case):
    result = calculate(case["situation"])
    expect = case["expect"]
    for measure, amount in expect.get("household", {}).items():
        assert result["household"][measure] == pytest.approx(amount, abs=0.005), f"household {measure}: {case['why']}"
    for member, amounts in expect.get("members", {}).items():
        for measure, amount in amounts.items():
            assert result["members"][member][measure] == pytest.approx(amount, abs=0.005), f"{member} {measure}: {case['why']}"
