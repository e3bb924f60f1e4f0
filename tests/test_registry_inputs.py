"""The registry on a date, worked by hand on a few households: who lives where, with what."""
import datetime as dt
from decimal import Decimal

import numpy as np
import polars as pl
import pytest

from komek.kz import registry_inputs
from komek.kz.registry_inputs import Registry

ON = dt.date(2026, 10, 31)       # reference quarter 2026-Q3, housing quarter 2026-Q4
D = dt.date

A, B, C, DD, E, F, G = ("880501400001", "210210500002", "500101300003", "900101300004", "950101400005",
                        "960101400006", "700101300007")
STRANGER = "111111111111"        # in a household, not in the civil registry


@pytest.fixture()
def tables():
    persons = pl.DataFrame({
        "iin": [A, B, C, DD, E, F, G],
        "birth_date": [D(1988, 5, 1), D(2021, 2, 10), D(1950, 1, 1), D(1990, 1, 1), D(1995, 1, 1), D(1996, 1, 1), D(1970, 1, 1)],
        "sex": ["F", "M", "M", "M", "F", "F", "M"],
        "death_date": [None, None, D(2026, 9, 15), None, None, None, None]})
    households = pl.DataFrame({
        "household_id": ["H1", "H1", "H1", "H1", "H2", "H2", "H3", "H3", "H4"],
        "iin": [A, B, C, STRANGER, DD, E, E, F, G],
        "role": ["head", "child", "parent", "other", "head", "spouse", "other", "head", "head"],
        "from_date": [D(2015, 1, 1)] * 6 + [D(2026, 8, 1), D(2018, 1, 1), D(2010, 1, 1)],
        "to_date": [None] * 8 + [D(2026, 5, 1)]})
    addresses = pl.DataFrame({
        "iin": [A, DD, DD, F, G],
        "region_code": ["75", "75", "79", "71", "19"],
        # D moved to 79 and the old registration was never closed: the later one counts.
        "registered_from": [D(2015, 1, 1), D(2020, 1, 1), D(2026, 6, 1), D(2018, 1, 1), D(2010, 1, 1)],
        "registered_to": [None] * 5})
    money = pl.Decimal(14, 2)
    incomes = pl.DataFrame({
        "iin": [A, A, A, A, DD, STRANGER],
        "month": ["2026-06", "2026-07", "2026-08", "2026-09", "2026-08", "2026-08"],
        "kind": ["wage", "wage", "wage", "wage", "pension", "wage"],
        "amount": [Decimal("999999.00"), Decimal("100000.01"), Decimal("100000.02"), Decimal("100000.03"),
                   Decimal("90000.00"), Decimal("5000.00")]}).with_columns(pl.col("amount").cast(money))
    disability = pl.DataFrame({
        "iin": [B, DD], "group": ["child", "3"], "cause": ["childhood", "general"],
        "valid_from": [D(2025, 1, 1), D(2024, 1, 1)], "valid_to": [D(2027, 1, 1), D(2026, 1, 1)]})
    housing = pl.DataFrame({
        "household_id": ["H1", "H2"], "quarter": ["2026-Q4", "2026-Q2"], "area_m2": [60.0, 45.0],
        "tenure": ["own", "private_rent"], "only_home": [True, False],
        **{c: [Decimal("30000.00"), Decimal("1.50")] for c in ("utilities", "maintenance", "communication", "rent")},
    }).with_columns(pl.col(c).cast(money) for c in ("utilities", "maintenance", "communication", "rent"))
    return {name: frame.lazy() for name, frame in locals().items() if isinstance(frame, pl.DataFrame)}


def test_who_lives_where_on_the_date(tables):
    persons, households = registry_inputs.build(tables, ON)
    # H4's head left in May: not living. Households in region order: H3 (71), H1 (75), H2 (79).
    assert households.select("household_id", "region_code").rows() == [("H3", "71"), ("H1", "75"), ("H2", "79")]
    # The dead parent and the stranger are left out; E joined H3 last and counts there only;
    # members are grouped by household, then in IIN order.
    assert persons.select("household_id", "iin").rows() == [("H3", E), ("H3", F), ("H1", B), ("H1", A), ("H2", DD)]


def test_each_persons_inputs(tables):
    persons, _ = registry_inputs.build(tables, ON)
    row = {r["iin"]: r for r in persons.iter_rows(named=True)}
    # Incomes: the quarter before the date only, averaged over its three months, to the tiyn.
    assert row[A]["income_wage"] == pytest.approx(100000.02, abs=1e-9)
    assert row[DD]["income_pension"] == pytest.approx(30000.0, abs=1e-9)
    assert row[B]["income_wage"] == 0.0
    # Disability in force on the date; the expired group 3 no longer counts.
    assert (row[B]["disability_group"], row[B]["disability_cause"]) == ("child", "childhood")
    assert (row[DD]["disability_group"], row[DD]["disability_cause"]) == ("", "")
    # The head mother of one child in the household; not a mother in another role.
    assert (row[A]["children_born"], row[E]["children_born"], row[F]["children_born"]) == (1, 0, 0)
    assert (row[A]["participation_years"], row[B]["participation_years"]) == (2026 - 1988 - 22, 0)
    assert (row[E]["role"], row[A]["sex"], row[A]["birth_date"]) == ("other", "F", D(1988, 5, 1))


