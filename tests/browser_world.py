"""What the browser tests share: Debian's chromium driven by Playwright (never a downloaded
browser), the pages served on a loopback port over the web tests' world, and a person's browser
(`Visit`) whose every checked page is screenshotted to the test output folder (KOMEK_TEST_OUTPUT,
default test-output/, under web/), run through axe-core (no serious or critical WCAG 2.1 A/AA
violation), zoomed to 200% (no horizontal scroll bar) and watched for CSP violations and script
errors. A test module uses it with `from browser_world import *` and `pytestmark = needs_chromium`."""
from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from web_world import PASSWORD, ROOT, build

__all__ = ["CHROMIUM", "OUT", "Visit", "browser", "needs_chromium", "server", "sync_api"]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
AXE = ROOT / "tests" / "assets" / "axe-4.10.2.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
OUT = Path(os.environ.get("KOMEK_TEST_OUTPUT", ROOT / "test-output")) / "web"
WIDE, ZOOMED = {"width": 1280, "height": 900}, {"width": 640, "height": 450}     # 200% zoom of the same window

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium "
                                "(apt-get install -y chromium; .ci/run installs it)")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with build("sqlite", tmp_path_factory.mktemp("browser")) as world:
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
        yield {**world, "base": f"http://127.0.0.1:{port}"}
        served.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


# The sign-in form's labels and button, by the page's language.
SIGN_IN = {"en": ("Username", "Password", "Sign in"), "ru": ("Имя пользователя", "Пароль", "Войти"),
           "kk": ("Пайдаланушы аты", "Құпиясөз", "Кіру")}


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

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        """Sign in on the sign-in page shown, by its labels in the page's language, and wait for the
        page it leads to (a click starts the navigation; it does not wait for its end)."""
        user, secret, button = SIGN_IN[self.page.locator("html").get_attribute("lang")]
        self.page.get_by_label(user).fill(username)
        self.page.get_by_label(secret).fill(password)
        self.page.get_by_role("button", name=button).click()
        self.page.wait_for_url(lambda url: "/signin" not in url)
        self.page.wait_for_load_state()

    def tab_to(self, selector: str, limit: int = 60) -> None:
        """Tab until `selector` has the focus, as a person with a keyboard only would."""
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            if self.page.evaluate("s => document.activeElement.matches(s)", selector):
                return
        pytest.fail(f"{selector} is not reached with the Tab key")
