"""The social audit: each check on hand-built cases, extract cases measured against the answer
key, repeatability, bad input, and the review workflow on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal

import polars as pl
import pytest

from komek.audit import amounts, disability, need, presence
from komek.audit.plant import KINDS, anomaly_precision, answer_key_path, score
from komek.money import MONEY
from komek.registry import migrate
from komek.services.sources import source

D = dt.date


def paid(*rows: dict) -> pl.DataFrame:
    """Annotated payments as the checks receive them; each row overrides a clean default."""
    base = dict(payment_id="P1", iin="900101300001", household_id="H1", measure="tsa", month="2026-04",
                amount_paid=Decimal("1000.00"), region_code="75", expected=1000.0, in_engine=True, member=True,
                household_region="75", size=2, poverty_line=40000.0, tsa_income=10000.0, implied_income=0.0,
                unconditional=False, able_bodied=1, participating=1)
    frame = pl.DataFrame([dict(base, **r) for r in rows]).with_columns(pl.col("amount_paid").cast(MONEY))
    return amounts.mark_duplicates(frame)


def ids(findings: pl.DataFrame) -> list[str]:
    return sorted(findings["payment_id"].to_list())


def test_paid_after_death_flags_months_after_the_death_month():
    p = paid(dict(payment_id="Pmar", month="2026-03"), dict(payment_id="Papr", month="2026-04"))
    persons = pl.DataFrame({"iin": ["900101300001"], "death_date": [D(2026, 3, 10)]})
    f = presence.paid_after_death(p, persons)
    assert ids(f) == ["Papr"]
    assert json.loads(f["evidence"][0]) == {"death_date": "2026-03-10"}
    assert f["amount_at_risk"][0] == Decimal("1000.00") and f["severity"][0] == "high"


def test_abroad_beyond_allowed_needs_a_whole_month_abroad_past_the_allowed_days():
    p = paid(dict(payment_id="Pfeb", month="2026-02"), dict(payment_id="Papr", month="2026-04"),
             dict(payment_id="Pmay", month="2026-05"), dict(payment_id="Ppen", month="2026-04", measure="base_pension"))
    crossings = pl.DataFrame({"iin": ["900101300001"] * 2, "date": [D(2026, 1, 1), D(2026, 5, 10)], "direction": ["exit", "entry"]})
    f = presence.abroad_beyond_allowed(p, crossings)
    assert ids(f) == ["Papr"]      # February: 59 days; May: back on the 10th; pensions are not residence-bound
    ev = json.loads(f["evidence"][0])
    assert ev["exit"] == "2026-01-01" and ev["entry"] == "2026-05-10" and ev["days_abroad"] == 120
    assert ev["allowed_days"] == 90 and ev["months_paid_abroad"] == 2 and f["severity"][0] == "high"


def test_a_disability_benefit_abroad_240_days_is_one_finding_of_its_measure_severity():
    # Abroad 1 Jan - 28 Aug (240 days), a disability benefit paid every month of 2026 to August.
    months = [f"2026-{m:02d}" for m in range(1, 9)]
    p = paid(*(dict(payment_id=f"P{m}", month=m, measure="disability_benefit") for m in months))
    crossings = pl.DataFrame({"iin": ["900101300001"] * 2, "date": [D(2026, 1, 1), D(2026, 8, 29)], "direction": ["exit", "entry"]})
    f = presence.abroad_beyond_allowed(p, crossings)
    # Wholly abroad January to July; by 30 June 181 days (allowed 183), by 31 July 212.
    assert ids(f) == ["P2026-07"] and f["severity"][0] == "medium"
    ev = json.loads(f["evidence"][0])
    assert ev["days_abroad"] == 212 and ev["allowed_days"] == 183 and ev["months_paid_abroad"] == 7
    assert ev["stays_in_window"] == ["2026-01-01..2026-08-29"]


def test_absences_add_up_over_the_window_and_short_trips_do_not_count():
    # Two stays of 100 days with a week at home between them: a TSA month in the second stay is
    # past 90 days in the window though the stay itself is not; a 20-day trip flags nothing.
    p = paid(dict(payment_id="Ptsa", month="2026-06"), dict(payment_id="Ptrip", iin="900101300002", month="2026-03"))
    crossings = pl.DataFrame({"iin": ["900101300001"] * 4 + ["900101300002"] * 2,
                              "date": [D(2026, 1, 1), D(2026, 4, 11), D(2026, 4, 18), D(2026, 7, 27), D(2026, 2, 25), D(2026, 3, 17)],
                              "direction": ["exit", "entry", "exit", "entry", "exit", "entry"]})
    f = presence.abroad_beyond_allowed(p, crossings)
    assert ids(f) == ["Ptsa"]
    assert json.loads(f["evidence"][0])["days_abroad"] == 100 + 74      # 1 Jan - 10 Apr, 18 Apr - 30 Jun


def test_a_measure_not_conditioned_on_residence_is_not_flagged_abroad():
    p = paid(*(dict(payment_id=f"P{m}", measure=m, month="2026-12") for m in ("base_pension", "uapf_pension", "birth_benefit")))
    crossings = pl.DataFrame({"iin": ["900101300001"], "date": [D(2026, 1, 1)], "direction": ["exit"]})
    assert presence.abroad_beyond_allowed(p, crossings).is_empty()


def test_every_benefit_says_whether_residence_conditions_it_and_why():
    from komek.audit import residence
    from komek.kz.standard import benefits
    rules = residence()["measures"]
    assert set(rules) == set(benefits())
    for measure, r in rules.items():
        assert r["basis"] and r["why"] and isinstance(r["confirmed"], bool), measure
        if r["conditioned"]:
            assert r["severity"] in ("high", "medium", "low") and r["allowed_days_abroad"] > 0, measure


def test_account_dormant_needs_three_reported_months_without_expenditure():
    p = paid(*(dict(payment_id=f"P{m}", month=f"2026-{m:02d}", measure="base_pension") for m in range(1, 9)),
             dict(payment_id="Pdis", month="2026-05", measure="disability_benefit"))
    # January 4 expenditures, February to May none, June 2; July and August not reported.
    activity = pl.DataFrame({"iin": ["900101300001"] * 6, "account": ["KZ01"] * 6,
                             "month": [f"2026-{m:02d}" for m in range(1, 7)], "expenditures": [4, 0, 0, 0, 0, 2]})
    f = presence.account_dormant(p, activity)
    assert ids(f) == ["P5", "P6"] and set(f["severity"]) == {"medium"}      # pensions only (art. 204)
    assert json.loads(f["evidence"][0]) == {"accounts": ["KZ01"], "months_without_expenditure": ["2026-02", "2026-03", "2026-04"]}


def test_without_account_activity_the_dormant_check_is_not_run(extract, tmp_path):
    from komek.services.audit import run_audit
    folder = tmp_path / "extract"
    shutil.copytree(extract, folder)
    (folder / "account_activity.parquet").unlink()
    result = run_audit(source(folder), tmp_path / "audit", anomalies=False)
    assert result.not_run == {"account_dormant": "the account_activity table is not in the source"}
    assert "account_dormant" not in set(result.findings["check"])


def test_concealed_income_counts_the_wage_pension_contributions_imply():
    p = paid(dict(payment_id="Phidden", implied_income=200_000.0), dict(payment_id="Pclean", iin="900101300002"))
    f = need.concealed_income(p)
    assert ids(f) == ["Phidden"]
    ev = json.loads(f["evidence"][0])
    assert ev["per_capita_recorded"] == 5000.0 and ev["per_capita_with_contributions"] == 105000.0


def test_duplicates_keep_the_payment_that_fits_the_registry():
    p = paid(dict(payment_id="Pa", region_code="71", in_engine=False, member=False),   # paid by another region
             dict(payment_id="Pb"))
    f = amounts.duplicate_payment(p)
    assert ids(f) == ["Pa"]
    assert json.loads(f["evidence"][0])["original_payment"] == "Pb"
    assert amounts.amount_differs(p).is_empty()     # the duplicate is not also a wrong amount


def test_amount_differs_reports_the_difference_as_at_risk():
    p = paid(dict(payment_id="Pover", amount_paid=Decimal("1200.00")), dict(payment_id="Pround", iin="900101300002",
                                                                             amount_paid=Decimal("1000.40")),
             dict(payment_id="Pdead", iin="900101300003", amount_paid=Decimal("5.00"), in_engine=False))
    f = amounts.amount_differs(p)
    assert ids(f) == ["Pover"] and f["amount_at_risk"][0] == Decimal("200.00")
    assert json.loads(f["evidence"][0])["direction"] == "overpaid"


def test_wrong_region_uses_every_registration_in_the_month():
    p = paid(dict(payment_id="Pwrong", region_code="71"), dict(payment_id="Pmoved", iin="900101300002", region_code="71"),
             dict(payment_id="Pnone", iin="900101300003"))
    addresses = pl.DataFrame({"iin": ["900101300001", "900101300002", "900101300002"], "region_code": ["75", "71", "75"],
                              "registered_from": [D(2000, 1, 1), D(2000, 1, 1), D(2026, 4, 20)],
                              "registered_to": [None, D(2026, 4, 20), None]})
    f = presence.wrong_region(p, addresses)
    assert ids(f) == ["Pnone", "Pwrong"]


def test_disability_checks_read_the_exam_the_assignment_cites():
    iins = ["900101300001", "900101300002", "900101300003", "900101300004"]
    p = paid(*[dict(payment_id=f"P{i}", iin=iin, measure="disability_benefit") for i, iin in enumerate(iins)])
    dis = pl.DataFrame({"iin": iins, "group": ["2", "2", "2", "2"], "cause": ["general"] * 4,
                        "valid_from": [D(2026, 1, 1)] * 4, "valid_to": [D(2027, 1, 1)] * 4, "exam_id": ["E0", "E1", "E2", "E3"]})
    exams = pl.DataFrame({"exam_id": ["E0", "E2", "E3"], "iin": [iins[0], iins[2], iins[3]],
                          "exam_date": [D(2025, 12, 20), D(2024, 6, 1), D(2025, 12, 20)], "outcome": ["group_2", "group_2", "group_3"]})
    records = disability.in_force(p, dis, exams, *household_records())
    assert ids(disability.disability_no_exam(records)) == ["P1"]
    assert ids(disability.disability_exam_expired(records)) == ["P2"]
    mismatch = disability.disability_group_mismatch(records)
    assert ids(mismatch) == ["P3"] and json.loads(mismatch["evidence"][0])["outcome"] == "group_3"


def household_records(*members: tuple) -> tuple[pl.DataFrame, pl.DataFrame]:
    """households and persons tables from (household_id, iin, role, birth_date[, to_date]) rows."""
    rows = [dict(household_id=m[0], iin=m[1], role=m[2], from_date=D(2000, 1, 1), to_date=m[4] if len(m) > 4 else None)
            for m in members]
    households = pl.DataFrame(rows, schema={"household_id": pl.String, "iin": pl.String, "role": pl.String,
                                            "from_date": pl.Date, "to_date": pl.Date})
    persons = pl.DataFrame([dict(iin=m[1], birth_date=m[3], death_date=None) for m in members],
                           schema={"iin": pl.String, "birth_date": pl.Date, "death_date": pl.Date})
    return households, persons


def test_carer_benefits_rest_on_the_member_cared_for():
    carer = dict(measure="disabled_child_carer_benefit", amount_paid=Decimal("163742.00"))
    p = paid(dict(payment_id="Ptwo", iin="800101300001", household_id="H1", **carer),     # two disabled children
             dict(payment_id="Pg1", iin="800101300002", household_id="H2", measure="carer_benefit"),
             dict(payment_id="Pold", iin="800101300003", household_id="H3", **carer),
             dict(payment_id="Pclean", iin="800101300004", household_id="H4", **carer),
             dict(payment_id="Pgrown", iin="800101300005", household_id="H5", **carer),
             dict(payment_id="Pleft", iin="800101300006", household_id="H6", **carer))
    households, persons = household_records(
        ("H1", "800101300001", "head", D(1980, 1, 1)), ("H1", "150101500001", "child", D(2015, 1, 1)),
        ("H1", "160101500002", "child", D(2016, 1, 1)),
        ("H2", "800101300002", "head", D(1980, 1, 1)), ("H2", "500101300003", "parent", D(1950, 1, 1)),
        ("H2", "700101300004", "spouse", D(1970, 1, 1)),
        ("H3", "800101300003", "head", D(1980, 1, 1)), ("H3", "170101500005", "child", D(2017, 1, 1)),
        ("H4", "800101300004", "head", D(1980, 1, 1)), ("H4", "180101500006", "child", D(2018, 1, 1)),
        ("H5", "800101300005", "head", D(1980, 1, 1)), ("H5", "080301500007", "child", D(2008, 3, 1)),
        ("H6", "800101300006", "head", D(1980, 1, 1)), ("H6", "190101500008", "child", D(2019, 1, 1), D(2026, 4, 10)))
    cared = ["150101500001", "160101500002", "500101300003", "700101300004", "170101500005", "180101500006",
             "080301500007", "190101500008"]
    groups = ["child", "child", "1", "2", "child", "child", "child", "child"]
    dis = pl.DataFrame({"iin": cared, "group": groups, "cause": ["childhood"] * 8, "valid_from": [D(2026, 1, 1)] * 8,
                        "valid_to": [D(2027, 1, 1)] * 8, "exam_id": [f"E{i}" for i in range(8)]})
    # E1 (the second child of H1), E3 (a group 2 spouse no benefit rests on), E6 and E7 are missing.
    exams = pl.DataFrame({"exam_id": ["E0", "E2", "E4", "E5"], "iin": [cared[0], cared[2], cared[4], cared[5]],
                          "exam_date": [D(2025, 12, 20), D(2025, 12, 20), D(2024, 6, 1), D(2025, 12, 20)],
                          "outcome": ["child", "group_2", "child", "child"]})
    records = disability.in_force(p, dis, exams, households, persons)
    # H5's member turned 18 in March and H6's left the household: no carer benefit rests on them
    # (what the rules then give, nothing, is the amount check's to compare).
    assert set(records["payment_id"]) == {"Ptwo", "Pg1", "Pold", "Pclean"}
    no_exam = disability.disability_no_exam(records)
    assert ids(no_exam) == ["Ptwo"] and no_exam["amount_at_risk"][0] == Decimal("81871.00")   # one child of two
    ev = json.loads(no_exam["evidence"][0])
    assert ev["cared_for"] == "160101500002" and ev["members_cared_for"] == 2 and ev["members_with_this_problem"] == 1
    assert ids(disability.disability_exam_expired(records)) == ["Pold"]
    mismatch = disability.disability_group_mismatch(records)
    assert ids(mismatch) == ["Pg1"] and json.loads(mismatch["evidence"][0])["outcome"] == "group_2"
    assert mismatch["amount_at_risk"][0] == mismatch["amount_paid"][0]


def test_conditional_tsa_without_participation():
    p = paid(dict(payment_id="Pnone", participating=0), dict(payment_id="Pjob", iin="900101300002"),
             dict(payment_id="Puncond", iin="900101300003", participating=0, unconditional=True))
    assert ids(need.conditional_without_participation(p)) == ["Pnone"]


def test_assets_signal_spares_the_family_home():
    p = paid(dict(payment_id="Pcar", household_id="H1"), dict(payment_id="Phome", iin="900101300002", household_id="H2"),
             dict(payment_id="Psecond", iin="900101300003", household_id="H3"))
    members = pl.DataFrame({"iin": ["900101300001", "900101300002", "900101300003"], "household_id": ["H1", "H2", "H3"],
                            "month": ["2026-04"] * 3})
    assets = pl.DataFrame({"asset_id": ["A1", "A2", "A3", "A4"], "iin": ["900101300001", "900101300002", "900101300003", "900101300003"],
                           "kind": ["vehicle", "real_estate", "real_estate", "real_estate"],
                           "value": [20e6, 90e6, 50e6, 40e6], "acquired": [D(2020, 1, 1)] * 4, "disposed": [None] * 4}
                          ).with_columns(pl.col("value").cast(MONEY))
    f = need.assets_above_need(p, assets, members)
    assert ids(f) == ["Pcar", "Psecond"] and set(f["amount_at_risk"].to_list()) == {Decimal("0.00")}
    assert "A4 real_estate 40000000" in f.filter(pl.col("payment_id") == "Psecond")["evidence"][0]


# -- extract cases ---------------------------------------------------------------------------

def test_answer_key_lies_outside_the_extract(extract):
    key = pl.read_parquet(answer_key_path(extract))
    assert answer_key_path(extract).parent == extract.parent
    assert not any(p.name.startswith("answer") for p in extract.iterdir())
    assert set(key["check"]) == set(KINDS)


def test_carer_payments_are_planted_and_found(extract, audited):
    carers = ["disabled_child_carer_benefit", "carer_benefit"]
    key = pl.read_parquet(answer_key_path(extract)).filter(pl.col("measure").is_in(carers))
    s = score(audited.findings.filter(pl.col("measure").is_in(carers)), key)
    for check in ("disability_no_exam", "disability_exam_expired", "disability_group_mismatch"):
        planted_n, found, tp, precision, recall = s.filter(pl.col("check") == check).row(0)[1:]
        assert set(key.filter(pl.col("check") == check)["measure"]) == set(carers), check
        assert recall >= 0.98 and precision >= 0.95, (check, precision, recall)


def test_every_rule_check_meets_its_targets_on_planted_cases(extract, audited):
    key = pl.read_parquet(answer_key_path(extract))
    s = score(audited.findings, key)
    print(s)
    for check, planted_n, _found, _tp, precision, recall in s.iter_rows():
        assert planted_n > 0, check
        assert recall >= 0.98, (check, recall)
        if check != "assets_above_need":      # a risk signal: real large assets in the synthetic country count against it
            assert precision >= 0.95, (check, precision)
    n, share = anomaly_precision(audited.anomalies, key)
    assert n > 0 and share is not None


def test_long_absences_are_found_for_every_residence_bound_measure(extract, audited):
    from komek.audit import residence_bound
    key = pl.read_parquet(answer_key_path(extract)).filter(pl.col("check") == "abroad_beyond_allowed")
    found = audited.findings.filter(pl.col("check") == "abroad_beyond_allowed")
    assert {"disability_benefit", "large_family_benefit"} <= set(key["measure"])
    assert set(found["measure"]) <= set(residence_bound())
    for measure, rule in residence_bound().items():
        k, f = key.filter(pl.col("measure") == measure), found.filter(pl.col("measure") == measure)
        hit = f["payment_id"].is_in(k["payment_id"].implode()).sum()
        assert hit >= 0.98 * k.height and hit >= 0.95 * f.height, (measure, k.height, f.height, hit)
        assert set(f["severity"]) <= {rule["severity"]}, measure
    # Counted in the extract: the planted stays are the only stays abroad longer than 90 days.
    crossings = pl.read_parquet(extract / "border_crossings.parquet")
    long = presence.stays_abroad(crossings, None).filter(
        (pl.col("entry").fill_null(D(2026, 11, 1)) - pl.col("exit")).dt.total_days() > 90)
    assert set(key["iin"]) <= set(long["iin"])


def test_anomalies_are_apart_and_explained(audited):
    a = audited.anomalies
    assert a.height > 0 and set(a["lane"]) == {"anomaly"} and set(a["severity"]) == {"info"}
    ev = json.loads(a["evidence"][0])
    assert ev["anomaly_score"] > 0 and len(ev["unusual_features"]) == 3
    assert "anomaly" not in set(audited.findings["check"])


def test_report_section_shows_no_full_iin(audited):
    from komek.report.audit import audit_section
    html = audit_section(audited).body
    shown = set(audited.anomalies.head(10)["iin"])
    assert shown and not any(iin in html for iin in shown)
    assert all(f"********{iin[-4:]}" in html for iin in shown)


def test_an_audit_is_repeatable(extract, audited, tmp_path):
    from komek.services.audit import run_audit
    again = run_audit(source(extract), tmp_path / "again", anomalies=True)
    assert again.findings.equals(audited.findings)
    assert again.anomalies["finding_id"].to_list() == audited.anomalies["finding_id"].to_list()
    assert again.findings["finding_id"].n_unique() == again.findings.height


def test_planting_is_reproducible(tmp_path):
    from komek.services.extracts import generate_extract
    keys = []
    for name in ("a", "b"):
        generate_extract(tmp_path / name, 400, 5, dt.date(2026, 11, 1), 6, irregularities=0.05)
        keys.append(pl.read_parquet(answer_key_path(tmp_path / name)))
    assert keys[0].equals(keys[1])


def test_unknown_persons_and_measures_are_reported_not_crashed_on(extract, tmp_path):
    from komek.services.audit import run_audit
    folder = tmp_path / "extract"
    shutil.copytree(extract, folder)
    pay = pl.read_parquet(folder / "payments.parquet")
    odd = pay.head(2).with_columns(payment_id=pl.Series(["X1", "X2"]), iin=pl.Series(["000101500006", pay["iin"][1]]),
                                   measure=pl.Series([pay["measure"][0], "moon_allowance"]))
    pl.concat([pay, odd]).write_parquet(folder / "payments.parquet")
    result = run_audit(source(folder), tmp_path / "audit", anomalies=False)
    assert dict(zip(result.problems["payment_id"], result.problems["problem"])) == {"X1": "unknown person", "X2": "unknown measure"}
    assert not result.findings["payment_id"].is_in(["X1", "X2"]).any()
    assert pl.read_parquet(tmp_path / "audit" / "problems.parquet").height == 2


# -- review ----------------------------------------------------------------------------------

def test_review_workflow(audited, registry_url):
    from komek.audit import review
    found = audited.findings.head(6)
    assert review.save(registry_url, found) == {"new": 6, "updated": 0}
    a, b, c = found["finding_id"][:3]
    check_a = found["check"][0]
    review.confirm(registry_url, a, "1500.50", "auditor 1")
    review.dismiss(registry_url, b, "the death record was corrected", "auditor 2")
    with pytest.raises(review.ReviewError, match="reason"):
        review.dismiss(registry_url, c, " ", "auditor 2")
    with pytest.raises(review.ReviewError, match="already confirmed"):
        review.dismiss(registry_url, a, "second thoughts", "auditor 2")
    with pytest.raises(review.ReviewError, match="no finding"):
        review.confirm(registry_url, "Fnothing", 1, "auditor 1")
    assert review.save(registry_url, found) == {"new": 0, "updated": 6}     # a re-run keeps the reviews
    summary = review.review_summary(registry_url)
    assert summary["findings"].sum() == 6 and summary["confirmed"].sum() == 1 and summary["dismissed"].sum() == 1
    assert summary["recovery"].sum() == pytest.approx(1500.50)
    row = summary.filter(pl.col("check") == found["check"][1])
    assert row["dismissed_share"][0] == pytest.approx(1 / (row["confirmed"][0] + 1)) or check_a != found["check"][1]


def test_audit_command(extract, tmp_path):
    from typer.testing import CliRunner

    from komek.cli import app
    url = f"sqlite:///{(tmp_path / 'db.sqlite').as_posix()}"
    r = CliRunner().invoke(app, ["audit", str(extract), "--out", str(tmp_path / "audit"), "--database", url])
    assert r.exit_code == 2 and "run `komek migrate` first" in r.output     # nothing migrates on the side
    assert CliRunner().invoke(app, ["migrate", "--database", url]).exit_code == 0
    r = CliRunner().invoke(app, ["audit", str(extract), "--out", str(tmp_path / "audit"), "--database", url])
    assert r.exit_code == 0, r.output
    assert "findings" in r.output and (tmp_path / "audit" / "findings.parquet").exists()
    fid = pl.read_parquet(tmp_path / "audit" / "findings.parquet")["finding_id"][0]
    r = CliRunner().invoke(app, ["review", fid, "--dismiss", "explained by the family", "--database", url])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["review", fid, "--confirm", "10", "--database", url])
    assert r.exit_code == 2 and "already dismissed" in r.output


# -- the findings list -----------------------------------------------------------------------

def saved_and_reviewed(audited, url) -> pl.DataFrame:
    """All findings saved, three of them reviewed; the frame with the review states the database should hold."""
    from komek.audit import review
    frame = pl.concat([audited.findings, audited.anomalies]).sort("finding_id")
    review.save(url, frame)
    confirmed, *dismissed = frame["finding_id"][:3]
    review.confirm(url, confirmed, "100", "auditor")
    for fid in dismissed:
        review.dismiss(url, fid, "explained", "auditor")
    state = pl.when(pl.col("finding_id") == confirmed).then(pl.lit("confirmed")).when(
        pl.col("finding_id").is_in(dismissed)).then(pl.lit("dismissed")).otherwise(pl.col("review_state"))
    return frame.with_columns(review_state=state)


def in_list_order(frame: pl.DataFrame) -> list[str]:
    from komek.audit import SEVERITY_ORDER
    ranked = frame.with_columns(rank=pl.col("severity").replace_strict(SEVERITY_ORDER))
    return ranked.sort(["rank", "amount_at_risk", "finding_id"], descending=[False, True, False])["finding_id"].to_list()


def test_findings_list_filters_and_order(audited, registry_url):
    from komek.audit.listing import Filters, count_findings, list_findings
    saved = saved_and_reviewed(audited, registry_url)
    listed = list_findings(registry_url)
    assert listed["finding_id"].to_list() == in_list_order(saved)
    busiest = saved.filter(pl.col("lane") == "rule")["check"].mode().sort()[0]
    region = saved.filter(pl.col("check") == busiest)["region_code"].drop_nulls().mode().sort()[0]   # the combined filter finds some
    month = saved["month"].drop_nulls().mode().sort()[0]
    for given, expr in [(Filters(check=busiest), pl.col("check") == busiest),
                        (Filters(region=region), pl.col("region_code") == region),
                        (Filters(state="dismissed"), pl.col("review_state") == "dismissed"),
                        (Filters(severity="medium"), pl.col("severity") == "medium"),
                        (Filters(month=month, lane="rule"), (pl.col("month") == month) & (pl.col("lane") == "rule")),
                        (Filters(lane="anomaly"), pl.col("lane") == "anomaly"),
                        (Filters(check=busiest, state="open", region=region),
                         (pl.col("check") == busiest) & (pl.col("review_state") == "open") & (pl.col("region_code") == region))]:
        expected = in_list_order(saved.filter(expr))
        assert expected, given
        assert list_findings(registry_url, given)["finding_id"].to_list() == expected, given
        assert count_findings(registry_url, given) == len(expected)
    assert list_findings(registry_url, Filters(state="confirmed"))["finding_id"].to_list() == saved["finding_id"][:1].to_list()
    assert list_findings(registry_url, limit=5)["finding_id"].to_list() == in_list_order(saved)[:5]


def test_findings_list_masks_iins_unless_asked(audited, registry_url):
    from komek.audit.listing import Filters, list_findings
    saved = saved_and_reviewed(audited, registry_url)
    full = dict(zip(saved["finding_id"], saved["iin"]))
    listed = list_findings(registry_url)
    assert all(iin == "********" + full[fid][-4:] for fid, iin in zip(listed["finding_id"], listed["iin"]))
    text = listed.select(pl.concat_str(pl.all().cast(pl.String), separator="|", ignore_nulls=True)).to_series().str.join("\n")[0]
    assert not any(iin in text for iin in full.values())
    holders = list_findings(registry_url, Filters(check="assets_above_need"))["evidence"]
    assert holders.str.contains(r"holder \*{8}\d{4}").all()
    unmasked = list_findings(registry_url, full_iin=True)
    assert dict(zip(unmasked["finding_id"], unmasked["iin"])) == full


def test_findings_summary_per_check(audited, registry_url):
    from komek.audit.listing import Filters, summary
    saved = saved_and_reviewed(audited, registry_url)
    expected = (saved.group_by("check").agg(findings=pl.len(), amount_at_risk=pl.col("amount_at_risk").cast(pl.Float64).sum(),
                                            open=(pl.col("review_state") == "open").sum(),
                                            dismissed=(pl.col("review_state") == "dismissed").sum()).sort("check"))
    got = summary(registry_url)
    assert got["check"].to_list() == expected["check"].to_list()
    assert got["findings"].to_list() == expected["findings"].to_list()
    assert got["amount_at_risk"].to_list() == pytest.approx(expected["amount_at_risk"].to_list())
    assert got["open_share"].to_list() == pytest.approx((expected["open"] / expected["findings"]).to_list())
    assert got["dismissed_share"].to_list() == pytest.approx((expected["dismissed"] / expected["findings"]).to_list())
    shares = got.select(pl.sum_horizontal("open_share", "confirmed_share", "dismissed_share"))
    assert shares.to_series().to_list() == pytest.approx([1.0] * got.height)
    reviewed = got.filter(pl.col("confirmed") + pl.col("dismissed") > 0)
    assert reviewed["dismissed_of_reviewed"].to_list() == pytest.approx(
        (reviewed["dismissed"] / (reviewed["confirmed"] + reviewed["dismissed"])).to_list())
    only_open = summary(registry_url, Filters(state="open"))
    assert only_open["findings"].sum() == saved.height - 3 and set(only_open["open_share"]) == {1.0}


def test_findings_command(audited, tmp_path):
    from typer.testing import CliRunner

    from komek.cli import app
    url = f"sqlite:///{(tmp_path / 'db.sqlite').as_posix()}"
    migrate(url)
    saved = saved_and_reviewed(audited, url)
    run = lambda *args: CliRunner().invoke(app, ["findings", "--database", url, *args])  # noqa: E731
    top = in_list_order(saved)[:3]
    r = run("--limit", "3")
    assert r.exit_code == 0, r.output
    for fid in top:
        iin = saved.filter(pl.col("finding_id") == fid)["iin"][0]
        assert fid in r.output and "********" + iin[-4:] in r.output and iin not in r.output
    r = run("--json", "--check", "paid_after_death")
    listed = json.loads(r.output)
    assert [f["finding_id"] for f in listed] == in_list_order(saved.filter(pl.col("check") == "paid_after_death"))
    assert all(f["iin"].startswith("********") and "death_date" in f["evidence"] for f in listed)
    r = run("--csv", str(tmp_path / "f.csv"), "--full-iin", "--state", "open")
    assert r.exit_code == 0, r.output
    exported = pl.read_csv(tmp_path / "f.csv", infer_schema=False)
    assert exported.height == saved.height - 3 and set(exported["iin"]) <= set(saved["iin"])
    r = run("--summary", "--json")
    assert sum(row["findings"] for row in json.loads(r.output)) == saved.height
    for args, option in [(["--check", "paid_twice"], "--check"), (["--region", "99"], "--region"),
                         (["--state", "closed"], "--state"), (["--month", "2026-13"], "--month")]:
        r = run(*args)
        assert r.exit_code == 2 and r.output.startswith(f"error: {option}:") and r.output.count("\n") == 1, r.output