def test_housing_is_the_latest_record_up_to_the_quarter(tables):
    _, households = registry_inputs.build(tables, ON)
    h = {r["household_id"]: r for r in households.iter_rows(named=True)}
    assert (h["H1"]["area_m2"], h["H1"]["tenure"], h["H1"]["only_home"], h["H1"]["utilities"]) == (60.0, "own", True, 30000.0)
    assert (h["H2"]["area_m2"], h["H2"]["tenure"], h["H2"]["rent"]) == (45.0, "private_rent", 1.5)      # from Q2
    assert (h["H3"]["area_m2"], h["H3"]["tenure"], h["H3"]["only_home"], h["H3"]["rent"]) == (0.0, "other", False, 0.0)
    # Before H1's record of Q4 existed, it had none.
    _, earlier = registry_inputs.build(tables, D(2026, 9, 30))
    assert earlier.filter(pl.col("household_id") == "H1")["tenure"].item() == "other"


def test_cuts_of_the_registry_agree(tables):
    """A region alone, some households alone, the engine's arrays and the light region query
    all agree with the whole registry."""
    registry = Registry(tables)
    whole = registry.prepare(ON)
    persons, households = whole.frames()
    alone = registry.prepare(ON, regions=["75"]).frames()
    assert alone[0].equals(persons.filter(pl.col("household_id") == "H1"))
    for code, part in whole.by_region():
        assert part.frames()[1]["region_code"].unique().to_list() == [code]
    # E is in H2 and H3 at once: restricted to H2 the choice is still H3's, so H2 is D alone.
    h2 = registry.prepare(ON, households=pl.Series([int(registry.household_positions(pl.Series(["H2"]))[0])]))
    assert h2.frames()[0]["iin"].to_list() == [DD]
    # The same from a registry that keeps only H2's people (as the audit does for the households paid).
    kept = Registry(tables, households=pl.Series(["H2"]), dates=[ON])
    only = kept.prepare(ON, households=pl.Series([int(kept.household_positions(pl.Series(["H2"]))[0])])).frames()[0]
    assert only["iin"].to_list() == [DD] and only["income_pension"].to_list() == pytest.approx([30000.0])
    p, h, group_of = whole.engine()
    assert p["role"].tolist() == persons["role"].to_list() and h["tenure"].tolist() == households["tenure"].to_list()
    assert np.array_equal(group_of, [0, 0, 1, 1, 2])
    light = registry_inputs.households_on(tables, ON).collect().sort("household_id")
    assert light.rows() == households.select("household_id", "region_code").sort("household_id").rows()


def test_an_empty_registry_gives_empty_inputs(tables):
    empty = {name: frame.clear() for name, frame in tables.items()}
    persons, households = registry_inputs.build(empty, ON)
    assert persons.height == 0 and households.height == 0
    assert persons.columns == registry_inputs.PERSON_COLUMNS


@pytest.mark.parametrize("n", [0, 1, 7, 200])
def test_small_columns_convert_as_the_batch_does(n, monkeypatch):
    """A household's few rows go through Python lists; the answers are the batch path's, nulls,
    repeats and non-ASCII text included."""
    rng = np.random.default_rng(n)
    text = pl.Series([None if r < 0.2 else ["head", "spouse", "Ә", "a", "ё", ""][int(r * 10) % 6] for r in rng.random(n)], dtype=pl.String)
    days = pl.Series([None if r < 0.3 else D(1950, 1, 1) + dt.timedelta(days=int(r * 40000)) for r in rng.random(n)], dtype=pl.Date)
    keys = pl.Series([None if r < 0.1 else int(r * 1e11) for r in rng.random(n)], dtype=pl.UInt64)
    ref = pl.Series([f"H{i}" for i in rng.permutation(n)] + ["other"])
    ids = pl.Series([None, "other"] + [f"H{int(r * n * 1.5)}" for r in rng.random(n)], dtype=pl.String)
    small = (registry_inputs._encode(text), registry_inputs.day_numbers(days, -7), registry_inputs._integers(keys),
             registry_inputs._lookup(ids, ref))
    monkeypatch.setattr(registry_inputs, "SMALL", -1)
    batch = (registry_inputs._encode(text), registry_inputs.day_numbers(days, -7), registry_inputs._integers(keys),
             registry_inputs._lookup(ids, ref))
    (sc, sv), (bc, bv) = small[0], batch[0]
    assert sv.tolist() == bv.tolist() and sc.tolist() == bc.tolist()
    for s, b in zip(small[1:], batch[1:]):
        assert s.tolist() == b.tolist()
    assert small[3].tolist()[:2] == [-1, n]       # a missing id is not found; "other" is the last


def test_the_locality_is_the_heads_latest_registration(tables):
    """D's two registrations are both open: the later one (Shymkent) gives H2 its locality; a
    source without locality codes gives none, and the region's values then apply."""
    _, h, _ = registry_inputs.prepare(tables, ON).engine()
    assert h["locality_code"].tolist() == ["", "", ""]
    tables = {**tables, "addresses": tables["addresses"].with_columns(
        locality_code=pl.Series(["750000001", "750000002", "791010000", None, "191010000"]))}
    prepared = registry_inputs.prepare(tables, ON)
    _, h, _ = prepared.engine()
    assert list(zip(prepared.household_ids.to_list(), h["region_code"].tolist(), h["locality_code"].tolist())) == [
        ("H3", "71", ""), ("H1", "75", "750000001"), ("H2", "79", "791010000")]
    assert [p.locality_codes for _, p in prepared.by_region()] == [[""], ["750000001"], ["791010000"]]
