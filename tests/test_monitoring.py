"""Monitoring of public services: working days to a decision, on time or late, open and overdue at
the month's end, the medians and the alerts, against cases counted here by hand on the 2026
calendar; small cells suppressed; the analyst's route, refused to others and logged. On SQLite and
on PostgreSQL.

March 2026 in Kazakhstan: 9 March (for 8 March, a Sunday) and 23-25 March (Nauryz, 21-23 March,
two of its days on a weekend) are days off. Housing assistance is due in 6 working days, TSA in 15.
- A: housing assistance submitted Tue 3 Mar, approved Wed 11 Mar: working days 4, 5, 6, 10, 11 =
  5; due the 6th, Thu 12 Mar: on time.
- B: submitted Fri 13 Mar, refused Fri 27 Mar: working days 16-20 and 26, 27 = 7; due Thu 26 Mar
  (16, 17, 18, 19, 20, 26): late.
- C: submitted Mon 2 Mar, in review Tue 3, information asked Wed 4, given Tue 10 (the stop: 4, 5,
  6, 10 = 4 working days), approved Mon 16: working days 3-16 are 3, 4, 5, 6, 10, 11, 12, 13, 16
  = 9, less 4 = 5; due: 3, then 11, 12, 13, 16, 17 = Tue 17 Mar: on time.
- D: submitted Fri 20 Mar, open: due 26, 27, 30, 31, 1 Apr, 2 Apr = Thu 2 Apr: open, not overdue.
- E: TSA submitted Mon 2 Mar, open: due the 15th working day after, 3, 4, 5, 6, 10, 11, 12, 13,
  16, 17, 18, 19, 20, 26, 27 = Fri 27 Mar: open and overdue on 31 Mar.
- F: housing assistance submitted 5 Mar, withdrawn 6 Mar.
- G: submitted Fri 27 Feb, approved Tue 3 Mar by the rules: a decision of March (day 2: 2, 3), on time.
- H: submitted and approved in February: not in March at all.
Each case is filed ten times (ten applicants), so no cell is suppressed, except region 10's three.
"""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from komek import access
from komek.api import create_app
from komek.cases import monitoring as course_of
from komek.errors import FieldError, Forbidden
from komek.registry import db
from komek.registry.db import session
from komek.registry.models import AccessEntry, Appeal, Application, Offer, Transition
from komek.services import monitoring
from komek.settings import Settings

KZ = dt.timezone(dt.timedelta(hours=5))
HA, TSA = "housing_assistance", "tsa"
ids = itertools.count(100000000000)
NOW = dt.datetime(2026, 4, 20, 9, tzinfo=dt.UTC)


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=KZ)


def case(s, measure: str, region: str, submitted: dt.datetime, *moves: tuple[str, dt.datetime, str]) -> tuple:
    """An application and its history; a move is (to state, when, role). The application and its last move."""
    a = Application(applicant_iin=str(next(ids)), household_id=f"H{next(ids)}", measure=measure, month="2026-03",
                    region_code=region, state=moves[-1][0] if moves else "submitted", submitted=submitted,
                    due_date=dt.date(2026, 12, 31), stopped_days=0, filed_by="c", filed_by_role="citizen")
    s.add(a)
    s.flush()
    s.add(Transition(application_id=a.id, from_state=None, to_state="submitted", actor="c", role="citizen",
                     at=submitted, reason="filed"))
    was, last = "submitted", None
    for to, when, role in moves:
        s.add(last := Transition(application_id=a.id, from_state=was, to_state=to, actor="w", role=role, at=when, reason="."))
        was = to
    s.flush()
    return a, last


def appeal(s, a: Application, decision: Transition, filed: dt.datetime, decided: dt.datetime | None = None,
           outcome: str | None = None) -> None:
    s.add(Appeal(application_id=a.id, decision_id=decision.id, appellant_iin=a.applicant_iin, region_code=a.region_code,
                 language="kk", grounds="the income was counted wrongly", state="decided" if decided else "filed",
                 filed=filed, due_date=dt.date(2026, 3, 30), decided=decided, outcome=outcome,
                 supervisor="s" if decided else None))


CASES = {
    "A": (HA, "39", at(3, 3), [("in_review", at(3, 4), "caseworker"), ("approved", at(3, 11), "caseworker")]),
    "B": (HA, "39", at(3, 13), [("in_review", at(3, 16), "caseworker"), ("rejected", at(3, 27), "caseworker")]),
    "C": (HA, "39", at(3, 2), [("in_review", at(3, 3), "caseworker"), ("needs_information", at(3, 4), "caseworker"),
                                ("in_review", at(3, 10), "citizen"), ("approved", at(3, 16), "caseworker")]),
    "D": (HA, "39", at(3, 20), []),
    "E": (TSA, "39", at(3, 2), [("in_review", at(3, 3), "caseworker")]),
    "F": (HA, "39", at(3, 5), [("withdrawn", at(3, 6), "citizen")]),
    "G": ("birth_benefit", "47", at(2, 27), [("approved", at(3, 3), "system")]),
    "H": (HA, "39", at(2, 2), [("in_review", at(2, 3), "caseworker"), ("approved", at(2, 4), "caseworker")]),
}


