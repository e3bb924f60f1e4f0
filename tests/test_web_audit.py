"""The auditor's pages over plain HTTP, over an audit run into the web tests' registry: the
filters give the rows the service gives and the next page follows its cursor; a dismissal
without a reason and a confirmation with an amount that is not one are said beside their field
in the user's language, with what was typed kept, and change nothing; after a dismissal the
share dismissed of its check is the database's count over its findings; another role gets the
forbidden page (logged). On SQLite and on PostgreSQL."""
from __future__ import annotations

import html
import re

import pytest
from babel.numbers import format_percent
from sqlalchemy import func, select

from komek import access
from komek.audit.listing import Filters
from komek.registry.db import session
from komek.registry.models import AccessEntry, AuditFinding
from komek.services import findings
from komek.services.audit import run_audit
from komek.web.app import CSP
from web_world import PASSWORD, build, signed_in, token

ROW = re.compile(r'<td><a href="/audit/findings/(F\w+)">')
NEXT = re.compile(r'href="(/audit/findings\?[^"]*cursor=[^"]*)" rel="next"')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web-audit")
    with build(request.param, tmp) as made:
        run_audit(made["db"], tmp / "audit", save_to=made["url"])
        yield made


def counted(world, *where) -> int:
    with session(world["url"]) as s:
        return s.scalar(select(func.count()).select_from(AuditFinding).where(*where))


def state_of(world, finding_id: str) -> tuple:
    with session(world["url"]) as s:
        f = s.get(AuditFinding, finding_id)
        return f.review_state, f.recovery_amount, f.dismiss_reason, f.reviewer


def largest_check(world) -> str:
    with session(world["url"]) as s:
        return s.execute(select(AuditFinding.check).group_by(AuditFinding.check)
                         .order_by(func.count().desc(), AuditFinding.check)).scalars().first()


def test_the_auditor_starts_on_the_findings_and_the_pages_carry_the_strict_policy(world):
    auditor = signed_in(world, "auditor", "en")
    home = auditor.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/audit/findings"
    for path in ("/audit/findings", "/audit/summary"):
        answer = auditor.get(path)
        assert answer.status_code == 200 and answer.headers["content-security-policy"] == CSP, path
        assert " style=" not in answer.text and "<style" not in answer.text, path


def test_the_filters_give_the_services_rows_and_the_next_page_its_cursors(world):
    auditor, actor = signed_in(world, "auditor", "en"), world["actors"]["auditor"]
    check = largest_check(world)
    with session(world["url"]) as s:
        region = s.scalar(select(AuditFinding.region_code).where(AuditFinding.check == check).limit(1))
    for asked in ({"check": check}, {"check": check, "region": region, "state": "open"}, {"severity": "high"}, {}):
        page = auditor.get("/audit/findings", params=asked)
        assert page.status_code == 200, asked
        chosen = Filters(check=asked.get("check"), region=asked.get("region"), state=asked.get("state"),
                         severity=asked.get("severity"))
        served = findings.findings_page(actor, world["url"], chosen, limit=50)
        assert ROW.findall(page.text) == [f["finding_id"] for f in served["items"]], asked
        where = [getattr(AuditFinding, c) == v for c, v in
                 (("check", asked.get("check")), ("region_code", asked.get("region")), ("review_state", asked.get("state")),
                  ("severity", asked.get("severity"))) if v]
        total = counted(world, *where)
        assert f"{total:,} findings" in page.text, asked
        following = NEXT.search(page.text)
        assert bool(following) == (total > 50), asked
        if following:
            second = auditor.get(html.unescape(following.group(1)))
            after = findings.findings_page(actor, world["url"], chosen, served["next_cursor"], limit=50)
            assert ROW.findall(second.text) == [f["finding_id"] for f in after["items"]]
            assert not set(ROW.findall(second.text)) & set(ROW.findall(page.text))
    unknown = auditor.get("/audit/findings", params={"check": "no_such_check"})
    assert unknown.status_code == 422 and 'id="check-error"' in unknown.text


def test_a_review_without_its_reason_or_amount_is_said_beside_the_field_and_changes_nothing(world):
    auditor = signed_in(world, "auditor", "ru")
    fid = findings.findings_page(world["actors"]["auditor"], world["url"], Filters(state="open"), limit=1)["items"][0]["finding_id"]
    before, dismissed = state_of(world, fid), counted(world, AuditFinding.review_state != "open")
    form = auditor.get(f"/audit/findings/{fid}")
    assert form.status_code == 200 and "не санкция" in form.text
    no_reason = auditor.post(f"/audit/findings/{fid}", data={"csrf": token(form.text), "decision": "dismiss", "reason": "  "})
    assert no_reason.status_code == 422
    assert '<span class="error" id="reason-error">Укажите, почему выплата в порядке' in no_reason.text
    assert 'aria-invalid="true" aria-describedby="reason-error"' in no_reason.text
    assert 'value="dismiss" checked' in no_reason.text
    for typed in ("двенадцать", "-5", "12,345", "1e400"):
        bad = auditor.post(f"/audit/findings/{fid}", data={"csrf": token(form.text), "decision": "confirm",
                                                           "recovery": typed})
        assert bad.status_code == 422, typed
        assert '<span class="error" id="recovery-error">Укажите сумму к возврату в тенге' in bad.text, typed
        assert f'id="recovery" name="recovery" value="{html.escape(typed)}"' in bad.text, typed
    refused = auditor.post(f"/audit/findings/{fid}", data={"decision": "dismiss", "reason": "без токена"})
    assert refused.status_code == 403
    assert state_of(world, fid) == before and counted(world, AuditFinding.review_state != "open") == dismissed


