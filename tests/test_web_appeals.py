"""The appeals and requests pages over plain HTTP: a citizen appeals a refusal (missing grounds
said beside the field and nothing stored; the form sent twice files one appeal), a supervisor of
the region decides it after the confirmation (the state changed in the database), another region's
supervisor is refused, and the supervisor who made the decision appealed is refused plainly; a
citizen files a general request and a caseworker of the region answers it. On SQLite and PostgreSQL."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from komek import access
from komek.kz import regions
from komek.registry.db import session
from komek.registry.models import AccessEntry, Appeal, Application, CitizenRequest
from komek.services import appeals, applications
from komek.web.app import CSP
from web_world import PASSWORD, build, signed_in, token

KEY = re.compile(r'name="key" value="([^"]+)"')


def refused(world: dict, month: str) -> int:
    """An application of the citizen for TSA in `month`, assessed, taken up and refused by the caseworker."""
    answer, _ = applications.file(world["actors"]["citizen"], world["db"], {"measure": "tsa", "month": month}, f"refuse-{month}")
    applications.assess(world["url"])
    for to, why in (("in_review", "documents checked"), ("rejected", "the income declared is not proven")):
        applications.move(world["actors"]["case"], world["url"], answer["id"], to, why)
    return answer["id"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    with build(request.param, tmp_path_factory.mktemp("appeals")) as made:
        other = next(r for r in regions() if r != made["region"])
        made["actors"] |= {"super": access.add(made["url"], "super", PASSWORD, "supervisor", (made["region"],)),
                           "super2": access.add(made["url"], "super2", PASSWORD, "supervisor", (made["region"],)),
                           "faraway": access.add(made["url"], "faraway", PASSWORD, "supervisor", (other,))}
        made["to_appeal"], made["appealed"] = refused(made, "2026-09"), refused(made, "2026-10")
        made["appeal"] = appeals.file(made["actors"]["citizen"], made["url"], {"application_id": made["appealed"],
                                      "grounds": "my income fell in August"}, "fixture-appeal")[0]["id"]
        yield made


def count(world, model, *where) -> int:
    with session(world["url"]) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_missing_grounds_are_said_beside_the_field_and_an_appeal_sent_twice_is_filed_once(world):
    citizen, app_id = signed_in(world, "citizen", "ru"), world["to_appeal"]
    page = citizen.get(f"/my/applications/{app_id}").text
    term = appeals.appealable(world["actors"]["citizen"], world["url"], app_id)
    assert term["open"] and term["appeal_id"] is None
    assert "может быть обжаловано" in page and f'action="/my/applications/{app_id}/appeal"' in page
    form = {"csrf": token(page), "key": KEY.search(page).group(1)}
    empty = citizen.post(f"/my/applications/{app_id}/appeal", data={**form, "grounds": "  "})
    assert empty.status_code == 422 and count(world, Appeal, Appeal.application_id == app_id) == 0
    text = empty.text
    assert text.index('id="grounds"') < text.index('id="grounds-error"') < text.index("Обжаловать решение")
    assert 'aria-invalid="true" aria-describedby="grounds-error"' in text and "Укажите, почему решение" in text
    body = {**form, "grounds": "доход семьи упал в августе"}
    first, again = (citizen.post(f"/my/applications/{app_id}/appeal", data=body) for _ in range(2))
    assert first.status_code == again.status_code == 303 and first.headers["location"] == again.headers["location"]
    assert count(world, Appeal, Appeal.application_id == app_id) == 1
    appeal_id = int(re.search(r"/my/appeals/(\d+)", first.headers["location"]).group(1))
    shown = citizen.get(f"/my/appeals/{appeal_id}").text
    assert "Подана" in shown and "доход семьи упал в августе" in shown and world["citizen"] not in shown
    assert f'href="/my/appeals/{appeal_id}"' in citizen.get("/my/appeals").text
    assert f'href="/my/appeals/{appeal_id}"' in citizen.get(f"/my/applications/{app_id}").text   # no second form


def test_a_supervisor_decides_after_the_confirmation_and_another_regions_is_refused(world):
    appeal_id, app_id = world["appeal"], world["appealed"]
    faraway = signed_in(world, "faraway", "en")
    refusals = count(world, AccessEntry, AccessEntry.allowed.is_(False))
    assert f"/supervision/appeals/{appeal_id}" not in faraway.get("/supervision/appeals").text
    assert faraway.get(f"/supervision/appeals/{appeal_id}").status_code == 403
    assert count(world, AccessEntry, AccessEntry.allowed.is_(False)) > refusals
    assert signed_in(world, "citizen").get("/supervision/appeals").status_code == 403

    boss = signed_in(world, "super", "kk")
    assert boss.get("/").headers["location"] == "/supervision/appeals"
    assert f'href="/supervision/appeals/{appeal_id}"' in boss.get("/supervision/appeals").text
    page = boss.get(f"/supervision/appeals/{appeal_id}").text
    assert "the income declared is not proven" in page and "my income fell in August" in page
    choice = {"csrf": token(page), "outcome": "upheld", "note": "табыс анықтамасы ұсынылды"}
    shown = boss.post(f"/supervision/appeals/{appeal_id}", data=choice)
    assert shown.status_code == 200 and 'name="confirm" value="1"' in shown.text
    with session(world["url"]) as s:
        assert s.get(Appeal, appeal_id).state == "filed"                                # nothing decided yet
    done = boss.post(f"/supervision/appeals/{appeal_id}", data={**choice, "confirm": "1"})
    assert done.status_code == 303
    rules = applications.read(world["actors"]["case"], world["url"], app_id)["assessment"]["amount"]
    with session(world["url"]) as s:
        p, a = s.get(Appeal, appeal_id), s.get(Application, app_id)
        assert (p.state, p.outcome, p.supervisor, a.state) == ("decided", "upheld", "super", "approved")
        assert p.amount_tiyn == Decimal(rules) * 100                                    # the rules' amount
    seen = signed_in(world, "citizen", "ru").get(f"/my/appeals/{appeal_id}").text
    assert "Удовлетворена" in seen and "табыс анықтамасы ұсынылды" in seen


def test_the_supervisor_who_made_the_decision_appealed_is_refused_plainly(world):
    app_id = world["appealed"]              # approved on appeal by "super" (the test before)
    with session(world["url"]) as s:
        if s.get(Application, app_id).state != "approved":
            pytest.skip("needs the decision of the test before")
    again = appeals.file(world["actors"]["citizen"], world["url"], {"application_id": app_id,
                         "grounds": "the amount leaves out my second child"}, "second-appeal")[0]["id"]
    boss = signed_in(world, "super", "en")
    page = boss.get(f"/supervision/appeals/{again}").text
    choice = {"csrf": token(page), "outcome": "rejected", "note": "the amount is the rules'", "confirm": "1"}
    answer = boss.post(f"/supervision/appeals/{again}", data=choice)
    assert answer.status_code == 403 and "You made the decision appealed" in answer.text
    with session(world["url"]) as s:
        assert s.get(Appeal, again).state == "filed"
    other = signed_in(world, "super2", "en")
    page = other.get(f"/supervision/appeals/{again}").text
    assert other.post(f"/supervision/appeals/{again}", data={**choice, "csrf": token(page)}).status_code == 303
    with session(world["url"]) as s:
        assert (s.get(Appeal, again).outcome, s.get(Appeal, again).supervisor) == ("rejected", "super2")


def test_a_citizen_files_a_request_and_a_caseworker_of_the_region_answers_it(world):
    citizen = signed_in(world, "citizen", "ru")
    page = citizen.get("/my/requests/new").text
    mine = count(world, CitizenRequest, CitizenRequest.iin == world["citizen"])
    form = {"csrf": token(page), "key": KEY.search(page).group(1), "category": "courtyard",
            "region_code": world["region"], "locality": "Костанай", "street": "ул. Баймагамбетова", "building": "5",
            "phone": "+7 701 234 56 78"}
    empty = citizen.post("/my/requests/new", data={**form, "text": " "})
    assert empty.status_code == 422 and count(world, CitizenRequest, CitizenRequest.iin == world["citizen"]) == mine
    assert empty.text.index('id="text"') < empty.text.index('id="text-error"') < empty.text.index('id="phone"')
    assert 'value="Костанай"' in empty.text and '<option value="courtyard" selected>' in empty.text
    body = {**form, "text": "во дворе не горит фонарь"}
    first, again = (citizen.post("/my/requests/new", data=body) for _ in range(2))
    assert first.status_code == again.status_code == 303 and first.headers["location"] == again.headers["location"]
    assert count(world, CitizenRequest, CitizenRequest.iin == world["citizen"]) == mine + 1
    rid = int(re.search(r"/my/requests/(\d+)", first.headers["location"]).group(1))
    assert "Получено" in citizen.get(f"/my/requests/{rid}").text
    assert f'href="/my/requests/{rid}"' in citizen.get("/my/requests").text

    assert signed_in(world, "elsewhere").get(f"/casework/requests/{rid}").status_code == 403
    case = signed_in(world, "case", "ru")
    assert f'href="/casework/requests/{rid}"' in case.get("/casework/requests").text
    work = case.get(f"/casework/requests/{rid}").text
    assert world["citizen"] in work                         # a caseworker of the region sees the IIN
    blank = case.post(f"/casework/requests/{rid}", data={"csrf": token(work), "to": "answered", "note": ""})
    assert blank.status_code == 422 and 'id="note-error"' in blank.text
    done = case.post(f"/casework/requests/{rid}", data={"csrf": token(work), "to": "answered",
                                                        "note": "фонарь заменят до пятницы"})
    assert done.status_code == 303
    with session(world["url"]) as s:
        assert s.get(CitizenRequest, rid).state == "answered"
    assert "Отвечено" in citizen.get(f"/my/requests/{rid}").text
    pages = [(citizen, "/my/appeals"), (citizen, "/my/requests"), (citizen, "/my/requests/new"), (case, "/casework/requests"),
             (signed_in(world, "super"), "/supervision/appeals"), (signed_in(world, "super"), f"/supervision/appeals/{world['appeal']}")]
    for client, path in pages:
        answer = client.get(path)
        assert answer.status_code == 200 and answer.headers["content-security-policy"] == CSP, path
        assert " style=" not in answer.text and not re.search(r"<[^>]+\son\w+=", answer.text), path
