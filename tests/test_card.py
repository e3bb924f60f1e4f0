"""The household card: its level and indicators are the index's, its amounts the simulation's,
its IINs masked everywhere, audit findings shown as information, from an extract or the registry."""
import datetime as dt
import json
import re

import polars as pl
import pytest
from typer.testing import CliRunner

from komek.cli import app
from komek.kz.standard import CONTRIBUTIONS
from komek.report.demo import sample_cards
from komek.services.card import card
from komek.services.score import score_households
from komek.services.simulate import POVERTY_LINE
from komek.services.sources import source

ON = dt.date(2026, 10, 31)
runner = CliRunner()


@pytest.fixture(scope="module")
def levels(extract):
    return score_households(source(extract), ON)


@pytest.fixture(scope="module")
def simulated(extract, tmp_path_factory):
    from komek.services.simulate import simulate
    return simulate(source(extract), ON, out=tmp_path_factory.mktemp("sim"))


def samples(levels: pl.DataFrame) -> list[str]:
    """The household with the lowest id at each level present."""
    return levels.sort("household_id").group_by("level", maintain_order=True).first()["household_id"].to_list()


def test_card_level_and_indicators_are_the_index(extract, levels):
    tables = source(extract)
    for hid in samples(levels):
        c = card(tables, hid, ON)
        row = levels.filter(pl.col("household_id") == hid).row(0, named=True)
        assert (c["level"], c["score"]) == (row["level"], row["score"])
        assert sorted(d["indicator"] for d in c["deprived"]) == sorted(row["deprived"])
        assert all(d["domain"] and d["weight"] > 0 and d["why"] for d in c["deprived"])


def test_a_level_B_card_says_why_it_is_not_lower(extract, levels, tmp_path):
    from komek.report.card import write_card
    from komek.scoring import index
    b = levels.filter((pl.col("level") == "B") & pl.col("deprived").list.contains("no_earner")).sort("household_id").row(0, named=True)
    c = card(source(extract), b["household_id"], ON)
    assert c["income"] == {"per_capita_income": pytest.approx(b["per_capita_income"]), "poverty_line": 48300,
                           "below_poverty_line": False}
    nxt = c["next_level"]
    assert (nxt["level"], nxt["label"], nxt["from_score"]) == ("C", "unsatisfactory", index.load_index().levels[1][2])
    assert nxt["short_by"] == pytest.approx(nxt["from_score"] - b["score"]) and c["floors"] == []
    assert sorted(d["indicator"] for d in nxt["counted"]) == sorted(b["deprived"])
    # Every indicator with the family's value and threshold; deprived exactly in those of the index.
    assert [i["indicator"] for i in c["indicators"]] == [i.name for i in index.load_index().indicators]
    assert sorted(i["indicator"] for i in c["indicators"] if i["deprived"]) == sorted(b["deprived"])
    assert all(i["value"] and i["threshold"] for i in c["indicators"])
    no_earner = next(i for i in c["indicators"] if i["indicator"] == "no_earner")
    assert no_earner["value"].startswith("0 earning")
    page = write_card(c, tmp_path / "b.html").read_text("utf-8")
    assert "Why not lower" in page and "not below</strong> the poverty line of 48,300" in page
    assert f"{b['per_capita_income']:,.0f} tenge a month" in page


def test_a_card_below_the_line_shows_the_floor(extract, levels):
    from komek.scoring import index
    # The family below the line with the lowest score: at least C, and C when its score alone is
    # in a better band (the income indicator usually puts such a family at C by itself).
    below = levels.filter(pl.col("below_poverty_line")).sort("score", "household_id").row(0, named=True)
    c = card(source(extract), below["household_id"], ON)
    assert c["level"] in ("C", "D", "E") and c["income"]["below_poverty_line"] is True
    assert c["level"] == "C" or below["score"] >= index.load_index().levels[1][2]
    assert [f["level"] for f in c["floors"]] == ["C"]


