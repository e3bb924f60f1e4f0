"""The web pages in a real browser (Playwright driving Debian's chromium, never a downloaded one):
a citizen applies in Russian (switched to on the sign-in page), a caseworker working in Kazakh
with the keyboard only takes the application into review and approves it after reading the
explanation, and the citizen sees the decision. On every page visited: axe-core finds no serious
or critical WCAG 2.1 A/AA violation, the page reflows at 200% zoom without a horizontal scroll
bar, the browser reports no Content-Security-Policy violation, and a screenshot is saved to the
test output folder (KOMEK_TEST_OUTPUT, default test-output/) under web/."""
from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from babel.numbers import format_decimal

from komek.registry.db import session
from komek.registry.models import Application
from komek.services import applications
from web_world import PASSWORD, ROOT, build, close

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
AXE = ROOT / "tests" / "assets" / "axe-4.10.2.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
OUT = Path(os.environ.get("KOMEK_TEST_OUTPUT", ROOT / "test-output")) / "web"
WIDE, ZOOMED = {"width": 1280, "height": 900}, {"width": 640, "height": 450}     # 200% zoom of the same window

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium "
                                "(apt-get install -y chromium; .ci/run installs it)")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    world = build("sqlite", tmp_path_factory.mktemp("browser"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    served = uvicorn.Server(uvicorn.Config(world["app"], host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    for _ in range(100):
        if served.started:
            break
        time.sleep(0.1)
    yield {**world, "base": f"http://127.0.0.1:{port}", "db_base": world["base"]}
    served.should_exit = True
    thread.join(10)
    close({**world})


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Visit:
    """A person's browser: every page it checks is screenshotted, run through axe and zoomed."""

    def __init__(self, browser, base: str, locale: str, who: str):
        self.context = browser.new_context(locale=locale, base_url=base, viewport=WIDE)
        self.context.add_init_script(path=str(AXE))      # the test's own asset, not the site's: CSP stays as served
        self.page, self.who, self.problems = self.context.new_page(), who, []
        # A CSP violation or a script error is a console error; a page's own 4xx (a form refused) is not a problem,
        # a style sheet, script or icon that fails to load is.
        self.page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" and not m.text.startswith(
            "Failed to load resource") else None)
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("response", lambda r: self.problems.append(f"{r.status} {r.url}") if r.status >= 400 and
                     r.request.resource_type != "document" else None)

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("networkidle")
        OUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUT / f"{self.who}-{name}.png"), full_page=True)
        found = page.evaluate("async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
                              ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))", WCAG)
        serious = [v for v in found if v["impact"] in ("serious", "critical")]
        assert not serious, (name, serious)
        page.set_viewport_size(ZOOMED)
        wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        page.screenshot(path=str(OUT / f"{self.who}-{name}-200.png"), full_page=True)
        page.set_viewport_size(WIDE)
        assert wide <= 0, f"{name}: {wide}px of horizontal scrolling at 200% zoom"
        assert not self.problems, (name, self.problems)

    def tab_to(self, selector: str, limit: int = 60) -> None:
        """Tab until `selector` has the focus, as a person with a keyboard only would."""
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            if self.page.evaluate("s => document.activeElement.matches(s)", selector):
                return
        pytest.fail(f"{selector} is not reached with the Tab key")


def test_a_citizen_applies_in_russian_a_caseworker_approves_by_keyboard_and_the_citizen_sees_it(server, browser):
    citizen = Visit(browser, server["base"], "kk-KZ", "citizen")
    page = citizen.page
    page.goto("/my/apply")
    assert re.search(r"/signin\?next=%2Fmy%2Fapply$", page.url) and page.locator("html").get_attribute("lang") == "kk"
    citizen.check("signin-kk")
    page.get_by_role("link", name="Русский").click()
    assert page.locator("html").get_attribute("lang") == "ru"
    page.get_by_label("Имя пользователя").fill("citizen")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
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
    elsewhere.page.get_by_label("Username").fill("elsewhere")
    elsewhere.page.get_by_label("Password").fill(PASSWORD)
    elsewhere.page.get_by_role("button", name="Sign in").click()
    answer = elsewhere.page.goto(f"/casework/households/{server['household']}")
    assert answer.status == 403 and "does not allow you to see this page" in elsewhere.page.inner_text("main")
    elsewhere.check("forbidden")

    page.goto("/my/applications")
    row = page.locator(f"tr:has(a[href='/my/applications/{app_id}'])")
    assert "Одобрено" in row.inner_text()
    citizen.check("decision-seen")
