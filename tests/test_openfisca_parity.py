"""The OpenFisca mirror of four measures (benchmarks/openfisca_kz) gives Komek's amounts to the tenge.

Needs openfisca-core, a benchmark-only dependency: skipped where it is not installed.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("openfisca_core")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import openfisca_kz  # noqa: E402
from komek.engine import Simulation  # noqa: E402
from komek.kz import registry_inputs  # noqa: E402
from komek.kz.standard import standard  # noqa: E402
from komek.services.sources import source  # noqa: E402
from openfisca_kz import parameters as of_parameters  # noqa: E402

MEASURES = openfisca_kz.MEASURES


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    from komek.synth import generate
    out = tmp_path_factory.mktemp("extract")
    generate(out, 2000, seed=3)
    return out


@pytest.fixture(scope="module")
def tbs(tmp_path_factory):
    return openfisca_kz.system(of_parameters.write(tmp_path_factory.mktemp("openfisca_parameters")))


def both(tbs, extract, on: dt.date, social_contract=None) -> tuple[dict, dict]:
    p, h, group_of = registry_inputs.prepare(registry_inputs.tables_of(source(extract)), on).engine()
    if social_contract is not None:
        h["social_contract"] = social_contract(len(h["region_code"]))
    ours = Simulation(standard(), on, p, h, group_of)
    theirs = openfisca_kz.simulation(tbs, p, h, group_of, f"{on:%Y-%m}")
    return ({m: ours.calculate(m) for m in MEASURES},
            {m: np.asarray(theirs.calculate(m, f"{on:%Y-%m}")) for m in MEASURES})


@pytest.mark.parametrize("on", [dt.date(2026, 10, 31), dt.date(2024, 12, 31)],
                         ids=["median-and-minimum", "minimum-only"])
def test_same_amounts(tbs, extract, on):
    ours, theirs = both(tbs, extract, on)
    for m in MEASURES:
        assert ours[m].shape == theirs[m].shape
        differ = np.flatnonzero(ours[m] != theirs[m])
        assert differ.size == 0, f"{m}: {differ.size} differ, e.g. row {differ[:5]}: {ours[m][differ[:5]]} vs {theirs[m][differ[:5]]}"
    # Amounts were paid, or the comparison proves little (before mid-2025 the extract has no
    # incomes, housing or disability records: TSA alone, on the minimum-only poverty line).
    paid = MEASURES if on.year == 2026 else ("tsa",)
    assert all((ours[m] > 0).any() for m in paid)


def test_same_amounts_without_social_contract(tbs, extract):
    on = dt.date(2026, 10, 31)
    ours, theirs = both(tbs, extract, on, social_contract=lambda n: np.arange(n) % 2 == 0)
    for m in MEASURES:
        np.testing.assert_array_equal(ours[m], theirs[m], err_msg=m)
    unsigned, _ = both(tbs, extract, on)
    assert (ours["tsa"] < unsigned["tsa"]).any()   # the exception did apply somewhere
