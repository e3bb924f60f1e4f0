"""The citizen's what-if on the entitlements page, corrections declared when applying (kept as
sent, shown to the caseworker and in the API's read, never applied to the registry; a bad value
refused beside its field with nothing filed), and the messages sent to the citizen. On SQLite
and on PostgreSQL."""
from __future__ import annotations

import json
import re

import pytest
from babel.numbers import format_decimal
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from komek.access.accounts import Actor
from komek.errors import FieldError
from komek.registry.db import session
from komek.registry.models import Application, Notification
from komek.services import applications, whatif
from komek.services.households import situation
from web_world import ON, PASSWORD, build, signed_in, token

KEY = re.compile(r'name="key" value="([^"]+)"')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    with build(request.param, tmp_path_factory.mktemp("web-corrections")) as made:
        yield made


def citizen_actor(world) -> Actor:
    a = world["actors"]["citizen"]
    return a if isinstance(a, Actor) else Actor(a.id, "citizen", "citizen", (), world["citizen"])


def money(amount: float, lang: str) -> str:
    return f"{format_decimal(amount, '#,##0.00', locale=lang)} ₸"


def applications_of(world) -> int:
    with session(world["url"]) as s:
        return s.scalar(select(func.count()).select_from(Application).where(Application.applicant_iin == world["citizen"]))


def test_the_entitlements_say_what_would_change_them_as_a_what_if(world):
    found = whatif.for_household(citizen_actor(world), world["db"], world["household"], ON)
    # The what-if starts from the amounts the card computed from the same registry.
    card = {e["measure"]: e["amount"] for e in world["card"]["entitlements"]}
    assert {m["measure"]: m["amount"] for m in found["measures"] if m["paid"]} == card
    changes = [(m, c) for m in found["measures"] for c in m["changes"]]
    assert changes
    page = signed_in(world, "citizen", "ru").get("/my/entitlements?month=2026-10")
    assert page.status_code == 200 and "Это расчёт «что если», а не решение" in page.text
    for m, c in changes:
        assert money(c["amount_then"], "ru") in page.text and m["reference"] in page.text


def test_corrections_are_filed_as_sent_shown_to_the_caseworker_and_in_the_api(world):
    citizen = signed_in(world, "citizen", "kk")
    form = citizen.get("/my/apply").text
    s, _ = situation(citizen_actor(world), world["db"], world["household"], ON)
    income = sum(sum(m.incomes.values()) for m in s.household.members)
    assert 'name="fix_income"' in form and money(float(income), "kk") in form
    body = {"csrf": token(form), "key": KEY.search(form).group(1), "measure": "tsa", "month": "2026-10",
            "fix_income": "30000,50", "note_income": "жұмыстан шықтым, анықтама бар", "fix_disability": "2"}
    filed = citizen.post("/my/apply", data=body)
    assert filed.status_code == 303, filed.text
    app_id = int(re.search(r"/my/applications/(\d+)", filed.headers["location"]).group(1))
    sent = [{"fact": "income", "registry": str(income), "value": "30000,50", "comment": "жұмыстан шықтым, анықтама бар"},
            {"fact": "disability", "registry": "none", "value": "2"}]
    with session(world["url"]) as db:
        assert json.loads(db.get(Application, app_id).corrections) == sent
    case = signed_in(world, "case", "ru").get(f"/casework/applications/{app_id}").text
    assert "Заявлено заявителем, подлежит проверке по документам" in case
    assert "30000,50" in case and "жұмыстан шықтым, анықтама бар" in case
    api = TestClient(world["app"])
    bearer = api.post("/api/v1/token", data={"username": "case", "password": PASSWORD}).json()["access_token"]
    read = api.get(f"/api/v1/applications/{app_id}", headers={"Authorization": f"Bearer {bearer}"})
    assert read.status_code == 200 and read.json()["corrections"] == sent


def test_a_bad_correction_is_refused_beside_its_field_and_nothing_filed(world):
    citizen = signed_in(world, "citizen", "ru")
    before = applications_of(world)
    for field, value, said in (("fix_members", "два", "Укажите число членов семьи целым числом от 1 до 40."),
                               ("fix_area_m2", "-3", "Укажите площадь в квадратных метрах, например 54,5.")):
        form = citizen.get("/my/apply").text
        page = citizen.post("/my/apply", data={"csrf": token(form), "key": KEY.search(form).group(1), "measure": "tsa",
                                               "month": "2026-10", field: value})
        assert page.status_code == 422
        assert f'<span class="error" id="{field}-error">{said}</span>' in page.text
        assert f'aria-describedby="{field}-error"' in page.text and f'value="{value}"' in page.text
    form = citizen.get("/my/apply").text
    page = citizen.post("/my/apply", data={"csrf": token(form), "key": KEY.search(form).group(1), "measure": "tsa",
                                           "month": "2026-10", "note_utilities": "счёт за октябрь"})
    assert page.status_code == 422 and 'id="fix_utilities-error"' in page.text
    assert applications_of(world) == before
    with pytest.raises(FieldError) as no:
        applications.corrections([{"fact": "members", "value": "0"}])
    assert no.value.field == "corrections.members"


def test_the_citizen_sees_the_messages_sent_about_their_applications_and_no_one_else_does(world):
    citizen = signed_in(world, "citizen", "kk")
    form = citizen.get("/my/apply").text
    filed = citizen.post("/my/apply", data={"csrf": token(form), "key": KEY.search(form).group(1), "measure": "tsa",
                                            "month": "2026-10", "phone": "+7 701 555 12 34"})
    app_id = int(re.search(r"/my/applications/(\d+)", filed.headers["location"]).group(1))
    with session(world["url"]) as s:
        mine = s.scalars(select(Notification).where(Notification.iin == world["citizen"])).all()
        of_app = [n for n in mine if n.about == f"application:{app_id}"]
    assert of_app
    listed = citizen.get("/my/notifications").text
    assert listed.count('<td lang="') == len(mine)
    assert all(n.text in listed for n in mine)
    one = citizen.get(f"/my/applications/{app_id}").text
    assert all(n.text in one for n in of_app) and "күтуде: әзірге жеткізілмеді" in one
    assert signed_in(world, "case").get("/my/notifications").status_code == 403
