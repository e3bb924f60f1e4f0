"""The web pages in a real browser (Playwright driving Debian's chromium, never a downloaded one):
a citizen applies in Russian (switched to on the sign-in page), a caseworker working in Kazakh
with the keyboard only takes the application into review and approves it after reading the
explanation, and the citizen sees the decision. On every page visited: axe-core finds no serious
or critical WCAG 2.1 A/AA violation, the page reflows at 200% zoom without a horizontal scroll
bar, the browser reports no Content-Security-Policy violation, and a screenshot is saved to the
test output folder (KOMEK_TEST_OUTPUT, default test-output/) under web/."""
from __future__ import annotations

import re

from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import select

from browser_world import *  # noqa: F403 (the fixtures and Visit)
from browser_world import Visit, needs_chromium
from komek.cases import deadlines
from komek.registry.db import session
from komek.registry.models import Application, Notification, Transition
from komek.services import applications
from web_world import PASSWORD

pytestmark = needs_chromium


def test_a_citizen_applies_in_russian_a_caseworker_approves_by_keyboard_and_the_citizen_sees_it(server, browser):
    citizen = Visit(browser, server["base"], "kk-KZ", "citizen")
    page = citizen.page
    page.goto("/my/apply")
    assert re.search(r"/signin\?next=%2Fmy%2Fapply$", page.url) and page.locator("html").get_attribute("lang") == "kk"
    citizen.check("signin-kk")
    page.get_by_role("link", name="Русский").click()
    assert page.locator("html").get_attribute("lang") == "ru"
    citizen.sign_in("citizen")
    assert page.url.endswith("/my/apply")
    citizen.check("apply")
    page.get_by_label("Мера поддержки").select_option("tsa")
    page.get_by_label("Телефон для SMS о заявлении (необязательно)").fill("701 23")
    page.get_by_role("button", name="Подать заявление").click()
    assert page.locator("#phone-error").inner_text().startswith("Это не казахстанский номер")
    assert page.get_by_label("Телефон для SMS о заявлении (необязательно)").input_value() == "701 23"
    citizen.check("apply-error")
    page.get_by_label("Телефон для SMS о заявлении (необязательно)").fill("+7 701 234 56 78")
    page.get_by_role("button", name="Подать заявление").click()
    app_id = int(re.search(r"/my/applications/(\d+)", page.url).group(1))
    assert page.locator("dd.state-submitted").inner_text() == "Подано"
    citizen.check("application-filed")
    page.goto("/my/entitlements")
    assert "Адресная социальная помощь" in page.locator("main").inner_text()
    citizen.check("entitlements")
    assert applications.assess(server["url"]) == 1          # the worker's step

    case = Visit(browser, server["base"], "kk-KZ", "caseworker")
    keys = case.page
    keys.goto("/casework/queue")
    keys.keyboard.press("Tab")
    assert keys.evaluate("document.activeElement.className") == "skip"     # the skip link comes first, and shows
    assert keys.locator("a.skip").bounding_box()["x"] >= 0
    case.tab_to("#username")
    keys.keyboard.type("case")
    keys.keyboard.press("Tab")
    keys.keyboard.type(PASSWORD)
    keys.keyboard.press("Enter")
    keys.wait_for_url("**/casework/queue")
    case.check("queue")
    case.tab_to(f'a[href="/casework/applications/{app_id}"]')
    keys.keyboard.press("Enter")
    keys.wait_for_url(f"**/casework/applications/{app_id}")
    tsa = next(e["amount"] for e in server["card"]["entitlements"] if e["measure"] == "tsa")
    assert f"{format_decimal(tsa, '#,##0.00', locale='kk')} ₸" in keys.locator("section[aria-labelledby=assessment]").inner_text()
    case.check("application")
    for move, reason in (("in_review", "құжаттар тексерілді"), ("approved", "шарттар орындалды")):
        case.tab_to("input[name=to]")                 # a radio group is one Tab stop; the arrows choose in it
        keys.keyboard.press("Space")
        for _ in range(5):
            if keys.evaluate("s => document.activeElement.matches(s)", f"#to-{move}:checked"):
                break
            keys.keyboard.press("ArrowDown")
        assert keys.locator(f"#to-{move}").is_checked()
        case.tab_to("#reason")
        keys.keyboard.type(reason)
        case.tab_to("form.form button[type=submit]")
        keys.keyboard.press("Enter")
        keys.wait_for_selector(".confirm")
        assert "Растаңыз" in keys.locator(".confirm").inner_text()       # shown with the explanation, not yet made
        case.check(f"confirm-{move}")
        case.tab_to(".confirm button[type=submit]")
        keys.keyboard.press("Enter")
        keys.wait_for_url(f"**/casework/applications/{app_id}?moved=1")
    with session(server["url"]) as s:
        assert s.get(Application, app_id).state == "approved"
    case.check("decided")
    keys.goto("/casework/search")
    case.tab_to("#iin")
    keys.keyboard.type(server["citizen"])
    keys.keyboard.press("Enter")                                          # htmx swaps the results in place
    keys.wait_for_selector("#results table")
    assert server["household"] in keys.locator("#results").inner_text()
    case.check("search")
    keys.goto(f"/casework/households/{server['household']}")
    case.check("household")

    elsewhere = Visit(browser, server["base"], "en-GB", "elsewhere")
    elsewhere.page.goto("/signin")
    elsewhere.sign_in("elsewhere")
    answer = elsewhere.page.goto(f"/casework/households/{server['household']}")
    assert answer.status == 403 and "does not allow you to see this page" in elsewhere.page.inner_text("main")
    elsewhere.check("forbidden")

    page.goto("/my/applications")
    row = page.locator(f"tr:has(a[href='/my/applications/{app_id}'])")
    assert "Одобрено" in row.inner_text()
    citizen.check("decision-seen")
    page.goto(f"/my/applications/{app_id}")
    with session(server["url"]) as s:
        granted = s.scalars(select(Notification).where(Notification.about == f"application:{app_id}",
                                                       Notification.template == "application_granted")).one()
        a = s.get(Application, app_id)
        decided = s.scalars(select(Transition.at).where(Transition.application_id == app_id,
                                                        Transition.to_state == "approved")).one()
    assert granted.language == "ru" and granted.text in page.locator("section[aria-labelledby=sent]").inner_text()
    # Decided within the deadline: the day of the decision (Kazakhstan's) is on or before the due date shown.
    assert deadlines.today(decided) <= a.due_date
    assert format_date(a.due_date, "long", locale="ru") in page.locator("dl").inner_text()
    citizen.check("notification-seen")