def test_card_amounts_are_the_simulations(extract, levels, simulated):
    tables = source(extract)
    households = simulated.households
    disabled = simulated.persons.filter(pl.col("disability_benefit") > 0)["household_id"].sort()[:2].to_list()
    for hid in samples(levels) + disabled:
        c = card(tables, hid, ON)
        row = households.filter(pl.col("household_id") == hid).row(0, named=True)
        expected = {m: float(v) for m, v in row.items()
                    if m not in ("household_id", "region_code", "size", POVERTY_LINE, *CONTRIBUTIONS) and v is not None and float(v) > 0}
        got: dict[str, float] = {}
        for e in c["entitlements"]:
            got[e["measure"]] = got.get(e["measure"], 0.0) + e["amount"]
            assert e["reference"], e
        assert got == pytest.approx(expected), hid
        assert c["total_support"] == pytest.approx(sum(expected.values()))
    child = card(tables, disabled[0], ON)
    benefit = next(e for e in child["entitlements"] if e["measure"] == "disability_benefit")
    assert "art. 177" in benefit["reference"] and benefit["member"].startswith("********")
    # Its sentence names the member by the masked IIN and shows the amount the card shows.
    assert benefit["summary"].startswith(f"Member {benefit['member']} has a disability (")
    assert f"so the disability benefit is {benefit['amount']:,.0f} tenge a month ({benefit['reference']})" in benefit["summary"]
    assert {(s["measure"], s["member"]) for s in child["summary"] if s["amount"]} == \
        {(e["measure"], e["member"]) for e in child["entitlements"]}
    said = card(tables, disabled[0], ON, lang="ru")
    mine = next(s for s in said["summary"] if s["measure"] == "disability_benefit" and s["amount"])
    assert f"поэтому пособие по инвалидности составляет {benefit['amount']:,.0f}".replace(",", "\xa0") in mine["text"]


def test_card_page_masks_every_iin(extract, levels, tmp_path):
    hid = levels.filter(pl.col("level") == levels["level"].max()).sort("household_id")["household_id"][0]
    members = pl.read_parquet(extract / "households.parquet").filter(pl.col("household_id") == hid)["iin"].to_list()
    out = tmp_path / "card.html"
    r = runner.invoke(app, ["card", hid, str(extract), "--out", str(out)])
    assert r.exit_code == 0, r.output
    page = out.read_text("utf-8")
    assert re.search(r'<html lang="\w+"', page) and "<h1>" in page and page.count("<caption>") >= 3
    for iin in members:
        assert iin not in page
    c = card(source(extract), hid, ON)
    assert all(f"<td>{m['iin']}</td>" in page for m in c["members"]) and c["members"]
    assert f"level {c['level']}" in page and "<script" not in page and 'src="http' not in page
    shown = runner.invoke(app, ["card", hid, str(extract), "--json"])
    assert json.loads(shown.output)["household_id"] == hid and not any(iin in shown.output for iin in members)


def test_unknown_household_is_one_line(extract):
    r = runner.invoke(app, ["card", "H999999999", str(extract)])
    assert r.exit_code == 2 and r.output.startswith("error: household 'H999999999'") and r.output.count("\n") == 1
    r = runner.invoke(app, ["card", "H999999999", str(extract), "--month", "2026-13"])
    assert r.exit_code == 2 and "--month" in r.output


def test_card_from_the_registry_shows_open_findings(extract, levels, registry_url, tmp_path):
    from komek.audit import review
    from komek.services.audit import run_audit
    from komek.services.extracts import ingest_extract
    from komek.settings import settings
    ingest_extract(extract, settings(data_dir=tmp_path, database_url=registry_url))
    audited = run_audit(source(extract), tmp_path / "audit", save_to=registry_url, anomalies=False)
    living = levels["household_id"].implode()
    flagged = audited.findings.filter(pl.col("household_id").is_in(living)).sort("finding_id")
    hid = flagged["household_id"][0]
    expected = flagged.filter(pl.col("household_id") == hid)["finding_id"].to_list()
    r = runner.invoke(app, ["card", hid, "--database", registry_url, "--json"])
    assert r.exit_code == 0, r.output
    from_registry = json.loads(r.output)
    assert sorted(f["finding_id"] for f in from_registry["findings"]) == sorted(expected)
    assert all(f["member"].startswith("********") for f in from_registry["findings"])
    from_extract = card(source(extract), hid, ON)
    assert {k: v for k, v in from_registry.items() if k != "findings"} == {k: v for k, v in from_extract.items() if k != "findings"}
    page = tmp_path / "card.html"
    assert runner.invoke(app, ["card", hid, "--database", registry_url, "--out", str(page)]).exit_code == 0
    assert "never a sanction" in page.read_text("utf-8") and expected[0] in page.read_text("utf-8")
    review.dismiss(registry_url, expected[0], "explained", "auditor")     # a reviewed finding is no longer shown
    shown = [f["finding_id"] for f in card(source(extract), hid, ON, registry_url)["findings"]]
    assert sorted(shown) == expected[1:]


def test_sample_cards_are_linked_from_the_scoring_section(extract, levels, tmp_path):
    from komek.report.scoring import levels_section
    cards = sample_cards(extract, levels, ON, tmp_path / "cards")
    assert sorted(cards) == sorted(levels["level"].unique().to_list())
    assert all(p.exists() for p in cards.values())
    body = levels_section(levels, {lv: f"cards/{p.name}" for lv, p in cards.items()}).body
    assert all(f'href="cards/{p.name}"' in body for p in cards.values())
