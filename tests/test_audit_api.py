"""The audit over HTTP: findings page by page in the list's order with nothing lost or repeated,
an auditor's regions enforced, one finding with its evidence, the review applied once, the
summary per check, and every read logged."""
from __future__ import annotations

from decimal import Decimal

import polars as pl
from fastapi.testclient import TestClient
from sqlalchemy import select

from komek import access
from komek.api import create_app
from komek.audit import SEVERITY_ORDER, review
from komek.registry.db import session
from komek.registry.models import AccessEntry, AuditFinding
from komek.settings import Settings

PASSWORD = "correct horse battery"


def as_(client: TestClient, user: str) -> dict:
    token = client.post("/api/v1/token", data={"username": user, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def ordered(frame: pl.DataFrame) -> list[str]:
    """The list's order, computed here: severity, then amount at risk (largest first), then id."""
    ranked = frame.with_columns(rank=pl.col("severity").replace_strict(SEVERITY_ORDER))
    return ranked.sort(["rank", "amount_at_risk", "finding_id"], descending=[False, True, False])["finding_id"].to_list()


def log_of(url: str, who: str) -> list[tuple]:
    with session(url) as s:
        return [(e.what, e.subject_iin, e.allowed) for e in
                s.scalars(select(AccessEntry).where(AccessEntry.actor == who).order_by(AccessEntry.id))]


def test_findings_over_the_api(audited, registry_url, tmp_path):
    saved = pl.concat([audited.findings, audited.anomalies])
    review.save(registry_url, saved)
    region = saved["region_code"].drop_nulls().mode().sort()[0]
    access.add(registry_url, "national", PASSWORD, "auditor")
    access.add(registry_url, "regional", PASSWORD, "auditor", (region,))
    access.add(registry_url, "case", PASSWORD, "caseworker", (region,))
    client = TestClient(create_app(Settings(data_dir=tmp_path, database_url=registry_url, secret_key="k" * 40)))
    national, regional = as_(client, "national"), as_(client, "regional")

    # Every finding once, in order, across pages of 7 (amounts tie often: the id breaks ties).
    seen, cursor, pages = [], None, 0
    while True:
        r = client.get("/api/v1/findings", params={"limit": 7, **({"cursor": cursor} if cursor else {})}, headers=national)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == saved.height
        seen += [f["finding_id"] for f in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ordered(saved) and pages == -(-saved.height // 7)

    # IINs masked unless asked; the page's people each get a log entry.
    first = client.get("/api/v1/findings", params={"limit": 5}, headers=national).json()["items"]
    full = dict(zip(saved["finding_id"], saved["iin"]))
    assert all(f["iin"] == "********" + full[f["finding_id"]][-4:] for f in first)
    whole = client.get("/api/v1/findings", params={"limit": 5, "full_iin": True, "purpose": "case 7"}, headers=national)
    assert [f["iin"] for f in whole.json()["items"]] == [full[f["finding_id"]] for f in first]
    logged = [e for e in log_of(registry_url, "national") if e[0] == "findings list (full IINs)"]
    assert sorted(e[1] for e in logged) == sorted({full[f["finding_id"]] for f in first})

    # A regional auditor sees only the region's findings, and may not ask for another's.
    mine = client.get("/api/v1/findings", params={"limit": 500}, headers=regional).json()
    assert mine["total"] == saved.filter(pl.col("region_code") == region).height
    assert {f["region_code"] for f in mine["items"]} == {region}
    other = saved.filter(pl.col("region_code") != region)["region_code"][0]
    assert client.get("/api/v1/findings", params={"region": other}, headers=regional).status_code == 403
    elsewhere = saved.filter(pl.col("region_code") != region)["finding_id"][0]
    assert client.get(f"/api/v1/findings/{elsewhere}", headers=regional).status_code == 404
    assert ("finding with evidence", full[elsewhere], False) in log_of(registry_url, "regional")
    assert client.get("/api/v1/findings", headers=as_(client, "case")).status_code == 403
    assert ("findings list", None, False) in log_of(registry_url, "case")

    # One finding whole, with its evidence as an object.
    fid = ordered(saved.filter(pl.col("region_code") == region))[0]
    one = client.get(f"/api/v1/findings/{fid}", params={"purpose": "review"}, headers=regional)
    assert one.status_code == 200
    row = saved.filter(pl.col("finding_id") == fid).row(0, named=True)
    assert one.json()["iin"] == row["iin"] and isinstance(one.json()["evidence"], dict)
    assert Decimal(str(one.json()["amount_at_risk"])) == row["amount_at_risk"]

    # The review: applied once, a retry answered alike, a different one refused.
    post = lambda body: client.post(f"/api/v1/findings/{fid}/review", json=body, headers=regional)  # noqa: E731
    assert post({"decision": "confirm"}).json()["detail"][0]["path"] == "recovery"
    assert post({"decision": "confirm", "recovery": "-1"}).status_code == 422
    first_try = post({"decision": "confirm", "recovery": "1250.40"})
    assert first_try.status_code == 200 and first_try.json()["review_state"] == "confirmed"
    again = post({"decision": "confirm", "recovery": "1250.40"})
    assert again.status_code == 200 and again.json()["reviewed_at"] == first_try.json()["reviewed_at"]
    assert post({"decision": "dismiss", "reason": "second thoughts"}).status_code == 409
    with session(registry_url) as s:
        f = s.get(AuditFinding, fid)
        assert (f.review_state, f.recovery_amount, f.reviewer) == ("confirmed", Decimal("1250.40"), "regional")
    second = ordered(saved.filter(pl.col("region_code") == region))[1]
    dismissed = client.post(f"/api/v1/findings/{second}/review", json={"decision": "dismiss", "reason": "paid by court order"},
                            headers=regional)
    assert dismissed.json()["dismiss_reason"] == "paid by court order"

    # The summary per check, within the region: the counts and the review shares.
    summary = {r["check"]: r for r in client.get("/api/v1/findings/summary", headers=regional).json()}
    expected = saved.filter(pl.col("region_code") == region).group_by("check").len()
    assert {c: summary[c]["findings"] for c in summary} == dict(expected.iter_rows())
    by_check = {c: (summary[c]["confirmed"], summary[c]["dismissed"]) for c in summary if summary[c]["findings"]}
    assert sum(c for c, _ in by_check.values()) == 1 and sum(d for _, d in by_check.values()) == 1
    assert client.get("/api/v1/findings", params={"cursor": "not-a-cursor"}, headers=national).json()["detail"][0]["path"] \
        == "cursor"
