"""The analyst's pages in a real browser: an analyst working in Kazakh reads the month's
statistics and the monitoring, uploads a reform document (a wrong one first: the error beside
the field), follows the run's progress as the page polls it, and sees the reform's charts appear
when the job has run. Every page is checked (axe-core, 200% zoom, CSP, screenshot)."""
from __future__ import annotations

import pytest

from browser_world import *  # noqa: F403 (the fixtures and Visit)
from browser_world import Visit, needs_chromium
from komek import access
from komek.services import jobs
from komek.web.pages import MONTH
from web_world import PASSWORD, ROOT

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def analyst(server):
    """An analyst, and the month's simulation and scoring run, so the statistics have something to show."""
    actor = access.add(server["url"], "analyst", PASSWORD, "analyst")
    cfg = server["app"].state.settings
    for kind in ("simulation", "score"):
        jobs.run(cfg, jobs.submit(server["url"], kind, {"month": MONTH}, actor)["id"])
    return cfg


def test_an_analyst_in_kazakh_runs_a_reform_and_sees_its_chart(server, browser, analyst, tmp_path):
    visit = Visit(browser, server["base"], "kk-KZ", "analyst")
    page = visit.page
    page.goto("/")
    visit.sign_in("analyst")
    assert page.url.endswith("/analysis/statistics") and page.locator("html").get_attribute("lang") == "kk"
    assert page.locator("#support-title + p + table tbody tr").count() > 0
    assert "жасырылған (10-нан аз)" in page.locator("main").inner_text()
    visit.check("statistics")
    page.get_by_role("link", name="Мемлекеттік қызметтер мониторингі").click()
    visit.check("monitoring")
    page.get_by_role("link", name="Реформалар").first.click()
    visit.check("reforms")

    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("start: 2026-01-01\nparameters:\n  tsa.nope: 1\n", "utf-8")
    page.get_by_label("Реформа құжаты (YAML файлы)").set_input_files(str(wrong))
    page.get_by_role("button", name="Реформаны есептеу").click()
    assert "reform.parameters.tsa.nope" in page.locator("#document-error").inner_text()
    assert page.locator("#document").get_attribute("aria-describedby") == "document-error"
    visit.check("reforms-error")

    page.get_by_label("Реформа құжаты (YAML файлы)").set_input_files(str(ROOT / "docs" / "examples" / "reform-tsa-line.yaml"))
    page.get_by_role("button", name="Реформаны есептеу").click()
    job_id = int(page.url.rsplit("/", 1)[1])
    assert "кезекте" in page.locator("#progress").inner_text() and page.locator("svg.bars").count() == 0
    visit.check("reform-queued")
    with page.expect_response(lambda r: r.url.endswith(f"/analysis/reforms/{job_id}/progress")):   # the page polls
        pass
    jobs.run(analyst, job_id)                        # the worker's step, while the page polls
    page.locator("svg.bars rect.bar").first.wait_for(timeout=15000)
    assert page.locator("svg.bars").count() == 4 and "орындалды" in page.locator("#progress").inner_text()
    assert page.locator("#run").get_attribute("hx-trigger") is None          # polling has stopped
    visit.check("reform-done")