def test_after_a_dismissal_the_share_dismissed_is_the_databases_count_over_the_checks_findings(world):
    auditor = signed_in(world, "auditor", "ru")
    check = largest_check(world)
    fid = findings.findings_page(world["actors"]["auditor"], world["url"], Filters(check=check, state="open"),
                                 limit=1)["items"][0]["finding_id"]
    form = auditor.get(f"/audit/findings/{fid}")
    done = auditor.post(f"/audit/findings/{fid}", data={"csrf": token(form.text), "decision": "dismiss",
                                                        "reason": "доход учтён в другом квартале"})
    assert done.status_code == 303 and done.headers["location"] == f"/audit/findings/{fid}?reviewed=1"
    assert state_of(world, fid) == ("dismissed", None, "доход учтён в другом квартале", "auditor")
    shown = auditor.get(done.headers["location"]).text
    assert "Готово: находка теперь «Отклонена»." in shown and "доход учтён в другом квартале" in shown
    share = counted(world, AuditFinding.check == check, AuditFinding.review_state == "dismissed") / counted(
        world, AuditFinding.check == check)
    assert share > 0
    row = re.search(rf'<tr id="check-{check}">(.*?)</tr>', auditor.get("/audit/summary").text, re.S).group(1)
    assert f'<td class="num dismissed-share">{format_percent(share, "#,##0.0%", locale="ru")}</td>' in row

    form = auditor.get(f"/audit/findings/{fid}")         # reviewed: no form, and a second review is refused
    assert 'name="decision"' not in form.text
    again = auditor.post(f"/audit/findings/{fid}", data={"csrf": token(form.text), "decision": "confirm", "recovery": "0"})
    assert again.status_code == 422 and "уже рассмотрена иначе" in again.text
    assert state_of(world, fid)[0] == "dismissed"


def test_a_confirmation_keeps_the_amount_to_recover(world):
    auditor = signed_in(world, "auditor", "kk")
    fid = findings.findings_page(world["actors"]["auditor"], world["url"], Filters(state="open"), limit=1)["items"][0]["finding_id"]
    form = auditor.get(f"/audit/findings/{fid}")
    done = auditor.post(f"/audit/findings/{fid}", data={"csrf": token(form.text), "decision": "confirm",
                                                        "recovery": "12 500,50"})
    assert done.status_code == 303
    state, recovery, _, _ = state_of(world, fid)
    assert state == "confirmed" and str(recovery) == "12500.50"


def test_another_role_gets_the_forbidden_page_and_the_refusal_is_logged(world):
    fid = findings.findings_page(world["actors"]["auditor"], world["url"], Filters(), limit=1)["items"][0]["finding_id"]
    access.add(world["url"], "analyst", PASSWORD, "analyst")
    for who in ("case", "citizen", "analyst"):
        client = signed_in(world, who, "en")
        for path in ("/audit/findings", f"/audit/findings/{fid}", "/audit/summary"):
            answer = client.get(path)
            assert answer.status_code == 403 and "Not allowed" in answer.text, (who, path)
            assert fid not in answer.text or path.endswith(fid), (who, path)
    with session(world["url"]) as s:
        assert s.scalar(select(func.count()).select_from(AccessEntry).where(
            AccessEntry.actor == "case", AccessEntry.allowed.is_(False), AccessEntry.what.like("finding%"))) >= 1


def test_the_caseworkers_card_shows_the_households_open_findings_as_information(world):
    from komek.kz import registry_inputs
    from web_world import ON
    living = registry_inputs.households_on(registry_inputs.tables_of(world["db"]), ON).collect()
    where = dict(zip(living["household_id"].to_list(), living["region_code"].to_list()))
    with session(world["url"]) as s:
        flagged = s.scalars(select(AuditFinding.household_id).where(AuditFinding.review_state == "open")
                            .order_by(AuditFinding.finding_id)).all()
    hid = next(h for h in flagged if h in where)          # a household living on the card's date
    region = where[hid]
    open_here = counted(world, AuditFinding.household_id == hid, AuditFinding.review_state == "open")
    access.add(world["url"], f"case-{region}", PASSWORD, "caseworker", (region,))
    page = signed_in(world, f"case-{region}", "en").get(f"/casework/households/{hid}?month=2026-10")
    assert page.status_code == 200
    section = page.text[page.text.index("Open audit findings"):page.text.index("Rules version:")]
    assert section.count("<li>") == open_here > 0 and "not a decision about the family" in section
    mine = signed_in(world, "citizen", "en").get("/my/entitlements")
    assert mine.status_code == 200 and "Open audit findings" not in mine.text      # the citizen's card has none
