"""The web pages over plain HTTP: the security headers on every page, CSRF refused, the forbidden
page (and its refusal logged), an expired session sent to sign in and back, form errors beside
their field in the user's language with what was typed kept, the language switch, a filing sent
twice filed once, and a decision made only once confirmed. The catalogs translate every message.
On SQLite and on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import re
from string import Formatter

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from komek import access
from komek.registry.db import session
from komek.registry.models import AccessEntry, Application, Transition
from komek.services import applications
from komek.web import session as web_session
from komek.web.app import CSP
from web_world import PASSWORD, ROOT, build, signed_in, token

KEY = re.compile(r'name="key" value="([^"]+)"')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    with build(request.param, tmp_path_factory.mktemp("web")) as made:
        yield made


def count(world, model, *where) -> int:
    with session(world["url"]) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def apply_form(client: TestClient) -> dict:
    page = client.get("/my/apply").text
    return {"csrf": token(page), "key": KEY.search(page).group(1)}


def test_every_page_carries_the_strict_policy_and_no_inline_script(world):
    citizen, case = signed_in(world, "citizen"), signed_in(world, "case")
    pages = [(TestClient(world["app"]), "/signin"), (citizen, "/my/entitlements"), (citizen, "/my/apply"),
             (citizen, "/my/applications"), (case, "/casework/queue"), (case, "/casework/search"),
             (case, f"/casework/households/{world['household']}"), (case, "/no/such/page")]
    for client, path in pages:
        answer = client.get(path)
        assert answer.headers["content-security-policy"] == CSP, path
        assert "default-src 'self'" in CSP and "unsafe-inline" not in CSP
        assert answer.headers["x-content-type-options"] == "nosniff" and answer.headers["x-frame-options"] == "DENY"
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", answer.text, re.S)
        assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts), path
        assert " style=" not in answer.text and "<style" not in answer.text                # no inline style
        assert not re.search(r"<[^>]+\son\w+=", answer.text), path                            # no inline handler
    assert TestClient(world["app"]).get("/static/htmx-2.0.4.min.js").status_code == 200


def test_the_session_cookie_is_httponly_and_strict(world):
    client = TestClient(world["app"], follow_redirects=False)
    form = client.get("/signin")
    answer = client.post("/signin", data={"username": "citizen", "password": "correct horse battery", "next": "/",
                                          "csrf": token(form.text)})
    cookies = answer.headers.get_list("set-cookie")
    mine = next(c for c in cookies if c.startswith(web_session.SESSION + "="))
    assert "HttpOnly" in mine and "SameSite=strict" in mine and "Secure" not in mine    # plain http in the test
    assert world["citizen"] not in mine


def test_a_post_without_the_forms_token_is_refused_and_changes_nothing(world):
    stranger = TestClient(world["app"], follow_redirects=False)
    refused = stranger.post("/signin", data={"username": "citizen", "password": "correct horse battery", "next": "/"})
    assert refused.status_code == 403 and web_session.SESSION not in refused.cookies
    citizen = signed_in(world, "citizen", "ru")
    before = count(world, Application)
    form = apply_form(citizen)
    forged = citizen.post("/my/apply", data={"measure": "tsa", "month": "2026-10", "key": form["key"], "csrf": "0" * 64})
    assert forged.status_code == 403 and "ничего не изменено" in forged.text
    assert count(world, Application) == before


def test_another_regions_household_is_a_plain_forbidden_page_and_logged(world):
    elsewhere = signed_in(world, "elsewhere", "en")
    refusals = count(world, AccessEntry, AccessEntry.allowed.is_(False))
    answer = elsewhere.get(f"/casework/households/{world['household']}")
    assert answer.status_code == 403 and "text/html" in answer.headers["content-type"]
    assert "Your role does not allow you to see this page" in answer.text and world["citizen"] not in answer.text
    assert count(world, AccessEntry, AccessEntry.allowed.is_(False)) > refusals
    # A citizen's pages are not a caseworker's, and the other way round.
    assert signed_in(world, "citizen").get("/casework/queue").status_code == 403
    assert elsewhere.get("/my/entitlements").status_code == 403


def test_an_expired_session_signs_in_again_and_returns_to_the_same_page(world):
    client = TestClient(world["app"], follow_redirects=False)
    request = type("R", (), {"app": world["app"]})()
    old = web_session.issue(request, world["actors"]["citizen"], now=dt.datetime.now(dt.UTC) - web_session.LIFETIME * 2)
    client.cookies.set(web_session.SESSION, old)
    away = client.get("/my/applications?x=1")
    assert away.status_code == 303 and away.headers["location"] == "/signin?next=%2Fmy%2Fapplications%3Fx%3D1"
    form = client.get(away.headers["location"])
    assert 'name="next" value="/my/applications?x=1"' in form.text
    back = client.post("/signin", data={"username": "citizen", "password": "correct horse battery",
                                        "next": "/my/applications?x=1", "csrf": token(form.text)})
    assert back.status_code == 303 and back.headers["location"] == "/my/applications?x=1"
    assert client.get("/my/applications").status_code == 200
    # Never sent to another site.
    assert client.post("/signin", data={"username": "citizen", "password": "correct horse battery",
                                        "next": "//evil.example/", "csrf": token(form.text)}).headers["location"] == "/"


def test_form_errors_stand_beside_their_field_in_the_users_language_with_what_was_typed(world):
    citizen = signed_in(world, "citizen", "ru")
    before = count(world, Application)
    form = apply_form(citizen)
    answer = citizen.post("/my/apply", data={**form, "measure": "tsa", "month": "2026-13", "phone": "12 34"})
    assert answer.status_code == 422 and count(world, Application) == before
    page = answer.text
    assert 'id="month" name="month" value="2026-13"' in page and 'id="phone" name="phone" value="12 34"' in page
    assert '<option value="tsa" selected>' in page
    month = page.index('id="month-error"')
    assert page.index('id="month"') < month < page.index('id="phone"')         # beside its own field
    assert "Укажите месяц как год и месяц" in page and "Это не казахстанский номер" in page
    assert 'aria-invalid="true" aria-describedby="month-error month-hint"' in page


def test_the_language_is_switched_on_every_page_and_kept(world):
    client = TestClient(world["app"], follow_redirects=False)
    assert 'lang="kk"' in client.get("/signin").text                          # Kazakh first
    assert 'lang="ru"' in client.get("/signin", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).text
    switched = client.get("/language/en?next=/signin")
    assert switched.status_code == 303 and switched.headers["location"] == "/signin"
    page = client.get("/signin", headers={"Accept-Language": "ru"}).text    # the choice beats the browser's
    assert '<html lang="en">' in page and "<h1>Sign in</h1>" in page
    for code in ("kk", "ru", "en"):
        assert f'href="/language/{code}?next=/signin"' in page


def test_the_citizen_sees_the_cards_amounts_in_the_locale_with_the_article(world):
    citizen = signed_in(world, "citizen", "ru")
    page = citizen.get("/my/entitlements").text
    tsa = next(e for e in world["card"]["entitlements"] if e["measure"] == "tsa")
    assert f"{format_decimal(tsa['amount'], '#,##0.00', locale='ru')} ₸" in page
    assert "Адресная социальная помощь" in page and "ст. 120" in page
    assert world["citizen"] not in page                                        # IINs masked on the card


def test_an_application_sent_twice_is_filed_once_and_decided_only_once_confirmed(world):
    citizen, case = signed_in(world, "citizen", "kk"), signed_in(world, "case", "ru")
    form = apply_form(citizen)
    body = {**form, "measure": "tsa", "month": "2026-10", "phone": "8 701 234 56 78"}
    first, again = citizen.post("/my/apply", data=body), citizen.post("/my/apply", data=body)
    assert first.status_code == again.status_code == 303 and first.headers["location"] == again.headers["location"]
    app_id = int(re.search(r"/my/applications/(\d+)", first.headers["location"]).group(1))
    assert count(world, Application, Application.applicant_iin == world["citizen"], Application.measure == "tsa",
                 Application.id == app_id) == 1
    assert applications.assess(world["url"]) >= 1
    queue = case.get("/casework/queue").text
    assert f'href="/casework/applications/{app_id}"' in queue
    decide = case.get(f"/casework/applications/{app_id}").text
    moves = {"csrf": token(decide), "to": "in_review", "reason": "документы проверены"}
    shown = case.post(f"/casework/applications/{app_id}", data=moves)
    assert shown.status_code == 200 and "Подтвердите: Взять на рассмотрение." in shown.text
    assert count(world, Transition, Transition.application_id == app_id) == 1            # nothing moved yet
    done = case.post(f"/casework/applications/{app_id}", data={**moves, "confirm": "1"})
    assert done.status_code == 303
    with session(world["url"]) as s:
        assert s.get(Application, app_id).state == "in_review"
    empty = case.post(f"/casework/applications/{app_id}", data={**moves, "to": "approved", "reason": " ", "confirm": "1"})
    assert empty.status_code == 422 and "Укажите причину" in empty.text
    with session(world["url"]) as s:
        assert s.get(Application, app_id).state == "in_review"


def test_the_catalogs_translate_every_message_with_the_same_placeholders():
    web = ROOT / "src" / "komek" / "web"
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    ids = {m if isinstance(m, str) else m[0] for _, _, m, _, _ in extract_from_dir(
        web, method_map, keywords={"_": None, "N_": None}, options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}})}
    assert len(ids) > 100
    names = lambda text: sorted(re.findall(r"%\((\w+)\)s", text)) + sorted(f for _, f, _, _ in Formatter().parse(text) if f)
    for lang in ("kk", "ru"):
        po = web / "locale" / lang / "LC_MESSAGES" / "web.po"
        with po.open("rb") as f:
            catalog = {m.id: m.string for m in read_po(f) if m.id}
        # Babel keeps the last of two entries of one message silently: a message is written once.
        entries = re.findall(r'^msgid ((?:".*"\n)+)', po.read_text(), re.M)
        assert len(entries) == len(catalog) + 1, (lang, "a message written twice")      # + the header's empty id
        assert not ids - set(catalog), (lang, ids - set(catalog))
        assert not set(catalog) - ids, (lang, "messages no page uses", set(catalog) - ids)
        for message in ids:
            assert catalog[message] and names(catalog[message]) == names(message), (lang, message)


def test_the_api_keeps_its_own_answers_beside_the_pages(world):
    client = TestClient(world["app"])
    assert client.get("/api/v1/no-such-route").json() == {"detail": "Not Found"}
    assert client.post("/api/v1/health").status_code == 405
    assert client.get("/api/v1/health").json()["status"] == "ok"
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")


def test_a_wrong_password_is_said_beside_the_form_and_every_role_starts_on_a_page_of_its_own(world):
    client = TestClient(world["app"], follow_redirects=False)
    client.cookies.set("komek_lang", "ru")
    form = client.get("/signin")
    wrong = client.post("/signin", data={"username": "citizen", "password": "not the password", "next": "/",
                                         "csrf": token(form.text)})
    assert wrong.status_code == 401 and "Неверное имя пользователя или пароль." in wrong.text
    assert 'id="username" name="username" value="citizen"' in wrong.text and "not the password" not in wrong.text
    starts = set()
    for role in access.ROLES:
        name = {"citizen": "citizen", "caseworker": "case", "auditor": "auditor"}.get(role)
        if name is None:
            name = f"start-{role}"
            access.add(world["url"], name, PASSWORD, role, (world["region"],) if role == "supervisor" else ())
        person = signed_in(world, name, "en")
        home = person.get("/")
        assert home.status_code == 303, (role, home.text[:200])
        assert person.get(home.headers["location"]).status_code == 200, role
        starts.add(home.headers["location"])
    assert len(starts) == len(access.ROLES)          # each role its own start page


def test_the_queue_comes_a_page_at_a_time_in_the_services_order(world, monkeypatch):
    from komek.web import casework
    for month in ("2026-07", "2026-08", "2026-09"):
        applications.file(world["actors"]["citizen"], world["db"], {"measure": "tsa", "month": month}, f"queue-page-{month}")
    case = access.authenticate(world["url"], "case", PASSWORD)
    whole = [a["id"] for a in applications.listing(case, world["url"], limit=applications.MAX_PAGE)["items"]]
    assert len(whole) >= 3
    monkeypatch.setattr(casework, "QUEUE_PAGE", 2)
    client, seen, path = signed_in(world, "case"), [], "/casework/queue"
    while path:
        page = client.get(path)
        assert page.status_code == 200
        seen += [int(i) for i in re.findall(r'<td><a href="/casework/applications/(\d+)">', page.text)]
        following = re.search(r'<a href="(/casework/queue\?cursor=[^"]+)" rel="next">', page.text)
        path = following.group(1).replace("&amp;", "&") if following else None
    assert seen == whole                        # every open application once, in the service's order
    assert client.get("/casework/queue?cursor=not-a-cursor").headers["location"] == "/casework/queue"


def test_the_card_says_where_each_kind_of_fact_comes_from(world):
    from komek.kz import contract, registry_inputs
    page = signed_in(world, "case", "en").get(f"/casework/households/{world['household']}").text
    facts = page[page.index('id="facts-title"'):]
    for table in registry_inputs.TABLES:
        row = re.search(rf"<tr><td><code>{table}</code></td><td lang=\"en\">([^<]+)</td><td>([^<]+)</td></tr>", facts)
        assert row and row.group(1) == contract().tables[table].source, table
        assert row.group(2) == ("received" if world["db"].has(table) else "not received: what rests on it is not known")
