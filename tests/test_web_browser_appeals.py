"""Appeals and general requests in a real browser: a citizen in Russian appeals a caseworker's
refusal (the missing grounds said beside the field first), a supervisor working in Kazakh decides
the appeal upheld after the confirmation, and the citizen sees the outcome; the citizen then files
a general request and sees its status. Every page visited is checked (axe-core, 200% zoom, CSP,
screenshots), as browser_world's Visit does."""
from __future__ import annotations

import re

import pytest

from browser_world import *  # noqa: F403 (the fixtures and Visit)
from browser_world import Visit, needs_chromium
from komek import access
from komek.registry.db import session
from komek.registry.models import Appeal, Application, CitizenRequest
from komek.services import applications
from web_world import PASSWORD

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def refusal(server) -> int:
    """A supervisor of the citizen's region, and the citizen's TSA application refused by its caseworker."""
    access.add(server["url"], "supervisor", PASSWORD, "supervisor", (server["region"],))
    answer, _ = applications.file(server["actors"]["citizen"], server["db"], {"measure": "tsa", "month": "2026-10"},
                                  "browser-refusal")
    applications.assess(server["url"])
    for to, why in (("in_review", "документы проверены"), ("rejected", "доход не подтверждён справкой")):
        applications.move(server["actors"]["case"], server["url"], answer["id"], to, why)
    return answer["id"]


def test_a_citizen_appeals_in_russian_a_supervisor_upholds_it_in_kazakh_and_the_citizen_sees_it(server, browser, refusal):
    citizen = Visit(browser, server["base"], "ru-RU", "appeals-citizen")
    page = citizen.page
    page.goto(f"/my/applications/{refusal}")
    assert page.locator("html").get_attribute("lang") == "ru"
    citizen.sign_in("citizen")
    page.wait_for_url(f"**/my/applications/{refusal}")
    assert "может быть обжаловано руководителю региона до" in page.locator("section[aria-labelledby=appeal]").inner_text()
    citizen.check("application-refused")
    page.get_by_role("button", name="Обжаловать решение").click()
    assert page.locator("#grounds-error").inner_text().startswith("Укажите, почему решение неверно")
    citizen.check("appeal-error")
    page.get_by_label("Ваши доводы: почему решение неверно").fill("Справка о доходе есть, доход семьи упал в августе.")
    page.get_by_role("button", name="Обжаловать решение").click()
    page.wait_for_url(re.compile(r"/my/appeals/\d+\?filed=1$"))
    appeal_id = int(re.search(r"/my/appeals/(\d+)", page.url).group(1))
    assert page.locator("dd.state-filed").inner_text() == "Подана"
    citizen.check("appeal-filed")
    page.goto("/my/appeals")
    assert "Подана" in page.locator(f"tr:has(a[href='/my/appeals/{appeal_id}'])").inner_text()
    citizen.check("appeals")

    boss = Visit(browser, server["base"], "kk-KZ", "appeals-supervisor")
    desk = boss.page
    desk.goto("/")
    boss.sign_in("supervisor")
    desk.wait_for_url("**/supervision/appeals")
    boss.check("queue")
    desk.locator(f"a[href='/supervision/appeals/{appeal_id}']").click()
    decision = desk.locator("section[aria-labelledby=decision-title]").inner_text()
    assert "доход не подтверждён справкой" in decision and "доход семьи упал в августе" in desk.inner_text("main")
    boss.check("appeal")
    desk.get_by_label("Қанағаттандырылды: шешім шағымданушының пайдасына өзгертілді").check()
    desk.get_by_label("Себептері (шағымданушы оқиды)").fill("Табыс туралы анықтама ұсынылды, шарттар орындалды.")
    desk.get_by_role("button", name="Жалғастыру").click()
    assert "Нәтижені растаңыз" in desk.locator(".confirm").inner_text()
    with session(server["url"]) as s:
        assert s.get(Appeal, appeal_id).state == "filed"                     # shown, not yet made
    boss.check("confirm")
    desk.locator(".confirm button[type=submit]").click()
    desk.wait_for_url(f"**/supervision/appeals/{appeal_id}?decided=1")
    with session(server["url"]) as s:
        assert (s.get(Appeal, appeal_id).outcome, s.get(Application, refusal).state) == ("upheld", "approved")
    boss.check("decided")

    page.goto(f"/my/appeals/{appeal_id}")
    outcome = page.locator("section[aria-labelledby=outcome-title]").inner_text()
    assert "Удовлетворена: решение изменено в пользу заявителя" in outcome and "анықтама ұсынылды" in outcome
    citizen.check("outcome-seen")


def test_a_citizen_files_a_general_request_and_sees_its_status(server, browser):
    citizen = Visit(browser, server["base"], "ru-RU", "requests-citizen")
    page = citizen.page
    page.goto("/my/requests")
    citizen.sign_in("citizen")
    page.wait_for_url("**/my/requests")
    citizen.check("requests-empty")
    page.get_by_role("link", name="Подать обращение").click()
    citizen.check("request-form")
    page.get_by_label("О чём обращение").select_option("lighting")
    page.get_by_label("Регион").select_option(server["region"])
    page.get_by_label("Город или село").fill("Костанай")
    page.get_by_label("Телефон для SMS об обращении").fill("+7 701 234 56 78")
    page.get_by_role("button", name="Отправить обращение").click()
    assert page.locator("#text-error").inner_text().startswith("Напишите обращение")
    assert page.get_by_label("Город или село").input_value() == "Костанай"
    citizen.check("request-error")
    page.get_by_label("Ваше обращение").fill("Во дворе дома 5 третью неделю не горит фонарь.")
    page.get_by_role("button", name="Отправить обращение").click()
    page.wait_for_url(re.compile(r"/my/requests/\d+\?filed=1$"))
    rid = int(re.search(r"/my/requests/(\d+)", page.url).group(1))
    with session(server["url"]) as s:
        assert s.get(CitizenRequest, rid).state == "received"
    assert page.locator("dd.state-received").inner_text() == "Получено"
    citizen.check("request-filed")
    page.goto("/my/requests")
    assert "Получено" in page.locator(f"tr:has(a[href='/my/requests/{rid}'])").inner_text()
    citizen.check("requests")
