"""The auditor's pages in a real browser (Debian's chromium through Playwright): an auditor
working in Russian filters the findings by check and state, opens one, is told beside the field
that a dismissal needs its reason, dismisses it with one, and sees the share dismissed of that
check change on the summary. Every page visited is checked (axe-core, 200% zoom, CSP, screenshot)."""
from __future__ import annotations

import pytest
from babel.numbers import format_percent
from sqlalchemy import func, select

from browser_world import *  # noqa: F403 (the fixtures and Visit)
from browser_world import Visit, needs_chromium
from komek.registry.db import session
from komek.registry.models import AuditFinding
from komek.services.audit import run_audit

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def audited(server, tmp_path_factory):
    """The audit of the served registry saved into it; the check with the most findings."""
    run_audit(server["db"], tmp_path_factory.mktemp("audit"), save_to=server["url"])
    with session(server["url"]) as s:
        return s.execute(select(AuditFinding.check).group_by(AuditFinding.check)
                         .order_by(func.count().desc(), AuditFinding.check)).scalars().first()


def share(url: str, check: str) -> str:
    with session(url) as s:
        counted = lambda *where: s.scalar(select(func.count()).select_from(AuditFinding).where(  # noqa: E731
            AuditFinding.check == check, *where))
        return format_percent(counted(AuditFinding.review_state == "dismissed") / counted(), "#,##0.0%", locale="ru")


def test_an_auditor_in_russian_dismisses_a_finding_and_sees_the_share_dismissed_change(server, browser, audited):
    check = audited
    auditor = Visit(browser, server["base"], "ru-RU", "auditor")
    page = auditor.page
    page.goto("/audit/summary")
    assert page.locator("html").get_attribute("lang") == "ru"
    auditor.sign_in("auditor")
    assert page.url.endswith("/audit/summary")
    cell = page.locator(f"#check-{check} td.dismissed-share")
    before = cell.inner_text()
    assert before == share(server["url"], check)
    auditor.check("summary")

    page.get_by_role("link", name="Находки аудита").click()
    page.get_by_label("Проверка").select_option(check)
    page.get_by_label("Состояние").select_option("open")
    page.get_by_role("button", name="Показать").click()
    page.wait_for_url(lambda u: "state=open" in u)      # the click starts the navigation; its end
    assert f"check={check}" in page.url and "state=open" in page.url
    rows = page.locator("main table tbody tr")
    assert rows.count() > 0 and all(s == "Открыта" for s in page.locator("main tbody td.state-open").all_inner_texts())
    auditor.check("findings")
    link = rows.first.locator("a")
    finding_id = link.inner_text()
    link.click()
    page.wait_for_url(f"**/audit/findings/{finding_id}")
    assert "не санкция" in page.locator("main").inner_text()
    auditor.check("finding")

    page.get_by_label("Отклонить: выплата в порядке").check()
    page.get_by_role("button", name="Записать решение").click()
    assert page.locator("#reason-error").inner_text().startswith("Укажите, почему выплата в порядке")
    assert page.get_by_label("Отклонить: выплата в порядке").is_checked()
    auditor.check("finding-error")
    page.get_by_label("Отклонение: почему выплата в порядке").fill("выплата подтверждена документами семьи")
    page.get_by_role("button", name="Записать решение").click()
    page.wait_for_url(f"**/audit/findings/{finding_id}?reviewed=1")
    assert page.get_by_role("status").inner_text() == "Готово: находка теперь «Отклонена»."
    auditor.check("finding-dismissed")

    page.get_by_role("link", name="Находки по проверкам").first.click()
    after = page.locator(f"#check-{check} td.dismissed-share").inner_text()
    assert after == share(server["url"], check) and after != before
    auditor.check("summary-after")