@pytest.fixture
def world(database_url, tmp_path):
    db.migrate(database_url)
    with session(database_url) as s:
        for name, (measure, region, submitted, moves) in CASES.items():
            for i in range(3 if name == "F" else 10):
                a, last = case(s, measure, region, submitted, *moves)
                if name == "A":             # every A appealed on 12 March; 4 upheld, 1 partly, 3 rejected, 2 withdrawn
                    outcome = ["upheld"] * 4 + ["partly_upheld"] + ["rejected"] * 3 + ["withdrawn"] * 2
                    appeal(s, a, last, at(3, 12), at(3, 18), outcome[i])
                if name == "H" and i < 5:   # February's decisions appealed in February, decided in March
                    appeal(s, a, last, at(2, 20), at(3, 2), "rejected")
        for i in range(12):         # offers made in March for births in region 47: 8 accepted, 2 lapsed, 2 open
            state = "accepted" if i < 8 else "lapsed" if i < 10 else "sent"
            s.add(Offer(event_kind="birth", event_key=f"birth:{i}", event_date=dt.date(2026, 3, 1), iin=str(next(ids)),
                        household_id=f"H{i}", region_code="47", measure="birth_benefit", month="2026-03",
                        amount_tiyn=16435000, explanation="{}", rules_version="t", extract_as_of=dt.date(2026, 3, 1),
                        code=f"{i:06d}", phone=None, language="kk", state=state, created=at(3, 2), reply_by=dt.date(2026, 3, 5)))
        for _ in range(3):                                  # a small office: suppressed
            case(s, HA, "10", at(3, 3), ("in_review", at(3, 4), "caseworker"), ("approved", at(3, 5), "caseworker"))
    return database_url


def cell(out: dict, measure: str, region: str) -> dict:
    return next(c for c in out["cells"] if (c["measure"], c["region_code"]) == (measure, region))


def test_courses_counted_by_hand():
    days = lambda name: course_of.course(CASES[name][0], CASES[name][2], [
        (w, t, when, role) for (w, (t, when, role)) in zip(["submitted", *[m[0] for m in CASES[name][3]]], CASES[name][3])])
    a, b, c, d, e, g = (days(n) for n in "ABCDEG")
    assert (a.working_days, a.due, a.on_time) == (5, dt.date(2026, 3, 12), True)
    assert (b.working_days, b.due, b.on_time) == (7, dt.date(2026, 3, 26), False)
    assert (c.working_days, c.due, c.on_time) == (5, dt.date(2026, 3, 17), True)
    assert d.decided is None and d.due == dt.date(2026, 4, 2) and not d.overdue_on(HA, dt.date(2026, 3, 31))
    assert e.due == dt.date(2026, 3, 27) and e.overdue_on(TSA, dt.date(2026, 3, 31))
    assert not e.overdue_on(TSA, dt.date(2026, 3, 27)) and e.open_on(dt.date(2026, 3, 31))
    assert (g.working_days, g.by_rules, g.outcome) == (2, True, "approved")


def test_a_month_by_measure_and_region(world):
    out = monitoring.figures(world, "2026-03", now=NOW)
    assert out["complete"] and out["as_of"] == "2026-03-31"
    ha = cell(out, HA, "39")
    # A, B, C, D filed in March (F's three withdrawn are suppressed); A, C on time, B late.
    assert {k: ha[k] for k in ("applications", "decisions", "approved", "rejected", "on_time", "open_at_end",
                               "overdue_at_end")} == {"applications": 40 + 3, "decisions": 30, "approved": 20,
                                                      "rejected": 10, "on_time": 20, "open_at_end": 10,
                                                      "overdue_at_end": 0}
    assert ha["on_time_share"] == pytest.approx(0.667) and ha["median_working_days"] == 5
    assert ha["p90_working_days"] == 7          # the 27th of 30 sorted: twenty 5s, then ten 7s
    assert ha["withdrawn"] is None and ha["suppressed"]          # three withdrawn: fewer than ten
    # Appeals: A's ten filed in March; decided by a supervisor in March: A's eight and H's five; changed: 5.
    assert (ha["appeals"], ha["appeals_decided"], ha["overturned"]) == (10, 13, 5)
    assert ha["overturned_share"] == pytest.approx(5 / 13, abs=1e-3)
    tsa = cell(out, TSA, "39")
    assert (tsa["applications"], tsa["decisions"], tsa["open_at_end"], tsa["overdue_at_end"]) == (10, 0, 10, 10)
    assert tsa["on_time_share"] is None and tsa["median_working_days"] is None      # no decision: not zero
    birth = cell(out, "birth_benefit", "47")
    assert (birth["applications"], birth["decisions"], birth["by_rules"], birth["on_time"]) == (0, 10, 10, 10)
    assert (birth["offers"], birth["offers_accepted"], birth["offers_lapsed"]) == (12, 8, 2)
    assert birth["accepted_share"] == pytest.approx(0.667)
    assert out["national"]["offers"] == 12 and cell(out, HA, "39")["accepted_share"] is None
    small = cell(out, HA, "10")
    assert small["applications"] is None and small["decisions"] is None and small["on_time_share"] is None
    assert small["suppressed"]
    assert out["national"]["decisions"] == 30 + 10 + 3 and out["national"]["applications"] == 43 + 10 + 3


