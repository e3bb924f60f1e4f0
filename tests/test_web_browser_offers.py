"""The citizen's offers, appointments and access log in a real browser (Debian's chromium), in
Kazakh: the citizen consents to an offer, books an appointment (the free times updated in place
as the service and region are chosen), cancels it after confirming, and sees on the access page
the caseworker who opened the family's card. Every page is checked as in test_web_browser.py."""
from __future__ import annotations

import datetime as dt

import pytest

from browser_world import *  # noqa: F403 (the fixtures and Visit)
from browser_world import Visit, needs_chromium
from komek.cases.deadlines import today
from komek.registry.db import session
from komek.registry.models import Consent, Reservation
from offers_world import offer, slots
from web_world import signed_in

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def planted(server):
    url = server["url"]
    made, day = slots(url, server["region"], 3)
    return {"offer": offer(url, server["citizen"], server["household"], server["region"], today() + dt.timedelta(days=3)),
            "slots": made, "day": day}


def test_a_citizen_in_kazakh_consents_books_cancels_and_sees_who_looked(server, browser, planted):
    citizen = Visit(browser, server["base"], "kk-KZ", "citizen-offers")
    page = citizen.page
    page.goto("/my/offers")
    citizen.sign_in("citizen")
    assert page.url.endswith("/my/offers") and page.locator("html").get_attribute("lang") == "kk"
    citizen.check("offers")
    shown = page.locator(f"#offer-{planted['offer']}-yes").inner_text()
    page.locator(f"#offer-{planted['offer']}").get_by_role("button", name="Келісемін").click()
    assert "Келісім бердіңіз" in page.get_by_role("status").inner_text()
    citizen.check("offer-consented")
    with session(server["url"]) as s:
        (c,) = s.query(Consent).filter(Consent.offer_id == planted["offer"]).all()
    assert (c.channel, c.text_shown) == ("web", shown)

    page.get_by_role("link", name="Менің жазылуларым").click()
    citizen.check("appointments")
    page.get_by_label("Қызмет").select_option("mse_exam")
    page.get_by_label("Мекеменің өңірі").select_option(server["region"])
    page.get_by_label("Бастап күні (жыл-ай-күн)").fill(planted["day"])
    first = planted["slots"][0]["id"]
    hold = page.locator(f"form:has(input[name=slot_id][value='{first}'])").get_by_role("button")
    page.wait_for_url(f"**/my/appointments?service=mse_exam&region={server['region']}&on={planted['day']}")
    hold.wait_for()                                        # the free times, swapped in place by htmx
    citizen.check("appointments-free")
    hold.click()
    page.wait_for_url(lambda u: "?held=1" in u)      # the click starts the navigation; its end
    assert "?held=1" in page.url
    citizen.check("appointment-held")
    page.get_by_role("button", name="Жазылуды растау").click()
    rid = int(page.url.split("/my/appointments/")[1].split("?")[0])
    assert page.locator("dd.state-booked").count() == 1
    page.get_by_role("button", name="Жазылудан бас тарту").click()
    assert page.locator(".confirm").inner_text().startswith("Растаңыз")
    citizen.check("appointment-cancel-confirm")
    page.get_by_role("button", name="Иә, бас тартамын").click()
    assert "Жазылудан бас тартылды" in page.get_by_role("status").inner_text()
    with session(server["url"]) as s:
        assert s.get(Reservation, rid).state == "cancelled"
    citizen.check("appointment-cancelled")

    assert signed_in(server, "case").get(f"/casework/households/{server['household']}").status_code == 200
    page.get_by_role("link", name="Деректерімді кім қарады").click()
    row = page.locator("tr", has_text="a caseworker reads the household card").first
    assert "case" in row.inner_text() and "Әлеуметтік қызметкер" in row.inner_text()
    citizen.check("access")
