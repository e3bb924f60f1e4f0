"""The synthetic generator: contract conformance, reproducibility and calibration."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from komek.contract.validate import validate_extract
from komek.kz import contract, regions
from komek.kz.iin import birth_date_expr, sex_expr, valid_expr
from komek.synth import TABLES, generate

HOUSEHOLDS = 50_000
LINE = 60_878
REFERENCE_QUARTER = ["2026-07", "2026-08", "2026-09"]   # last full quarter before 2026-11-01


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("synth")


@pytest.fixture(scope="module")
def extract(folder) -> dict[str, pl.DataFrame]:
    out = folder
    seen = []
    summary = generate(out, HOUSEHOLDS, seed=11, progress=lambda label, done, total: seen.append((done, total)))
    assert seen[-1] == (20, 20)
    assert summary.households == HOUSEHOLDS
    frames = {t: pl.read_parquet(out / f"{t}.parquet") for t in TABLES}
    assert summary.rows == {t: f.height for t, f in frames.items()}
    return frames


def test_one_file_per_table_and_no_payments(tmp_path):
    generate(tmp_path, 300, seed=1)
    assert sorted(p.stem for p in tmp_path.glob("*.parquet")) == sorted(TABLES)
    assert "payments" not in TABLES
    assert json.loads((tmp_path / "manifest.json").read_text())["as_of"] == "2026-11-01"


def test_the_contract_validator_quarantines_nothing(extract, folder):
    checked = validate_extract(folder, contract())
    assert checked.quarantine.height == 0
    assert {t: r.rows_read for t, r in checked.tables.items()} == {t: f.height for t, f in extract.items()}


def test_schemas_match_the_contract(extract):
    spec_of = contract()
    for t, df in extract.items():
        assert list(df.schema.items()) == list(spec_of.tables[t].schema.items()), t
        assert df.height > 0, t


def test_keys_codes_order_and_money(extract):
    spec_of = contract()
    codes = set(regions())
    for t, df in extract.items():
        spec = spec_of.tables[t]
        assert df.select(spec.key).is_duplicated().sum() == 0, f"{t} key {spec.key}"
        for c in spec.columns.values():
            col = df[c.name]
            if c.required:
                assert col.null_count() == 0, f"{t}.{c.name}"
            if c.codes:
                assert set(col.drop_nulls().unique()) <= set(c.codes), f"{t}.{c.name}"
            if c.type == "region":
                assert set(col.unique()) <= codes, f"{t}.{c.name}"
            if c.type == "money":
                assert (col.drop_nulls() >= 0).all(), f"{t}.{c.name}"
                assert (col.drop_nulls() * 100 == (col.drop_nulls() * 100).cast(pl.Int64)).all()
            if c.type in ("iin", "bin"):
                assert df.select(valid_expr(pl.col(c.name)).all()).item(), f"{t}.{c.name}"
        for a, b in spec.order:
            bad = df.filter(pl.col(a) > pl.col(b))
            assert bad.height == 0, f"{t}: {a} > {b}"


def test_iins_unique_and_encode_birth_and_sex(extract):
    p = extract["persons"]
    assert p["iin"].n_unique() == p.height
    assert p.select((birth_date_expr(pl.col("iin")) == pl.col("birth_date")).all()).item()
    assert p.select((sex_expr(pl.col("iin")) == pl.col("sex")).all()).item()
    people = set(p["iin"])
    for t in ("households", "addresses", "incomes", "contributions", "employment", "disability", "assets"):
        assert set(extract[t]["iin"]) <= people, t
    assert extract["households"].height == p.height
    assert extract["addresses"].filter(pl.col("registered_to").is_null()).height == p.height
    loc = extract["addresses"]
    assert loc.select((pl.col("locality_code").str.slice(0, 2) == pl.col("region_code"))
                      & (pl.col("locality_code").str.len_chars() == 9)).to_series().all()


def test_reproducible(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, 1500, seed=5)
    generate(b, 1500, seed=5)
    generate(c, 1500, seed=6)
    for t in TABLES:
        assert (a / f"{t}.parquet").read_bytes() == (b / f"{t}.parquet").read_bytes(), t
    assert not pl.read_parquet(a / "persons.parquet").equals(pl.read_parquet(c / "persons.parquet"))


def test_regional_shares_follow_population(extract):
    regs = regions()
    total = sum(r["population"] for r in regs.values())
    cur = extract["addresses"].filter(pl.col("registered_to").is_null())
    share = cur.group_by("region_code").len().with_columns(pl.col("len") / cur.height)
    got = dict(share.iter_rows())
    for code, r in regs.items():
        assert abs(got[code] - r["population"] / total) < 0.006, code


def _ages(extract) -> pl.DataFrame:
    return extract["persons"].with_columns(
        age=((pl.lit(date(2026, 11, 1)) - pl.col("birth_date")).dt.total_days() / 365.2425))


def test_households_and_disability(extract):
    hh = extract["households"]
    size = hh.group_by("household_id").len()
    assert 3.1 <= size["len"].mean() <= 3.5
    minors = (hh.join(_ages(extract).select("iin", "age"), on="iin")
              .filter((pl.col("role") == "child") & (pl.col("age") < 18))
              .group_by("household_id").len())
    assert minors.filter(pl.col("len") >= 4).height > 0.01 * size.height
    assert set(hh["role"]) == {"head", "spouse", "child", "parent", "other"}
    disabled = extract["disability"]["iin"].n_unique() / extract["persons"].height
    assert 0.02 <= disabled <= 0.04
    exams = extract["medical_exams"]
    joined = extract["disability"].join(exams, on="exam_id")
    assert joined.height == extract["disability"].height
    assert (joined["exam_date"] < joined["valid_from"]).all()
    assert (joined["iin"] == joined["iin_right"]).all()


def test_pensioners_have_pensions(extract):
    p = _ages(extract).filter(pl.col("death_date").is_null()
                              & (pl.col("age") >= pl.when(pl.col("sex") == "M").then(63).otherwise(61)))
    pensions = extract["incomes"].filter((pl.col("kind") == "pension") & (pl.col("month") == "2026-10"))
    has = p["iin"].is_in(pensions["iin"].implode())
    assert p.height > 0 and has.mean() > 0.99
    assert set(extract["incomes"].filter(pl.col("kind") == "pension")["source"]) == {"SPF", "UAPF"}


def test_poverty_matches_regional_rates(extract):
    q = (extract["incomes"].filter(pl.col("month").is_in(REFERENCE_QUARTER))
         .join(extract["households"].select("household_id", "iin"), on="iin")
         .group_by("household_id").agg(pl.col("amount").sum().cast(pl.Float64).alias("income")))
    members = extract["households"].group_by("household_id").agg(pl.len().alias("size"))
    region = extract["households"].select("household_id", region=pl.col("household_id").str.slice(1, 2)).unique()
    per = (members.join(q, on="household_id", how="left").join(region, on="household_id")
           .with_columns(pc=pl.col("income").fill_null(0) / 3 / pl.col("size")))
    poor = per.with_columns(poor=(pl.col("pc") < LINE) * pl.col("size"))
    national = poor["poor"].sum() / poor["size"].sum()
    by_region = dict(poor.group_by("region").agg(pl.col("poor").sum() / pl.col("size").sum()).iter_rows())
    assert abs(national - 0.053) < 0.007
    assert by_region["61"] > national > by_region["71"]
    for code, target in {"61": 0.090, "47": 0.082, "10": 0.079, "71": 0.027}.items():
        assert abs(by_region[code] - target) < 0.015, code


def test_contributions_follow_wages(extract):
    wages = extract["incomes"].filter(pl.col("kind") == "wage").select("iin", "month", wage=pl.col("amount"))
    c = extract["contributions"].filter(pl.col("employer_bin") != pl.col("iin")).join(wages, on=["iin", "month"])
    assert c.height == extract["contributions"].filter(pl.col("employer_bin") != pl.col("iin")).height
    base = pl.min_horizontal(pl.col("wage").cast(pl.Float64), 50 * 85_000)
    assert c.select(((pl.col("opv").cast(pl.Float64) - base * 0.10).abs() <= 0.0051).all()).item()
    born = extract["persons"].select("iin", "birth_date")
    early = extract["contributions"].join(born, on="iin").filter(pl.col("birth_date") < date(1975, 1, 1))
    assert early.height > 0 and (early["opvr"] == 0).all()
    late = c.join(born, on="iin").filter(pl.col("birth_date") >= date(1990, 1, 1))
    assert (late["opvr"] > 0).mean() > 0.9
    rate = c.join(born, on="iin").filter((pl.col("opvr") > 0) & (pl.col("month") >= "2026-01")
                                         & (pl.col("wage") > 85_000) & (pl.col("wage") < 50 * 85_000))
    assert rate.select(((pl.col("opvr").cast(pl.Float64) - pl.col("wage").cast(pl.Float64) * 0.035).abs()
                        <= 0.0051).all()).item()


def test_deceased_have_no_income_after_death(extract):
    dead = extract["persons"].filter(pl.col("death_date").is_not_null()).select(
        "iin", dm=pl.col("death_date").dt.strftime("%Y-%m"))
    assert dead.height > 0
    late = extract["incomes"].join(dead, on="iin").filter(pl.col("month") > pl.col("dm"))
    assert late.height == 0


def test_most_living_adults_have_a_mobile_number(tmp_path):
    """The contacts table: living adults only, one number each, in a Kazakhstan form the outbox takes,
    about SHARE of them."""
    import datetime as _dt

    import polars as _pl

    from komek.kz import phone
    from komek.synth import generate
    from komek.synth.contacts import ADULT, SHARE, contacts
    as_of = _dt.date(2026, 11, 1)
    generate(tmp_path, 300, seed=5, as_of=as_of)
    got = contacts(tmp_path, as_of, 5)
    persons = _pl.read_parquet(tmp_path / "persons.parquet")
    adults = persons.filter(_pl.col("death_date").is_null() & (_pl.col("birth_date") <= as_of.replace(year=as_of.year - ADULT)))
    assert got["iin"].is_unique().all() and set(got["iin"]) <= set(adults["iin"])
    assert abs(got.height / adults.height - SHARE) < 0.05
    assert all(phone.normalize(p) == p for p in got["phone"].to_list())
    assert got.equals(contacts(tmp_path, as_of, 5))          # reproducible from the seed