def test_alerts_below_the_threshold(world):
    out = monitoring.figures(world, "2026-03", now=NOW)
    region = next(r for r in out["by_region"] if r["region_code"] == "39")
    assert (region["decisions"], region["on_time"]) == (30, 20)
    assert [a["region_code"] for a in out["alerts"]] == ["39"]          # 47: all on time; 10: too few decisions
    alert = out["alerts"][0]
    assert alert["on_time_share"] == pytest.approx(0.667) and alert["late"] == 10
    assert alert["measures_below"] == [HA] and alert["threshold"] == 0.9


def test_a_month_running_and_one_not_begun(world):
    running = monitoring.figures(world, "2026-03", now=dt.datetime(2026, 3, 20, 4, tzinfo=dt.UTC))
    assert not running["complete"] and running["as_of"] == "2026-03-20"
    ha = cell(running, HA, "39")
    assert (ha["decisions"], ha["on_time"]) == (20, 20)        # A and C so far; B not yet decided
    with pytest.raises(FieldError) as e:
        monitoring.figures(world, "2026-05", now=NOW)
    assert e.value.field == "month"
    with pytest.raises(FieldError) as e:
        monitoring.figures(world, "2026-03", measure="nope", now=NOW)
    assert e.value.field == "measure"


def test_one_region_one_measure(world):
    out = monitoring.figures(world, "2026-03", ["47"], now=NOW)
    assert [c["region_code"] for c in out["cells"]] == ["47"] and out["national"]["decisions"] == 10
    out = monitoring.figures(world, "2026-03", measure=TSA, now=NOW)
    assert [c["measure"] for c in out["cells"]] == [TSA]


def test_the_analysts_route(world, tmp_path):
    access.add(world, "analyst", "correct horse battery", "analyst")
    access.add(world, "analyst47", "correct horse battery", "analyst", ("47",))
    access.add(world, "case", "correct horse battery", "caseworker", ("39",))
    client = TestClient(create_app(Settings(data_dir=tmp_path, database_url=world, secret_key="k" * 40)))
    h = {u: {"Authorization": "Bearer " + client.post("/api/v1/token", data={"username": u, "password": "correct horse battery"})
             .json()["access_token"]} for u in ("analyst", "analyst47", "case")}
    r = client.get("/api/v1/monitoring", params={"month": "2026-03"}, headers=h["analyst"])
    assert r.status_code == 200 and cell(r.json(), HA, "39")["decisions"] == 30
    assert client.get("/api/v1/monitoring", params={"month": "2026-03", "region": "39"}, headers=h["analyst47"]).status_code == 403
    mine = client.get("/api/v1/monitoring", params={"month": "2026-03"}, headers=h["analyst47"]).json()
    assert {c["region_code"] for c in mine["cells"]} == {"47"}
    assert client.get("/api/v1/monitoring", params={"month": "2026-03"}, headers=h["case"]).status_code == 403
    assert client.get("/api/v1/monitoring", params={"month": "2026-13"}, headers=h["analyst"]).status_code == 422
    with session(world) as s:
        refused = s.scalar(select(func.count()).select_from(AccessEntry).where(AccessEntry.allowed.is_(False),
                                                                               AccessEntry.what == "monitoring 2026-03"))
    assert refused == 2


def test_only_an_analyst_reads_it(world):
    with pytest.raises(Forbidden):
        monitoring.read(access.Actor(1, "case", "caseworker", ("39",)), world, "2026-03")


def test_komek_monitor(world, tmp_path):
    from typer.testing import CliRunner

    from komek.cli import app
    r = CliRunner().invoke(app, ["monitor", "--month", "2026-03", "--database", world, "--data-dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    said = " ".join(r.output.split())              # as printed, whatever the terminal's width
    assert "alert region 39: 66.7% on time of 30 decisions, below 90%; measures below: housing_assistance" in said
    r = CliRunner().invoke(app, ["monitor", "--month", "2026-03", "--json", "--region", "47", "--database", world,
                                 "--data-dir", str(tmp_path)])
    assert r.exit_code == 0 and '"decisions": 10' in r.output
    r = CliRunner().invoke(app, ["monitor", "--month", "2099-01", "--database", world, "--data-dir", str(tmp_path)])
    assert r.exit_code == 2 and "--month" in r.output and "has not begun" in " ".join(r.output.split())
