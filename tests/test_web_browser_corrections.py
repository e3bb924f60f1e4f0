"""The citizen's what-if, corrections and messages in a real browser (Debian's chromium), in
Kazakh: the entitlements with what would change them, a correction refused beside its field
then filed, the application with the message written about it, and the messages page. Every
page is checked as in test_web_browser.py."""
from __future__ import annotations

import re

from browser_world import *  # noqa: F403 (the fixtures and Visit)
from browser_world import Visit, needs_chromium
from komek.registry.db import session
from komek.registry.models import Application, Notification

pytestmark = needs_chromium


def test_a_citizen_in_kazakh_reads_the_what_if_corrects_a_fact_and_sees_the_messages(server, browser):
    citizen = Visit(browser, server["base"], "kk-KZ", "citizen-corrections")
    page = citizen.page
    page.goto("/my/entitlements")
    citizen.sign_in("citizen")
    assert "Бұл шешім емес, болжам" in page.locator("main").inner_text()
    citizen.check("entitlements-whatif")
    page.goto("/my/apply")
    page.get_by_label("Қолдау шарасы").select_option("tsa")
    page.locator("#fix_members").fill("екі")
    page.get_by_role("button", name="Өтініш беру").click()
    assert page.locator("#fix_members-error").inner_text().startswith("Мүшелер санын")
    assert page.locator("#fix_members").input_value() == "екі"
    citizen.check("apply-correction-error")
    page.locator("#fix_members").fill("2")
    page.locator("#note_members").fill("ұлым туды, туу туралы куәлік бар")
    page.locator("#phone").fill("+7 701 234 56 78")
    page.get_by_role("button", name="Өтініш беру").click()
    app_id = int(re.search(r"/my/applications/(\d+)", page.url).group(1))
    with session(server["url"]) as s:
        assert '"value": "2"' in s.get(Application, app_id).corrections
        written = s.query(Notification).filter(Notification.about == f"application:{app_id}").one()
    assert written.text in page.locator("section[aria-labelledby=sent]").inner_text()
    assert "ұлым туды" in page.locator("section[aria-labelledby=corrections]").inner_text()
    citizen.check("application-corrections")
    page.get_by_role("link", name="Маған жіберілген хабарламалар").click()
    assert written.text in page.locator("main table").inner_text()
    citizen.check("notifications")
