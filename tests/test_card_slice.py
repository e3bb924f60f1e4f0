"""One household read alone from the registry database (indexed queries, no whole table) gets
the card the batch gives it: the same members, level, score, indicators and amounts, for a
sample of households and for every household touched by a person listed in two households at
once or a head registered in two places at once."""
import datetime as dt
import random
import shutil

import polars as pl
import pytest

from komek.kz.standard import benefits
from komek.services.card import card
from komek.services.extracts import ingest_extract
from komek.services.score import score_households
from komek.services.simulate import simulate
from komek.services.sources import source
from komek.settings import settings

ON = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def moved(extract, tmp_path_factory):
    """The shared extract with what a registry also holds: 30 people joining a second household
    in June without leaving the first (the one joined last counts), 10 leaving theirs in May for
    another, and 20 heads registered in a second region in July without the first ended."""
    folder = tmp_path_factory.mktemp("moved") / "extract"
    shutil.copytree(extract, folder)
    rng = random.Random(3)
    m = pl.read_parquet(folder / "households.parquet")
    ids = sorted(set(m["household_id"].to_list()))
    people = rng.sample(m.filter((pl.col("role") != "head") & (pl.col("from_date") < dt.date(2026, 5, 1)))["iin"].to_list(), 40)
    joined = pl.DataFrame({"household_id": [rng.choice(ids) for _ in people], "iin": people, "role": "other",
                           "from_date": [dt.date(2026, 6, 1)] * 30 + [dt.date(2026, 5, 1)] * 10, "to_date": None},
                          schema=m.schema)
    left = m["iin"].is_in(people[30:]) & m["to_date"].is_null()
    m = pl.concat([m.with_columns(to_date=pl.when(left).then(pl.lit(dt.date(2026, 5, 1))).otherwise("to_date")), joined])
    m.write_parquet(folder / "households.parquet")
    a = pl.read_parquet(folder / "addresses.parquet")
    heads = rng.sample(m.filter(pl.col("role") == "head")["iin"].to_list(), 20)
    codes = sorted(set(a["region_code"].drop_nulls().to_list()))
    second = a.filter(pl.col("iin").is_in(heads)).unique("iin", keep="first").with_columns(
        region_code=pl.Series([rng.choice(codes) for _ in range(len(heads))]), registered_from=pl.lit(dt.date(2026, 7, 1)),
        registered_to=pl.lit(None, pl.Date))
    pl.concat([a, second.select(a.columns)]).write_parquet(folder / "addresses.parquet")
    return folder, set(m.filter(pl.col("iin").is_in(people))["household_id"].to_list()) | set(
        m.filter(pl.col("iin").is_in(heads))["household_id"].to_list())


@pytest.fixture(scope="module")
def batch(moved, tmp_path_factory):
    """The whole extract's levels and amounts, computed by the batch."""
    folder, _ = moved
    run = simulate(source(folder), ON, out=tmp_path_factory.mktemp("sim"))
    return score_households(source(folder), ON), run.households


def test_one_household_from_the_database_is_the_batch(moved, batch, registry_url, tmp_path):
    folder, touched = moved
    report, _, _ = ingest_extract(folder, settings(data_dir=tmp_path, database_url=registry_url))
    assert report.status == "succeeded" and not report.tables["households"].quarantined
    levels, amounts = batch
    hids = levels["household_id"].to_list()
    sample = sorted(set(random.Random(5).sample(hids, 120)) | touched & set(hids))
    assert len(sample) > 160          # the touched households are there
    database = source(database=registry_url)
    support = set(benefits())
    by_level = {r["household_id"]: r for r in levels.filter(pl.col("household_id").is_in(sample)).iter_rows(named=True)}
    by_amount = {r["household_id"]: r for r in amounts.filter(pl.col("household_id").is_in(sample)).iter_rows(named=True)}
    for hid in sample:
        c = card(database, hid, ON)
        level = by_level[hid]
        assert (c["level"], c["score"], len(c["members"])) == (level["level"], level["score"], level["size"]), hid
        assert sorted(d["indicator"] for d in c["deprived"]) == sorted(level["deprived"]), hid
        expected = {m: float(v) for m, v in by_amount[hid].items() if m in support and v is not None and float(v) > 0}
        got: dict[str, float] = {}
        for e in c["entitlements"]:
            got[e["measure"]] = got.get(e["measure"], 0.0) + e["amount"]
        assert got == pytest.approx(expected), hid
    # A household of the registry not living on the date is said so, not computed from nothing.
    gone = sorted(set(pl.read_parquet(folder / "households.parquet")["household_id"].to_list()) - set(hids))
    if gone:
        with pytest.raises(Exception, match="not living"):
            card(database, gone[0], ON)


def test_many_households_are_read_in_chunks_as_in_one_query(moved, registry_url, tmp_path, monkeypatch):
    """Many households at once (more ids than a statement takes parameters) come in chunks: the same rows."""
    from komek.registry import source as registry_source
    folder, _ = moved
    ingest_extract(folder, settings(data_dir=tmp_path, database_url=registry_url))
    database = source(database=registry_url)
    hids = pl.read_parquet(folder / "households.parquet")["household_id"].unique().sort().to_list()[:300]
    whole = database.households(hids, ["households", "incomes", "housing"])
    monkeypatch.setattr(registry_source, "CHUNK", 7)
    chunked = database.households(hids, ["households", "incomes", "housing"])
    for table in ("households", "incomes", "housing"):
        a, b = whole.frames[table], chunked.frames[table]
        assert a.height > 0 and a.sort(a.columns).equals(b.sort(b.columns)), table
