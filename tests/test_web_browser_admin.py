"""The administrator's pages in a real browser: an administrator working in Russian adds a
caseworker's account with a region and Russian as its language; the new caseworker, whose browser
asks for English, signs in and gets the Russian pages, switches to Kazakh, signs out and in again
and gets Kazakh, the language kept on the account. Every page visited is checked (axe-core, 200%
zoom, CSP, screenshot)."""
from __future__ import annotations

import pytest

from browser_world import *  # noqa: F403 (the fixtures and Visit)
from browser_world import Visit, needs_chromium
from komek import access
from komek.kz import regions
from komek.registry.db import session
from komek.registry.models import Account
from web_world import PASSWORD

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def admin(server):
    return access.add(server["url"], "admin", PASSWORD, "administrator")


def lang(visit: Visit) -> str:
    return visit.page.locator("html").get_attribute("lang")


def test_an_administrator_adds_a_caseworker_in_russian_whose_pages_keep_the_accounts_language(server, browser, admin):
    office = Visit(browser, server["base"], "ru-RU", "administrator")
    page = office.page
    page.goto("/admin/accounts")
    assert lang(office) == "ru"
    office.sign_in("admin", PASSWORD)
    assert page.url.endswith("/admin/accounts")
    assert page.locator("table tbody tr").count() == len(access.list_accounts(server["url"]))
    office.check("accounts-ru")
    page.get_by_role("link", name="Добавить учётную запись").first.click()
    office.check("account-new-ru")
    page.get_by_label("Имя пользователя", exact=True).fill("marat")
    page.get_by_label("Роль", exact=True).select_option("caseworker")
    page.get_by_role("button", name="Добавить учётную запись").click()
    assert page.locator("#region-error").is_visible()                        # a caseworker serves a region
    assert page.get_by_label("Имя пользователя", exact=True).input_value() == "marat"
    office.check("account-new-error-ru")
    page.get_by_label(regions()[server["region"]]["name_ru"], exact=True).check()
    page.get_by_label("Язык страниц").select_option("ru")
    page.get_by_role("button", name="Добавить учётную запись").click()
    password = page.locator("#password").inner_text()
    office.check("account-made-ru")
    with session(server["url"]) as s:
        made = s.query(Account).filter_by(username="marat").one()
        assert (made.role, made.regions, made.language) == ("caseworker", server["region"], "ru")

    worker = Visit(browser, server["base"], "en-US", "new-caseworker")
    page = worker.page
    page.goto("/")
    assert lang(worker) == "en"                                               # the browser's language until signed in
    worker.sign_in("marat", password)
    assert page.url.endswith("/casework/queue") and lang(worker) == "ru"      # the account's
    worker.check("queue-ru")
    page.get_by_role("link", name="Қазақша").click()
    page.wait_for_url(lambda u: u.endswith("/casework/queue"))      # the click starts the navigation; its end
    assert page.url.endswith("/casework/queue") and lang(worker) == "kk"
    worker.check("queue-kk")
    page.get_by_role("button", name="Шығу").click()
    worker.context.clear_cookies()                                            # a browser that kept nothing
    page.goto("/")
    assert lang(worker) == "en"
    worker.sign_in("marat", password)
    assert page.url.endswith("/casework/queue") and lang(worker) == "kk"
    worker.check("queue-kk-again")
    with session(server["url"]) as s:
        assert s.query(Account).filter_by(username="marat").one().language == "kk"
