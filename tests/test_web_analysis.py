"""The analyst's pages over plain HTTP, on SQLite and on PostgreSQL: the statistics, the
targeting and the monitoring shown as the services computed them (a cell of fewer than ten
suppressed, a part no run has computed said to be not known, never zero), a reform document
checked as the API checks it (an error beside the field, no job queued), a reform run followed
until its charts and tables show the job's own summary, and every other role refused."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import func, select

from komek import access
from komek.kz import region_name
from komek.kz.summary import CONTRIBUTIONS, MEASURES
from komek.registry.db import session
from komek.registry.models import Job
from komek.services import jobs, monitoring
from komek.services.statistics import statistics
from komek.web import i18n
from komek.web.pages import MONTH
from web_world import PASSWORD, ROOT, build, signed_in, token

REFORM = (ROOT / "docs" / "examples" / "reform-tsa-line.yaml").read_text("utf-8")
SUPPRESSED = "suppressed (under 10)"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    with build(request.param, tmp_path_factory.mktemp("analysis")) as made:
        made["actors"]["analyst"] = access.add(made["url"], "analyst", PASSWORD, "analyst")
        cfg = made["app"].state.settings
        for kind in ("simulation", "score"):           # the month's runs the statistics read
            jobs.run(cfg, jobs.submit(made["url"], kind, {"month": MONTH}, made["actors"]["analyst"])["id"])
        yield {**made, "cfg": cfg}


def jobs_count(world) -> int:
    with session(world["url"]) as s:
        return s.scalar(select(func.count()).select_from(Job))


def rows(page: str, section: str) -> list[list[str]]:
    """The body rows of the table in the section `section`, each cell's text."""
    part = re.search(rf'<section[^>]*aria-labelledby="{section}-title".*?</section>', page, re.S).group(0)
    body = re.search(r"<tbody>(.*?)</tbody>", part, re.S).group(1)
    cell = lambda c: html.unescape(re.sub(r"<[^>]+>", "", c)).strip()          # noqa: E731
    return [[cell(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)] for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def shown(row: dict, name: str, kind: str = "count", lang: str = "en") -> str:
    value = row[name]
    if value is None:
        return SUPPRESSED if row["suppressed"] else "not known"
    if kind == "money":
        return i18n.money(value, lang)
    if kind == "share":
        return f"{i18n.format_decimal(round(value * 100, 1), locale=lang)} %"
    return i18n.format_decimal(value, locale=lang)


def test_the_statistics_are_the_services_own_suppressed_aggregates(world):
    analyst = signed_in(world, "analyst", "en")
    assert analyst.get("/").headers["location"] == "/analysis/statistics"
    page = analyst.get(f"/analysis/statistics?month={MONTH}")
    assert page.status_code == 200
    expected = statistics(world["url"], MONTH, world["actors"]["analyst"])
    assert expected["not_known"] == {}
    support = expected["support"]["rows"]
    name = lambda m: i18n.gettext("en")(MEASURES.get(m) or CONTRIBUTIONS.get(m, m))        # noqa: E731
    assert rows(page.text, "support") == [[region_name(r["region_code"], "en"), name(r["measure"]), shown(r, "recipients"),
                                           shown(r, "spending", "money")] for r in support]
    assert any(r["suppressed"] for r in support) and any(not r["suppressed"] and r["recipients"] for r in support)
    assert sum(row.count(SUPPRESSED) for row in rows(page.text, "support")) == sum(
        (r["recipients"] is None) + (r["spending"] is None) for r in support if r["suppressed"])
    targeting = expected["targeting"]["rows"]
    assert rows(page.text, "targeting") == [
        [name(r["measure"]), shown(r, "recipients"), shown(r, "spending", "money"), shown(r, "DE_coverage", "share"), shown(r, "to_DE", "share"),
         shown(r, "to_bottom_quintile", "share"), shown(r, "leakage_AB", "share")] for r in targeting]
    levels = {(r["region_code"], r["level"]): r for r in expected["levels"]["rows"]}
    regions = sorted({code for code, _ in levels})
    assert rows(page.text, "levels") == [[region_name(code, "en"), *(shown(levels[code, lv], "households")
                                          for lv in ("A", "B", "C", "D", "E", "not known"))] for code in regions]


def test_a_part_no_run_has_computed_is_not_known_never_zero(world):
    page = signed_in(world, "analyst", "ru").get("/analysis/statistics?month=2026-09").text
    for part in ("support", "targeting", "levels"):
        section = re.search(rf'aria-labelledby="{part}-title".*?</section>', page, re.S).group(0)
        assert "Не известно" in section and "<table>" not in section, part
    assert "POST /api/v1/simulations" in page and "POST /api/v1/scores" in page


def test_the_monitoring_is_the_services_with_its_small_cells_suppressed(world):
    citizen = signed_in(world, "citizen", "en")
    form = citizen.get("/my/apply").text
    key = re.search(r'name="key" value="([^"]+)"', form).group(1)
    filed = citizen.post("/my/apply", data={"csrf": token(form), "key": key, "measure": "tsa", "month": MONTH,
                                            "phone": "8 701 234 56 78"})
    assert filed.status_code == 303
    month = dt.date.today().isoformat()[:7]        # filed today: counted in this month
    expected = monitoring.read(world["actors"]["analyst"], world["url"], month)
    page = signed_in(world, "analyst", "en").get(f"/analysis/monitoring?month={month}").text
    by_region = expected["by_region"]
    assert by_region and by_region[0]["applications"] is None and by_region[0]["suppressed"]   # one application
    assert rows(page, "regions") == [[region_name(r["region_code"], "en"), shown(r, "applications"), shown(r, "decisions"),
                                      shown(r, "on_time_share", "share"), shown(r, "median_working_days"),
                                      shown(r, "open_at_end"), shown(r, "overdue_at_end"), shown(r, "appeals"),
                                      shown(r, "offers")] for r in by_region]
    assert len(re.findall(r"<li>", re.search(r'aria-labelledby="alerts-title".*?</section>', page, re.S).group(0))) == len(expected["alerts"])


def test_a_wrong_reform_document_is_shown_again_with_its_error_and_queues_nothing(world):
    analyst = signed_in(world, "analyst", "kk")
    before = jobs_count(world)
    csrf = token(analyst.get("/analysis/reforms").text)
    for document, month, field, said in [
            ("start: [2026", MONTH, "document", "YAML"),
            (REFORM.replace("tsa.poverty_line.median_share", "tsa.nope"), MONTH, "document", "reform.parameters.tsa.nope"),
            (REFORM.replace("2026-01-01", "soon"), MONTH, "document", "reform.start"),
            ("", MONTH, "document", "docs/examples/reform-tsa-line.yaml"),
            (REFORM, "2026-13", "month", "2026-10")]:
        answer = analyst.post("/analysis/reforms", data={"csrf": csrf, "month": month, "document": document})
        assert answer.status_code == 422, (field, answer.text)
        page = answer.text
        error = re.search(rf'<span class="error" id="{field}-error">(.*?)</span>\s*</p>', page, re.S)
        assert error and said in html.unescape(error.group(1)), (field, said)
        assert f'aria-invalid="true" aria-describedby="{field}-error"' in page
        assert html.escape(document, quote=False) in page and f'value="{month}"' in page      # what was typed is kept
    assert jobs_count(world) == before


def test_a_reform_uploaded_runs_and_its_charts_are_the_jobs_summary(world):
    analyst = signed_in(world, "analyst", "en")
    csrf = token(analyst.get("/analysis/reforms").text)
    before = jobs_count(world)
    sent = analyst.post("/analysis/reforms", data={"csrf": csrf, "month": MONTH},
                        files={"upload": ("reform.yaml", REFORM.encode(), "application/yaml")})
    assert sent.status_code == 303 and jobs_count(world) == before + 1
    job_id = int(sent.headers["location"].rsplit("/", 1)[1])
    waiting = analyst.get(sent.headers["location"]).text
    assert f'hx-get="/analysis/reforms/{job_id}/progress" hx-trigger="every 2s"' in waiting and "<svg" not in waiting
    assert f'/analysis/reforms/{job_id}"' in analyst.get("/analysis/reforms").text          # listed among my runs
    jobs.run(world["cfg"], job_id)
    done = analyst.get(f"/analysis/reforms/{job_id}/progress").text
    assert "hx-trigger" not in done and done.count('<svg class="bars"') == 4 and '<rect class="bar' in done
    summary = jobs.status(world["url"], "simulation", job_id, world["actors"]["analyst"])["summary"]["reform"]
    compared = [r for r in summary["comparison"] if r["spending_base"] is not None or r["spending_reform"] is not None]
    assert [row[1:] for row in rows(done, "by-measure")] == [
        [shown(r, k, "count" if k.startswith("recipients") else "money") for k in
         ("recipients_base", "spending_base", "recipients_reform", "spending_reform", "change")] for r in compared]
    assert rows(done, "by-region") == [[region_name(r["region_code"], "en"), shown(r, "households"),
                                        shown(r, "spending_base", "money"), shown(r, "spending_reform", "money"),
                                        shown(r, "change", "money")] for r in summary["regions"]]
    assert [row[1] for row in rows(done, "gainers")] == [shown(r, "households") for r in summary["households"]]
    deciles = summary["impact"]["deciles"]
    assert [row[2] for row in rows(done, "deciles")] == [shown(r, "change_per_person", "money") for r in deciles]


def test_another_role_is_refused_the_analysts_pages(world):
    for who in ("case", "citizen", "auditor"):
        client = signed_in(world, who)
        for path in ("/analysis/statistics", "/analysis/monitoring", "/analysis/reforms"):
            assert client.get(path).status_code == 403, (who, path)
        before = jobs_count(world)
        refused = client.post("/analysis/reforms", data={"csrf": token(client.get("/signin").text), "month": MONTH,
                                                         "document": REFORM})
        assert refused.status_code == 403 and jobs_count(world) == before
